import { useEffect, useState } from 'preact/hooks';
import { all, api, type CustomerRef, type OpportunitySummary, type Page } from '../lib/api';
import { dateTime, label, money, PRIORITIES, SORTS, STATUSES } from '../lib/format';
import { navigate } from '../lib/router';
import { Loading, PriorityBadge, ProblemBanner, StatusBadge } from '../ui';

const FILTERS = ['status', 'priority', 'customer_id', 'owner_id', 'created_from', 'created_to', 'q', 'sort'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** The list's filters live in the address (so back, reload and bookmarks keep them; the page is
 * keyed by them, so new filters start at page 1); the cursor trail lives in memory (the API's
 * cursors are opaque and only go forward). */
export function OpportunityList({ admin, search }: { admin: boolean; search: string }) {
  const params = new URLSearchParams(search);
  const filters: Filters = {};
  FILTERS.forEach((f) => {
    const v = params.get(f);
    if (v) filters[f] = v;
  });
  const [draft, setDraft] = useState<Filters>(filters);
  const [trail, setTrail] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<OpportunitySummary> | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [customers, setCustomers] = useState<CustomerRef[]>([]);
  const cursor = trail[trail.length - 1];

  useEffect(() => {
    all<CustomerRef>('/v1/customers').then(setCustomers, () => setCustomers([]));
  }, []);
  useEffect(() => {
    setProblem(null);
    api<Page<OpportunitySummary>>('/v1/opportunities', { query: { ...filters, limit: 20, cursor } }).then(
      ({ data }) => setPage(data),
      (e) => {
        setProblem(e);
        setPage({ items: [], next_cursor: null });
      },
    );
  }, [cursor]);

  const apply = (event: Event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    Object.entries(draft).forEach(([k, v]) => v && q.set(k, v));
    navigate(`/?${q}`);
  };
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <>
      <div class="title-row">
        <h1>{admin ? 'All opportunities' : 'My opportunities'}</h1>
        <a class="button primary" href="/opportunities/new">
          New opportunity
        </a>
      </div>
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
        <div class="field">
          <label for="f-customer">Customer</label>
          <select id="f-customer" value={draft.customer_id ?? ''} onChange={set('customer_id')}>
            <option value="">Any</option>
            {customers.map((c) => (
              <option value={c.id} key={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        {admin && (
          <div class="field">
            <label for="f-owner">Owner (user id)</label>
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
      <ProblemBanner problem={problem} />
      {!page ? (
        <Loading />
      ) : page.items.length === 0 ? (
        <p class="empty">No opportunities match.</p>
      ) : (
        <table class="list">
          <caption class="sr-only">Opportunities, page {trail.length}</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Customer</th>
              {admin && <th scope="col">Owner</th>}
              <th scope="col">Status</th>
              <th scope="col">Priority</th>
              <th scope="col" class="num">ARR</th>
              <th scope="col">Start</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((o) => (
              <tr key={o.id}>
                <td>
                  <a href={`/opportunities/${o.id}`}>{o.title}</a>
                </td>
                <td>{o.customer.name}</td>
                {admin && <td title={o.owner_id}>{o.owner_name ?? o.owner_id}</td>}
                <td>
                  <StatusBadge status={o.status} />
                </td>
                <td>
                  <PriorityBadge priority={o.priority} />
                </td>
                <td class="num">{money(o.annual_recurring_revenue)}</td>
                <td>{o.start_date ?? '—'}</td>
                <td>{dateTime(o.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={trail.length < 2} onClick={() => setTrail(trail.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {trail.length}</span>
        <button type="button" disabled={!page?.next_cursor} onClick={() => page?.next_cursor && setTrail([...trail, page.next_cursor])}>
          Next page
        </button>
      </nav>
    </>
  );
}
