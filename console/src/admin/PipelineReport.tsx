import { useEffect, useState } from 'preact/hooks';
import { ApiProblem, getPipelineCsv, getPipelineReport, type CustomerRef, type PipelineReport as Report, type ReportFilters, type ReportRow as Row } from '../lib/api';
import { CustomerPicker } from '../customers/CustomerPicker';
import { dateTime, label, money } from '../lib/format';
import { navigate, useTitle } from '../lib/router';
import { Loading, ProblemBanner } from '../ui';

/** The opportunity list with the report's filters and one more (a status or a priority). */
function listLink(filters: ReportFilters, extra: Record<string, string>): string {
  const q = new URLSearchParams();
  Object.entries({ ...filters, ...extra }).forEach(([k, v]) => v && q.set(k, v));
  return `/?${q}`;
}

/** A horizontal bar chart in SVG, with the numbers in a table beside it for screen readers and
 * for exact reading (the chart itself is hidden from assistive technology). */
function BarChart({ title, rows }: { title: string; rows: { name: string; value: number; text: string; href: string }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = rows.length * 28 + 8;
  const dimension = title.split(' by ')[1] ?? 'group';
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 460 ${height}`} width="100%" aria-hidden="true" focusable="false">
        {rows.map((r, i) => (
          <g key={r.name} transform={`translate(0 ${i * 28 + 4})`} class="chart-row" onClick={() => navigate(r.href)}>
            <text x="150" y="15" text-anchor="end" class="chart-label">
              {r.name}
            </text>
            <rect x="158" y="2" height="18" width={Math.max(r.value > 0 ? 2 : 0, (r.value / max) * 180)} class="chart-bar" rx="2" />
            <text x={164 + (r.value / max) * 180} y="15" class="chart-value">
              {r.text}
            </text>
          </g>
        ))}
      </svg>
      <details>
        <summary>The numbers</summary>
      <table class="list compact">
        <thead>
          <tr>
            <th scope="col">{dimension.charAt(0).toUpperCase() + dimension.slice(1)}</th>
            <th scope="col" class="num">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name}>
              <th scope="row">
                <a href={r.href}>{r.name}</a>
              </th>
              <td class="num">{r.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </details>
    </figure>
  );
}

function currencies(report: Report): string[] {
  const all = new Set<string>();
  [...report.by_status, ...report.by_priority].forEach((r) => r.arr.forEach((m) => all.add(m.currency)));
  return [...all].sort();
}

function arrIn(row: Row, currency: string): number {
  return Number(row.arr.find((m) => m.currency === currency)?.amount ?? 0);
}

export function PipelineReport() {
  const [report, setReport] = useState<Report | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [filters, setFilters] = useState<ReportFilters>({ created_from: '', created_to: '', owner_id: '', customer_id: '' });
  const [customer, setCustomer] = useState<CustomerRef | null>(null);
  useTitle('Pipeline report');
  const [applied, setApplied] = useState(filters);

  useEffect(() => {
    setProblem(null);
    getPipelineReport(applied).then(setReport, (e) => {
      setProblem(e);
      setReport(null);
    });
  }, [applied]);

  const missing = problem instanceof ApiProblem && problem.status === 404 && problem.code === 'not_found';
  const set = (k: keyof ReportFilters) => (e: Event) => setFilters({ ...filters, [k]: (e.currentTarget as HTMLInputElement).value });

  const csv = async () => {
    try {
      const data = await getPipelineCsv(applied);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([data], { type: 'text/csv' }));
      link.download = 'pipeline.csv';
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (e) {
      setProblem(e);
    }
  };

  return (
    <>
      <h1>Pipeline report</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <div class="field">
          <label for="r-from">Created from</label>
          <input id="r-from" type="date" value={filters.created_from} onInput={set('created_from')} />
        </div>
        <div class="field">
          <label for="r-to">Created before</label>
          <input id="r-to" type="date" value={filters.created_to} onInput={set('created_to')} />
        </div>
        <div class="field">
          <label for="r-owner">Owner’s user id</label>
          <input id="r-owner" value={filters.owner_id} onInput={set('owner_id')} />
        </div>
        <CustomerPicker
          id="r-customer"
          label="Customer"
          value={customer}
          onChange={(c) => {
            setCustomer(c);
            setFilters({ ...filters, customer_id: c?.id ?? '' });
          }}
        />
        <div class="actions">
          <button type="submit">Apply</button>
          <button type="button" onClick={() => void csv()} disabled={!report}>
            Download CSV
          </button>
        </div>
      </form>
      {missing ? (
        <p class="empty" role="status">
          This server has no pipeline report yet. The screen will show it once the report is deployed.
        </p>
      ) : (
        <ProblemBanner problem={problem} />
      )}
      {!report && !problem && <Loading />}
      {report && (
        <>
          <p>
            <strong data-testid="report-total">{report.total.count}</strong> opportunities ·{' '}
            {report.total.arr.length ? report.total.arr.map(money).join(' + ') : 'no ARR'} · generated {dateTime(report.generated_at)}
          </p>
          <div class="charts">
            <BarChart title="Count by status" rows={report.by_status.map((r) => ({ name: label(r.status), value: r.count, text: String(r.count), href: listLink(applied, { status: r.status }) }))} />
            <BarChart title="Count by priority" rows={report.by_priority.map((r) => ({ name: label(r.priority), value: r.count, text: String(r.count), href: listLink(applied, { priority: r.priority }) }))} />
            {currencies(report).map((c) => (
              <>
                <BarChart
                  key={`s-${c}`}
                  title={`ARR in ${c} by status`}
                  rows={report.by_status.map((r) => ({ name: label(r.status), value: arrIn(r, c), text: money({ amount: String(arrIn(r, c)), currency: c }), href: listLink(applied, { status: r.status }) }))}
                />
                <BarChart
                  key={`p-${c}`}
                  title={`ARR in ${c} by priority`}
                  rows={report.by_priority.map((r) => ({ name: label(r.priority), value: arrIn(r, c), text: money({ amount: String(arrIn(r, c)), currency: c }), href: listLink(applied, { priority: r.priority }) }))}
                />
              </>
            ))}
          </div>
        </>
      )}
    </>
  );
}
