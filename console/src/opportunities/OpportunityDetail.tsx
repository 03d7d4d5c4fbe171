import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type HistoryItem, type Opportunity, type Page } from '../lib/api';
import { dateTime, label, money, shortValue } from '../lib/format';
import { Loading, PriorityBadge, ProblemBanner, StatusBadge } from '../ui';
import { ProblemStatementEditor } from './ProblemStatementEditor';
import { SkillRequirementsEditor } from './SkillRequirementsEditor';
import { Attachments } from './Attachments';

const CLOSED = ['completed', 'cancelled'];

export interface Current {
  opportunity: Opportunity;
  etag: string | null;
  /** Reads the opportunity again (after a 412, or a change made elsewhere). */
  reload: () => void;
}

export function OpportunityDetail({ id, admin }: { id: string; admin: boolean }) {
  const [current, setCurrent] = useState<Current | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [historyTick, setHistoryTick] = useState(0);

  const load = () =>
    api<Opportunity>(`/v1/opportunities/${id}`).then(
      ({ data, etag }) => {
        setCurrent({ opportunity: data, etag, reload: () => void load() });
        setHistoryTick((t) => t + 1);
      },
      setProblem,
    );
  useEffect(() => void load(), [id]);

  /** After a change: the opportunity the API answered with, and its history again. */
  const changed = (opportunity: Opportunity, etag: string | null) => {
    setCurrent({ opportunity, etag, reload: () => void load() });
    setProblem(null);
    setHistoryTick((t) => t + 1);
  };

  if (!current) return problem ? <ProblemBanner problem={problem} /> : <Loading />;
  const o = current.opportunity;
  const closed = CLOSED.includes(o.status);
  const t = o.timeline;

  return (
    <>
      <p class="crumbs">
        <a href="/">Opportunities</a> › {o.customer.name}
      </p>
      <div class="title-row">
        <h1>{o.title}</h1>
        <div class="badges">
          <StatusBadge status={o.status} /> <PriorityBadge priority={o.priority} />
        </div>
      </div>
      <ProblemBanner problem={problem} onReload={() => { setProblem(null); void load(); }} />
      <Actions current={current} onChanged={changed} onProblem={setProblem} />
      <section aria-labelledby="details-h">
        <h2 id="details-h">Details</h2>
        <dl class="details">
          <dt>Customer</dt>
          <dd>{o.customer.name}</dd>
          {admin && (
            <>
              <dt>Owner</dt>
              <dd>{o.owner_name ? `${o.owner_name} (${o.owner_id})` : o.owner_id}</dd>
            </>
          )}
          <dt>Annual recurring revenue</dt>
          <dd>{money(o.annual_recurring_revenue)}</dd>
          <dt>Timeline</dt>
          <dd>
            {t
              ? `${t.start_date} → ${t.end_date ?? `${t.duration_days} days`}${t.flexible ? ' (flexible)' : ''}${
                  t.specific_days?.length ? `; on ${t.specific_days.join(', ')}` : ''
                }`
              : 'Not set (required to submit)'}
          </dd>
          <dt>Description</dt>
          <dd class="prewrap">{o.description}</dd>
          {o.status === 'cancelled' && (
            <>
              <dt>Cancelled</dt>
              <dd>
                {o.cancelled_at && dateTime(o.cancelled_at)} from {label(o.status_before_cancel ?? '')}
                {o.reactivatable_until && `; can be reactivated until ${dateTime(o.reactivatable_until)}`}
              </dd>
            </>
          )}
          <dt>Created · updated</dt>
          <dd>
            {dateTime(o.created_at)} · {dateTime(o.updated_at)} (version {o.version})
          </dd>
        </dl>
      </section>
      <ProblemStatementEditor current={current} readOnly={closed} onChanged={changed} />
      <SkillRequirementsEditor current={current} readOnly={closed} onChanged={changed} />
      <Attachments opportunityId={o.id} readOnly={closed} onChanged={() => void load()} />
      <History id={o.id} tick={historyTick} />
    </>
  );
}

function Actions({
  current,
  onChanged,
  onProblem,
}: {
  current: Current;
  onChanged: (o: Opportunity, etag: string | null) => void;
  onProblem: (p: unknown) => void;
}) {
  const o = current.opportunity;
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const act = async (action: 'submit' | 'cancel' | 'reactivate', body?: unknown) => {
    setBusy(true);
    try {
      const { data, etag } = await api<Opportunity>(`/v1/opportunities/${o.id}/${action}`, {
        method: 'POST',
        body,
        ifMatch: current.etag,
      });
      onChanged(data, etag);
      return true;
    } catch (e) {
      onProblem(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (event: Event) => {
    event.preventDefault();
    setReasonError([]);
    try {
      const { data, etag } = await api<Opportunity>(`/v1/opportunities/${o.id}/cancel`, {
        method: 'POST',
        body: { reason },
        ifMatch: current.etag,
      });
      dialog.current?.close();
      setReason('');
      onChanged(data, etag);
    } catch (e) {
      const fieldMessages = (e as { forField?: (f: string) => string[] }).forField?.('reason') ?? [];
      if (fieldMessages.length) setReasonError(fieldMessages);
      else {
        dialog.current?.close();
        onProblem(e);
      }
    }
  };

  const closed = o.status === 'completed' || o.status === 'cancelled';
  return (
    <div class="actions toolbar" role="group" aria-label="Actions">
      {!closed && (
        <a class="button" href={`/opportunities/${o.id}/edit`}>
          Edit details
        </a>
      )}
      {o.status === 'draft' && (
        <button type="button" class="primary" disabled={busy} onClick={() => void act('submit')}>
          Submit for matching
        </button>
      )}
      {!closed && (
        <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
          Cancel opportunity…
        </button>
      )}
      {o.status === 'cancelled' && (
        <button type="button" class="primary" disabled={busy} onClick={() => void act('reactivate')}>
          Reactivate
        </button>
      )}
      <dialog ref={dialog} aria-labelledby="cancel-h">
        <form onSubmit={cancel} noValidate>
          <h2 id="cancel-h">Cancel “{o.title}”</h2>
          <div class={reasonError.length ? 'field invalid' : 'field'}>
            <label for="cancel-reason">Reason</label>
            <textarea
              id="cancel-reason"
              rows={3}
              value={reason}
              aria-invalid={reasonError.length ? 'true' : undefined}
              aria-describedby={reasonError.length ? 'cancel-reason-error' : undefined}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
            {reasonError.map((m) => (
              <p class="field-error" id="cancel-reason-error" key={m}>
                {m}
              </p>
            ))}
          </div>
          <div class="actions">
            <button type="submit" class="danger">
              Cancel the opportunity
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>
              Keep it
            </button>
          </div>
        </form>
      </dialog>
    </div>
  );
}

function History({ id, tick }: { id: string; tick: number }) {
  const [items, setItems] = useState<HistoryItem[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const fetchPage = (cursor: string | null, append: boolean) =>
    api<Page<HistoryItem>>(`/v1/opportunities/${id}/history`, { query: { limit: 50, cursor } }).then(({ data }) => {
      setItems((before) => (append && before ? [...before, ...data.items] : data.items));
      setNext(data.next_cursor);
      setProblem(null);
    }, setProblem);
  useEffect(() => void fetchPage(null, false), [id, tick]);
  return (
    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <ProblemBanner problem={problem} />
      {!items ? (
        <Loading />
      ) : (
        <ol class="timeline" data-testid="history">
          {items.map((h) => (
            <li key={h.seq} class={`timeline-${h.kind}`}>
              <time dateTime={h.at}>{dateTime(h.at)}</time>
              <span class="actor">{h.actor}</span>
              {h.kind === 'status' ? (
                <span>
                  {h.from ? `${label(String(h.from))} → ` : 'Created as '}
                  <strong>{label(String(h.to))}</strong>
                </span>
              ) : (
                <span>
                  changed <strong>{label(h.field ?? '')}</strong>
                  {h.field !== 'problem_statement' && h.old !== undefined && <> from “{shortValue(h.old)}”</>} to “{shortValue(h.new)}”
                </span>
              )}
              {h.reason && <span class="reason">Reason: {h.reason}</span>}
            </li>
          ))}
        </ol>
      )}
      {next && (
        <button type="button" onClick={() => void fetchPage(next, true)}>
          Older entries
        </button>
      )}
    </section>
  );
}
