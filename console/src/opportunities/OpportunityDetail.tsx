import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, changeStatus, getOpportunity, listHistory, type FieldError, type HistoryItem, type Opportunity } from '../lib/api';
import { session } from '../lib/auth';
import { dateTime, label, money, shortValue } from '../lib/format';
import { fieldMessage } from '../lib/messages';
import { useTitle } from '../lib/router';
import { checkText, Problems, REASON_MAX } from '../lib/validate';
import { ErrorSummary, FieldErrors, Loading, messagesFor, PriorityBadge, ProblemBanner, StatusBadge } from '../ui';
import { Attachments } from './Attachments';
import { CLOSED, type Current } from './current';
import { ProblemStatementEditor } from './ProblemStatementEditor';
import { SkillRequirementsEditor } from './SkillRequirementsEditor';

/** What is missing before an opportunity can be submitted: opportunity.rs `submission_gaps`,
 * in its words, so that the answer comes before the round trip (the server checks it again). */
function submissionGaps(o: Opportunity): FieldError[] {
  const gaps: FieldError[] = [];
  if (!o.problem_statement) gaps.push({ field: 'problem_statement', message: 'a problem statement is required before submitting' });
  if (!o.timeline) gaps.push({ field: 'timeline', message: 'a timeline is required before submitting' });
  if (!o.skill_requirements.some((r) => r.importance === 'must_have')) {
    gaps.push({ field: 'skill_requirements', message: 'at least one must_have skill requirement is required before submitting' });
  }
  return gaps;
}

/** The section of this screen each submission field belongs to. */
function sectionOf(field: string): string | null {
  if (field === 'problem_statement' || field.startsWith('problem_statement.')) return 'problem-statement';
  if (field === 'timeline' || field.startsWith('timeline.')) return 'timeline-detail';
  if (field === 'skill_requirements' || field.startsWith('skill_requirements')) return 'add-skill';
  return null;
}

export function OpportunityDetail({ id, admin }: { id: string; admin: boolean }) {
  const [current, setCurrent] = useState<Current | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [gaps, setGaps] = useState<FieldError[]>([]);
  const [attempt, setAttempt] = useState(0);
  const [historyTick, setHistoryTick] = useState(0);
  useTitle(current?.opportunity.title ?? 'Opportunity', current?.opportunity.customer.name);

  const load = (): Promise<{ opportunity: Opportunity; etag: string | null } | null> =>
    getOpportunity(id).then(
      ({ data, etag }) => {
        setCurrent({ opportunity: data, etag, reload: load });
        setHistoryTick((t) => t + 1);
        return { opportunity: data, etag };
      },
      (e) => {
        setProblem(e);
        return null;
      },
    );
  useEffect(() => void load(), [id]);

  /** After a change: the opportunity the API answered with, and its history again. */
  const changed = (opportunity: Opportunity, etag: string | null) => {
    setCurrent({ opportunity, etag, reload: load });
    setProblem(null);
    // A gap the change filled goes at once; the others stay until the next submit.
    setGaps((before) => before.filter((g) => submissionGaps(opportunity).some((now) => now.field === g.field)));
    setHistoryTick((t) => t + 1);
  };

  if (!current) return problem ? <ProblemBanner problem={problem} /> : <Loading />;
  const o = current.opportunity;
  const closed = CLOSED.includes(o.status);
  const t = o.timeline;
  const timelineErrors = messagesFor(gaps, ['timeline'], true);

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
      <ErrorSummary errors={gaps} target={sectionOf} attempt={attempt} title={gaps.length === 1 ? 'One thing is missing before submitting' : `${gaps.length} things are missing before submitting`} />
      <ProblemBanner problem={problem} fieldsShown={problem instanceof ApiProblem && problem.status === 422}>
        {problem instanceof ApiProblem && problem.status === 412 && <p>The screen now shows the latest version; check it and try again.</p>}
      </ProblemBanner>
      <Actions
        current={current}
        onChanged={changed}
        onProblem={(p) => {
          setProblem(p);
          if (p instanceof ApiProblem && p.status === 412) void load();
        }}
        onGaps={(found) => {
          setGaps(found);
          if (found.length) setAttempt((a) => a + 1);
        }}
      />
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
          <dd id="timeline-detail" class={timelineErrors.length ? 'invalid-block' : undefined}>
            {t
              ? `${t.start_date} → ${t.end_date ?? `${t.duration_days} days`}${t.flexible ? ' (flexible)' : ''}${
                  t.specific_days?.length ? `; on ${t.specific_days.join(', ')}` : ''
                }`
              : 'Not set (required to submit)'}
            {!t && !closed && (
              <>
                {' '}
                <a href={`/opportunities/${o.id}/edit`}>Add a timeline</a>
              </>
            )}
            <FieldErrors id="timeline-detail-error" errors={timelineErrors} />
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
      <ProblemStatementEditor current={current} readOnly={closed} onChanged={changed} outside={messagesFor(gaps, ['problem_statement'], true)} />
      <SkillRequirementsEditor current={current} readOnly={closed} onChanged={changed} outside={messagesFor(gaps, ['skill_requirements'], true)} />
      <Attachments opportunityId={o.id} readOnly={closed} onChanged={() => void load()} />
      <History opportunity={o} tick={historyTick} />
    </>
  );
}

function Actions({
  current,
  onChanged,
  onProblem,
  onGaps,
}: {
  current: Current;
  onChanged: (o: Opportunity, etag: string | null) => void;
  onProblem: (p: unknown) => void;
  onGaps: (gaps: FieldError[]) => void;
}) {
  const o = current.opportunity;
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const act = async (action: 'submit' | 'reactivate') => {
    onProblem(null);
    if (action === 'submit') {
      const gaps = submissionGaps(o);
      onGaps(gaps);
      if (gaps.length) return;
    }
    setBusy(true);
    try {
      const { data, etag } = await changeStatus(o.id, action, current.etag);
      onGaps([]);
      onChanged(data, etag);
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 422 && e.errors.length) onGaps(e.errors);
      onProblem(e);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (event: Event) => {
    event.preventDefault();
    const p = new Problems();
    checkText(p, 'reason', reason, REASON_MAX, true);
    setReasonError(p.list.map((e) => fieldMessage(e.field, e.message)));
    if (p.list.length) return;
    try {
      const { data, etag } = await changeStatus(o.id, 'cancel', current.etag, { reason });
      dialog.current?.close();
      setReason('');
      onChanged(data, etag);
    } catch (e) {
      const fieldMessages = e instanceof ApiProblem ? e.errors.filter((x) => x.field === 'reason').map((x) => fieldMessage(x.field, x.message)) : [];
      if (fieldMessages.length) setReasonError(fieldMessages);
      else {
        dialog.current?.close();
        onProblem(e);
      }
    }
  };

  const closed = CLOSED.includes(o.status);
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
            <label for="cancel-reason">
              Reason<span class="required"> (required)</span>
            </label>
            <textarea
              id="cancel-reason"
              rows={3}
              value={reason}
              aria-required="true"
              aria-invalid={reasonError.length ? 'true' : undefined}
              aria-describedby={reasonError.length ? 'cancel-reason-error' : undefined}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
            <FieldErrors id="cancel-reason-error" errors={reasonError} />
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

const HISTORY_SHOWN = 20;

/** The history newest first, with who did it by name where the console knows it (the owner's
 * profile name, "you"), the user id otherwise. The API pages it oldest first, so every page is
 * read and the order reversed (a history is short: a few entries per change). */
function History({ opportunity, tick }: { opportunity: Opportunity; tick: number }) {
  const [items, setItems] = useState<HistoryItem[] | null>(null);
  const [shown, setShown] = useState(HISTORY_SHOWN);
  const [problem, setProblem] = useState<unknown>(null);
  const me = session()?.sub;
  useEffect(() => {
    let live = true;
    (async () => {
      const all: HistoryItem[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const page = await listHistory(opportunity.id, 100, cursor);
        all.push(...page.items);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      return all.sort((a, b) => b.seq - a.seq);
    })().then(
      (all) => {
        if (!live) return;
        setItems(all);
        setProblem(null);
      },
      (e) => live && setProblem(e),
    );
    return () => {
      live = false;
    };
  }, [opportunity.id, tick]);
  // Names, not ids: "You", the directory's name of whoever did it, else the owner's name.
  const who = (h: HistoryItem) =>
    h.actor === me ? 'You' : (h.actor_name ?? (h.actor === opportunity.owner_id && opportunity.owner_name ? opportunity.owner_name : h.actor));
  return (
    <section aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      <p class="hint">Newest first.</p>
      <ProblemBanner problem={problem} />
      {!items ? (
        <Loading />
      ) : (
        <ol class="timeline" data-testid="history" reversed>
          {items.slice(0, shown).map((h) => (
            <li key={h.seq} class={`timeline-${h.kind}`}>
              <time dateTime={h.at}>{dateTime(h.at)}</time>
              <span class="actor" title={h.actor}>
                {who(h)}
              </span>
              {h.kind === 'status' ? (
                <span>
                  {h.from ? `${label(String(h.from))} → ` : 'Created as '}
                  <strong>{label(String(h.to))}</strong>
                </span>
              ) : (
                <span class="change">
                  changed <strong>{label(h.field ?? '')}</strong>
                  {h.field !== 'problem_statement' && h.old !== undefined && <> from “{shortValue(h.old)}”</>} to “{shortValue(h.new)}”
                </span>
              )}
              {h.reason && <span class="reason">Reason: {h.reason}</span>}
            </li>
          ))}
        </ol>
      )}
      {items && items.length > shown && (
        <button type="button" onClick={() => setShown(shown + HISTORY_SHOWN)}>
          Older entries
        </button>
      )}
    </section>
  );
}
