import { useEffect, useState } from 'preact/hooks';
import { ApiProblem, eraseSubject, exportSubject, listAuditEvents, type AuditEvent } from '../lib/api';
import { dateTime, label } from '../lib/format';
import { useTitle } from '../lib/router';
import { Loading, ProblemBanner } from '../ui';


function notDeployed(p: unknown): boolean {
  return p instanceof ApiProblem && p.status === 404 && p.code === 'not_found' && /no resource at/.test(p.detail);
}

/** Privacy requests (GDPR access and erasure of one person's data) and the audit log they write. */
export function Privacy() {
  const [subject, setSubject] = useState('');
  const [exported, setExported] = useState<unknown>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [auditProblem, setAuditProblem] = useState<unknown>(null);

  const loadAudit = (cursor: string | null = null) =>
    listAuditEvents(25, cursor).then(
      (data) => {
        setEvents((before) => (cursor && before ? [...before, ...data.items] : data.items));
        setNext(data.next_cursor);
        setAuditProblem(null);
      },
      (e) => {
        setAuditProblem(e);
        setEvents([]);
      },
    );
  useEffect(() => void loadAudit(), []);

  const id = subject.trim();
  useTitle('Privacy requests');
  const exportData = async () => {
    setProblem(null);
    setNotice('');
    try {
      const data = await exportSubject(id);
      setExported(data);
      void loadAudit();
    } catch (e) {
      setProblem(e);
    }
  };
  const erase = async () => {
    if (!window.confirm(`Erase the personal data of ${subject.trim()}? This cannot be undone.`)) return;
    setProblem(null);
    setNotice('');
    try {
      await eraseSubject(id);
      setNotice(`The personal data of ${subject.trim()} was erased.`);
      setExported(null);
      void loadAudit();
    } catch (e) {
      setProblem(e);
    }
  };

  return (
    <>
      <h1>Privacy requests</h1>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); void exportData(); }}>
        <div class="field">
          <label for="subject-id">Person (user id)</label>
          <input id="subject-id" value={subject} onInput={(e) => setSubject(e.currentTarget.value)} required />
        </div>
        <div class="actions">
          <button type="submit" disabled={!subject.trim()}>
            Export their data
          </button>
          <button type="button" class="danger" disabled={!subject.trim()} onClick={() => void erase()}>
            Erase their data…
          </button>
        </div>
      </form>
      <p role="status" class="notice">
        {notice}
      </p>
      {notDeployed(problem) ? (
        <p class="empty">This server has no privacy endpoints yet.</p>
      ) : (
        <ProblemBanner problem={problem} />
      )}
      {exported !== null && (
        <section aria-labelledby="export-h">
          <h2 id="export-h">Exported data</h2>
          <pre class="export" tabIndex={0}>{JSON.stringify(exported, null, 2)}</pre>
        </section>
      )}
      <section aria-labelledby="audit-h">
        <h2 id="audit-h">Audit log</h2>
        {notDeployed(auditProblem) ? (
          <p class="empty">This server has no audit log yet (<code>GET /v1/audit-events</code> answered 404).</p>
        ) : (
          <ProblemBanner problem={auditProblem} />
        )}
        {!events ? (
          <Loading />
        ) : events.length === 0 ? (
          !auditProblem && <p class="empty">No privacy requests yet.</p>
        ) : (
          <table class="list cards">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">By</th>
                <th scope="col">For</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td data-label="When">{dateTime(e.at)}</td>
                  <td data-label="Action">{label(e.action.replace(/^privacy_/, ''))}</td>
                  <td data-label="By" class="break">{e.actor_id}</td>
                  <td data-label="For" class="break">{e.subject_id}</td>
                  <td data-label="Details" class="break">
                    <AuditDetails details={e.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {next && (
          <button type="button" onClick={() => void loadAudit(next)}>
            Older entries
          </button>
        )}
      </section>
    </>
  );
}

/** An audit record's details as "name: value" lines (numbers of records, tables), not JSON. */
function AuditDetails({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details ?? {});
  if (!entries.length) return <>—</>;
  return (
    <ul class="plain">
      {entries.map(([k, v]) => (
        <li key={k}>
          {label(k)}: {typeof v === 'object' && v !== null ? Object.entries(v as Record<string, unknown>).map(([a, b]) => `${label(a)} ${String(b)}`).join(', ') : String(v)}
        </li>
      ))}
    </ul>
  );
}
