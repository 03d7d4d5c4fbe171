import { useEffect, useState } from 'preact/hooks';
import { listOpportunities, type OpportunitySummary, type Page } from '../lib/api';
import { label, money } from '../lib/format';
import { useTitle } from '../lib/router';
import { Loading, PriorityBadge, ProblemBanner } from '../ui';

/** The pipeline by status, one column each (open statuses; cancelled ones stay in the list). */
const COLUMNS = ['draft', 'submitted', 'matching_in_progress', 'matches_found', 'architect_selected', 'completed'];
const PER_COLUMN = 50;

/** A Sales Manager's pipeline (an Admin's: everyone's) as a board: one `GET /v1/opportunities`
 * per status, highest priority first. A column with more than it shows links to the full list. */
export function Board({ admin }: { admin: boolean }) {
  const [columns, setColumns] = useState<Record<string, Page<OpportunitySummary>> | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  useTitle('Board', admin ? 'all opportunities' : 'my pipeline');
  useEffect(() => {
    Promise.all(COLUMNS.map((status) => listOpportunities({ status, sort: '-priority' }, PER_COLUMN, null))).then(
      (pages) => setColumns(Object.fromEntries(COLUMNS.map((s, i) => [s, pages[i]]))),
      setProblem,
    );
  }, []);
  return (
    <>
      <div class="title-row">
        <h1>{admin ? 'Board: all opportunities' : 'Board: my pipeline'}</h1>
        <div class="actions">
          <a class="button" href="/">
            List view
          </a>
          <a class="button primary" href="/opportunities/new">
            New opportunity
          </a>
        </div>
      </div>
      <ProblemBanner problem={problem} />
      {!columns ? (
        !problem && <Loading />
      ) : (
        <div class="board">
          {COLUMNS.map((status) => {
            const page = columns[status];
            return (
              <section class="board-column" aria-labelledby={`board-${status}`} key={status} data-testid={`board-${status}`}>
                <h2 id={`board-${status}`}>
                  {label(status)} <span class="count">({page.items.length}{page.next_cursor ? '+' : ''})</span>
                </h2>
                {page.items.length === 0 ? (
                  <p class="empty">None.</p>
                ) : (
                  <ul class="board-cards">
                    {page.items.map((o) => (
                      <li key={o.id} class="board-card">
                        <a href={`/opportunities/${o.id}`}>{o.title}</a>
                        <span class="muted">{o.customer.name}</span>
                        <span>
                          <PriorityBadge priority={o.priority} /> {money(o.annual_recurring_revenue)}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
                {page.next_cursor && <a href={`/?status=${status}`}>All {label(status).toLowerCase()} opportunities</a>}
              </section>
            );
          })}
        </div>
      )}
    </>
  );
}
