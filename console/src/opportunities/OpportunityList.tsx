import { useEffect, useState } from 'preact/hooks';
import { getCustomer, listOpportunities, type CustomerRef, type OpportunityFilters, type OpportunitySummary, type Page } from '../lib/api';
import { CustomerPicker } from '../customers/CustomerPicker';
import { dateTime, label, money, PRIORITIES, SORTS, STATUSES } from '../lib/format';
import { navigate, useTitle } from '../lib/router';
import { Loading, PriorityBadge, ProblemBanner, StatusBadge } from '../ui';

const FILTERS = ['status', 'priority', 'customer_id', 'owner_id', 'created_from', 'created_to', 'q', 'sort'] as const;
type Filters = OpportunityFilters;
const PAGE_SIZE = 20;

/** The columns the API can sort by (`sort`, `-` for descending), by column. */
const SORTABLE: Record<string, string> = { priority: 'priority', start: 'start_date', updated: 'updated_at', created: 'created_at' };

function filtersFrom(search: string): Filters {
  const params = new URLSearchParams(search);
  const filters: Filters = {};
  FILTERS.forEach((f) => {
    const v = params.get(f);
    if (v) filters[f] = v;
  });
  return filters;
}

function toSearch(filters: Filters): string {
  const q = new URLSearchParams();
  Object.entries(filters).forEach(([k, v]) => v && q.set(k, v));
  const text = q.toString();
  return text ? `/?${text}` : '/';
}

/** The list's filters live in the address (so back, reload and bookmarks keep them; the page is
 * keyed by them, so new filters start at page 1); the cursor trail lives in memory (the API's
 * cursors are opaque and only go forward). */
export function OpportunityList({ admin, search }: { admin: boolean; search: string }) {
  const filters = filtersFrom(search);
  const [draft, setDraft] = useState<Filters>(filters);
  const [customer, setCustomer] = useState<CustomerRef | null>(null);
  const [trail, setTrail] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<OpportunitySummary> | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const cursor = trail[trail.length - 1];
  // On a phone the filters fold away unless some are in use; on a wider screen they stay open.
  const [filtersOpen, setFiltersOpen] = useState(
    () => !window.matchMedia('(max-width: 48rem)').matches || FILTERS.some((f) => f !== 'sort' && filters[f]),
  );
  const heading = admin ? 'All opportunities' : 'My opportunities';
  useTitle(heading, trail.length > 1 ? `page ${trail.length}` : null);

  useEffect(() => {
    if (filters.customer_id) getCustomer(filters.customer_id).then(setCustomer, () => setCustomer(null));
  }, [filters.customer_id]);
  useEffect(() => {
    setProblem(null);
    listOpportunities(filters, PAGE_SIZE, cursor).then(setPage, (e) => {
      setProblem(e);
      setPage({ items: [], next_cursor: null });
    });
  }, [cursor]);

  const apply = (event: Event) => {
    event.preventDefault();
    navigate(toSearch(draft));
  };
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const filtered = FILTERS.some((f) => f !== 'sort' && filters[f]);
  const sort = filters.sort ?? '-created_at';

  /** A column header that sorts by its column: ascending first, then descending. */
  const Sortable = ({ column, text, className }: { column: string; text: string; className?: string }) => {
    const key = SORTABLE[column];
    const direction = sort === key ? 'ascending' : sort === `-${key}` ? 'descending' : undefined;
    const next = direction === 'ascending' ? `-${key}` : key;
    return (
      <th scope="col" aria-sort={direction} class={className}>
        <button type="button" class="sort" onClick={() => navigate(toSearch({ ...filters, sort: next }))}>
          {text}
          <span aria-hidden="true">{direction === 'ascending' ? ' ▲' : direction === 'descending' ? ' ▼' : ' ↕'}</span>
          <span class="sr-only">, sort {direction === 'ascending' ? 'descending' : 'ascending'}</span>
        </button>
      </th>
    );
  };

  return (
    <>
      <div class="title-row">
        <h1>{heading}</h1>
        <div class="actions">
          <a class="button" href="/board">
            Board view
          </a>
          <a class="button primary" href="/opportunities/new">
            New opportunity
          </a>
        </div>
      </div>
      <details class="filters-box" open={filtersOpen} onToggle={(e) => setFiltersOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary>Filters and sorting</summary>
      <form class="filters" onSubmit={apply} aria-label="Filter opportunities" role="search">
        <div class="field">
          <label for="f-q">Search title or customer</label>
          <input id="f-q" type="search" value={draft.q ?? ''} maxLength={100} onInput={set('q')} />
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" value={draft.status ?? ''} onChange={set('status')}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option value={s} key={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-priority">Priority</label>
          <select id="f-priority" value={draft.priority ?? ''} onChange={set('priority')}>
            <option value="">Any</option>
            {PRIORITIES.map((p) => (
              <option value={p} key={p}>
                {label(p)}
              </option>
            ))}
          </select>
        </div>
        <CustomerPicker
          id="f-customer"
          label="Customer"
          value={customer}
          onChange={(c) => {
            setCustomer(c);
            setDraft({ ...draft, customer_id: c?.id });
          }}
        />
        {admin && (
          <div class="field">
            <label for="f-owner">Owner’s user id</label>
            <input id="f-owner" value={draft.owner_id ?? ''} onInput={set('owner_id')} />
          </div>
        )}
        <div class="field">
          <label for="f-from">Created from</label>
          <input id="f-from" type="date" value={draft.created_from ?? ''} onInput={set('created_from')} />
        </div>
        <div class="field">
          <label for="f-to">Created before</label>
          <input id="f-to" type="date" value={draft.created_to ?? ''} onInput={set('created_to')} />
        </div>
        <div class="field">
          <label for="f-sort">Sort</label>
          <select id="f-sort" value={draft.sort ?? '-created_at'} onChange={set('sort')}>
            {SORTS.map(([v, t]) => (
              <option value={v} key={v}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div class="actions">
          <button type="submit">Apply</button>
          <button type="button" onClick={() => navigate('/')}>
            Clear
          </button>
        </div>
      </form>
      </details>
      <ProblemBanner problem={problem} />
      {!page ? (
        <Loading />
      ) : page.items.length === 0 ? (
        filtered || trail.length > 1 ? (
          <div class="empty-state" role="status">
            <p>No opportunities match these filters.</p>
            <p>
              <a href="/">Clear the filters</a> to see every opportunity{admin ? '' : ' of yours'}.
            </p>
          </div>
        ) : (
          <div class="empty-state" role="status">
            <p>
              <strong>{admin ? 'Nobody has created an opportunity yet.' : 'You have no opportunities yet.'}</strong>
            </p>
            <p>
              Start with <a href="/opportunities/new">a new opportunity</a>: a customer, a title, a description and the annual revenue
              make a draft. Then write the problem statement, add the skills needed and submit it for matching.
            </p>
          </div>
        )
      ) : (
        <table class="list cards">
          <caption class="sr-only">
            Opportunities, page {trail.length}, {page.items.length} shown
          </caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Customer</th>
              {admin && <th scope="col">Owner</th>}
              <th scope="col">Status</th>
              <Sortable column="priority" text="Priority" />
              <th scope="col" class="num">
                ARR
              </th>
              <Sortable column="start" text="Start" />
              <Sortable column="updated" text="Updated" />
            </tr>
          </thead>
          <tbody>
            {page.items.map((o) => (
              <tr key={o.id}>
                <td data-label="Title" class="card-title">
                  <a href={`/opportunities/${o.id}`}>{o.title}</a>
                </td>
                <td data-label="Customer">{o.customer.name}</td>
                {admin && (
                  <td data-label="Owner" title={o.owner_id}>
                    {o.owner_name ?? o.owner_id}
                  </td>
                )}
                <td data-label="Status">
                  <StatusBadge status={o.status} />
                </td>
                <td data-label="Priority">
                  <PriorityBadge priority={o.priority} />
                </td>
                <td data-label="ARR" class="num">
                  {money(o.annual_recurring_revenue)}
                </td>
                <td data-label="Start">{o.start_date ?? '—'}</td>
                <td data-label="Updated">{dateTime(o.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={trail.length < 2} onClick={() => setTrail(trail.slice(0, -1))}>
          Previous page
        </button>
        <span>
          Page {trail.length}
          {page && page.items.length > 0 && (
            <>
              {' '}
              · {(trail.length - 1) * PAGE_SIZE + 1}–{(trail.length - 1) * PAGE_SIZE + page.items.length}
              {page.next_cursor ? ' and more' : ''}
            </>
          )}
        </span>
        <button type="button" disabled={!page?.next_cursor} onClick={() => page?.next_cursor && setTrail([...trail, page.next_cursor])}>
          Next page
        </button>
      </nav>
    </>
  );
}
