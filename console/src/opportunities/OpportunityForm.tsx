import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiProblem, createOpportunity, getOpportunity, updateOpportunity, type FieldError, type Opportunity } from '../lib/api';
import { CustomerPicker } from '../customers/CustomerPicker';
import { session } from '../lib/auth';
import { dropDraft, loadDraft, saveDraft, setUnsaved } from '../lib/drafts';
import { label, money as formatMoney, PRIORITIES } from '../lib/format';
import { fieldMessage } from '../lib/messages';
import { navigate, useTitle } from '../lib/router';
import { checkMoney, checkText, checkTimeline, CURRENCIES, CUSTOMER_NAME_MAX, DESCRIPTION_MAX, Problems, REASON_MAX, TITLE_MAX } from '../lib/validate';
import { described, ErrorSummary, Field, Loading, ProblemBanner } from '../ui';

export interface FormState {
  customerMode: 'existing' | 'new';
  customerId: string;
  /** The chosen existing customer's name (shown; not sent). */
  customerLabel: string;
  customerName: string;
  title: string;
  description: string;
  priority: string;
  amount: string;
  currency: string;
  hasTimeline: boolean;
  startDate: string;
  endMode: 'end_date' | 'duration_days';
  endDate: string;
  durationDays: string;
  flexible: boolean;
  specificDays: string;
  reason: string;
}

const EMPTY: FormState = {
  customerMode: 'existing',
  customerId: '',
  customerLabel: '',
  customerName: '',
  title: '',
  description: '',
  priority: 'medium',
  amount: '',
  currency: 'EUR',
  hasTimeline: false,
  startDate: '',
  endMode: 'duration_days',
  endDate: '',
  durationDays: '',
  flexible: false,
  specificDays: '',
  reason: '',
};

function fromOpportunity(o: Opportunity): FormState {
  const t = o.timeline;
  return {
    ...EMPTY,
    customerId: o.customer.id,
    customerLabel: o.customer.name,
    title: o.title,
    description: o.description,
    priority: o.priority,
    amount: o.annual_recurring_revenue.amount,
    currency: o.annual_recurring_revenue.currency,
    hasTimeline: !!t,
    startDate: t?.start_date ?? '',
    endMode: t?.end_date ? 'end_date' : 'duration_days',
    endDate: t?.end_date ?? '',
    durationDays: t?.duration_days != null ? String(t.duration_days) : '',
    flexible: t?.flexible ?? false,
    specificDays: (t?.specific_days ?? []).join(', '),
  };
}

function specificDays(f: FormState): string[] {
  return f.specificDays
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);
}

function timelineOf(f: FormState) {
  if (!f.hasTimeline) return null;
  const days = specificDays(f);
  return {
    start_date: f.startDate,
    flexible: f.flexible,
    ...(f.endMode === 'end_date' ? { end_date: f.endDate } : { duration_days: Number(f.durationDays.trim()) }),
    ...(days.length ? { specific_days: days } : {}),
  };
}

/** The parts of the form a conflict is resolved by, each with the fields it is made of. */
const GROUPS: { key: string; label: string; fields: (keyof FormState)[]; show: (f: FormState) => string }[] = [
  {
    key: 'customer',
    label: 'Customer',
    fields: ['customerMode', 'customerId', 'customerName'],
    show: (f) => (f.customerMode === 'new' ? `New customer: ${f.customerName}` : f.customerLabel || '—'),
  },
  { key: 'title', label: 'Title', fields: ['title'], show: (f) => f.title },
  { key: 'description', label: 'Description', fields: ['description'], show: (f) => f.description },
  { key: 'priority', label: 'Priority', fields: ['priority'], show: (f) => label(f.priority) },
  {
    key: 'arr',
    label: 'Annual recurring revenue',
    fields: ['amount', 'currency'],
    show: (f) => (f.amount ? formatMoney({ amount: f.amount, currency: f.currency }) : '—'),
  },
  {
    key: 'timeline',
    label: 'Timeline',
    fields: ['hasTimeline', 'startDate', 'endMode', 'endDate', 'durationDays', 'flexible', 'specificDays'],
    show: (f) => {
      const t = timelineOf(f);
      if (!t) return 'No timeline';
      return `${t.start_date} → ${'end_date' in t ? t.end_date : `${f.durationDays} days`}${t.flexible ? ' (flexible)' : ''}`;
    },
  },
];

function same(a: FormState, b: FormState, fields: (keyof FormState)[]): boolean {
  // Only the fields that matter for what is sent: an unused end date does not count.
  const norm = (f: FormState) => JSON.stringify(fields.map((k) => (k === 'specificDays' ? specificDays(f) : f[k])));
  return norm(a) === norm(b);
}

function changedFrom(base: FormState, f: FormState): boolean {
  return GROUPS.some((g) => !same(base, f, g.fields)) || f.reason.trim() !== '';
}

/** Every problem the console can find before the round trip, in the server's words. */
function check(f: FormState, editing: boolean, draft: boolean): FieldError[] {
  const p = new Problems();
  if (draft) {
    if (f.customerMode === 'existing' && !f.customerId) p.add('customer', 'is required');
    if (f.customerMode === 'new') checkText(p, 'customer.name', f.customerName, CUSTOMER_NAME_MAX);
  }
  checkText(p, 'title', f.title, TITLE_MAX);
  checkText(p, 'description', f.description, DESCRIPTION_MAX, true);
  checkMoney(p, 'annual_recurring_revenue', f.amount.trim(), f.currency.trim().toUpperCase());
  if (f.hasTimeline) checkTimeline(p, { ...f, specificDays: specificDays(f) });
  if (editing && !draft) checkText(p, 'reason', f.reason, REASON_MAX, true);
  return p.list;
}

/** Where each API field of this form is on the screen (null: nowhere; the summary still lists it). */
function target(f: FormState, field: string): string | null {
  if (field === 'customer' || field.startsWith('customer.')) return f.customerMode === 'new' ? 'customer-name' : 'customer-id';
  if (field === 'title' || field === 'description' || field === 'priority' || field === 'reason') return field;
  if (field === 'annual_recurring_revenue.currency') return 'arr-currency';
  if (field.startsWith('annual_recurring_revenue')) return 'arr-amount';
  if (!field.startsWith('timeline')) return null;
  if (!f.hasTimeline || field === 'timeline') return 'has-timeline';
  if (field === 'timeline.start_date') return 'start-date';
  if (field === 'timeline.end_date' || field === 'timeline.duration_days') return f.endMode === 'end_date' ? 'end-date' : 'duration-days';
  if (field.startsWith('timeline.specific_days')) return 'specific-days';
  if (field === 'timeline.flexible') return 'flexible';
  return 'start-date';
}

interface Conflict {
  server: Opportunity;
  serverEtag: string | null;
  serverForm: FormState;
  /** What the user's edit started from, and the edit. */
  base: FormState;
  mine: FormState;
  /** The version `base` was read from. */
  baseVersion: number;
  choice: Record<string, 'mine' | 'server'>;
}

function conflictOf(server: Opportunity, serverEtag: string | null, base: FormState, mine: FormState, baseVersion: number): Conflict {
  const serverForm = fromOpportunity(server);
  const choice: Record<string, 'mine' | 'server'> = {};
  GROUPS.forEach((g) => (choice[g.key] = same(base, mine, g.fields) ? 'server' : 'mine'));
  return { server, serverEtag, serverForm, base, mine, baseVersion, choice };
}

function merged(c: Conflict): FormState {
  const next: FormState = { ...c.serverForm, reason: c.mine.reason };
  for (const g of GROUPS) if (c.choice[g.key] === 'mine') for (const k of g.fields) (next as unknown as Record<string, unknown>)[k] = c.mine[k];
  if (c.choice.customer === 'mine') next.customerLabel = c.mine.customerLabel;
  return next;
}

export function OpportunityForm({ id }: { id?: string }) {
  const editing = !!id;
  const user = session()?.sub ?? '';
  const scope = `opportunity.${id ?? 'new'}`;
  const [form, setForm] = useState<FormState>(EMPTY);
  const [base, setBase] = useState<FormState>(EMPTY);
  const [original, setOriginal] = useState<Opportunity | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [serverErrors, setServerErrors] = useState<FieldError[]>([]);
  const [attempt, setAttempt] = useState(0);
  const attempted = attempt > 0;
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [notice, setNotice] = useState('');
  const [ready, setReady] = useState(!editing);
  const idempotencyKey = useMemo(() => crypto.randomUUID(), []);
  useTitle(editing ? 'Edit' : 'New opportunity', original?.title);

  // The saved version, and a draft this tab kept of an edit in progress (after a reload or a
  // sign-in renewal): restored as it was, or, when the opportunity changed meanwhile, offered
  // field by field against the new version.
  useEffect(() => {
    const draft = loadDraft<FormState>(user, scope);
    if (!editing) {
      if (draft && changedFrom(EMPTY, draft.value)) {
        setForm(draft.value);
        setNotice('Your unsaved entries were restored.');
      }
      return;
    }
    getOpportunity(id!).then(({ data, etag }) => {
      const saved = fromOpportunity(data);
      setOriginal(data);
      setEtag(etag);
      setBase(saved);
      if (draft && changedFrom(draft.base, draft.value)) {
        if (draft.version === data.version) {
          setForm(draft.value);
          setNotice('Your unsaved changes were restored.');
        } else {
          setForm(draft.value);
          setConflict(conflictOf(data, etag, draft.base, draft.value, draft.version));
        }
      } else setForm(saved);
      setReady(true);
    }, setProblem);
  }, [id]);

  const dirty = ready && changedFrom(conflict ? conflict.base : base, form);
  useEffect(() => {
    if (!ready) return;
    setUnsaved('details', dirty);
    if (dirty) saveDraft(user, scope, { base: conflict ? conflict.base : base, value: form, version: conflict ? conflict.baseVersion : (original?.version ?? 0) });
    else dropDraft(user, scope);
  }, [form, base, ready, conflict]);
  useEffect(() => () => setUnsaved('details', false), []);

  if (editing && !ready) return problem ? <ProblemBanner problem={problem} /> : <Loading />;

  const draftStatus = !original || original.status === 'draft';
  const customerLocked = editing && !draftStatus;
  const clientErrors = check(form, editing, draftStatus);
  // The console's findings for the fields the user has left (or all, after a save attempt), and
  // what the server answered that the console does not check itself.
  const shownClient = attempted ? clientErrors : clientErrors.filter((e) => touched.has(target(form, e.field) ?? ''));
  const seen = new Set(shownClient.map((e) => fieldMessage(e.field, e.message)));
  const errors = [...shownClient, ...serverErrors.filter((e) => !seen.has(fieldMessage(e.field, e.message)))];
  const at = (elementId: string) => errors.filter((e) => target(form, e.field) === elementId).map((e) => fieldMessage(e.field, e.message));

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setNotice('');
  };
  const text = (key: keyof FormState) => (e: Event) => set(key, (e.currentTarget as HTMLInputElement).value as never);
  const leave = (e: FocusEvent) => {
    const elementId = (e.target as HTMLElement | null)?.id;
    if (elementId && !touched.has(elementId)) setTouched(new Set([...touched, elementId]));
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setAttempt((a) => a + 1);
    setProblem(null);
    setServerErrors([]);
    setNotice('');
    if (clientErrors.length) return;
    setBusy(true);
    const customer = form.customerMode === 'new' ? { name: form.customerName.trim() } : { id: form.customerId };
    const arr = { amount: form.amount.trim(), currency: form.currency.trim().toUpperCase() };
    try {
      if (!editing) {
        const body: Record<string, unknown> = {
          customer,
          title: form.title,
          description: form.description,
          priority: form.priority,
          annual_recurring_revenue: arr,
        };
        const timeline = timelineOf(form);
        if (timeline) body.timeline = timeline;
        const { data } = await createOpportunity(body, idempotencyKey);
        dropDraft(user, scope);
        setUnsaved('details', false);
        navigate(`/opportunities/${data.id}`, false, true);
      } else if (original) {
        const patch: Record<string, unknown> = {};
        if (draftStatus && !same(base, form, GROUPS[0].fields)) patch.customer = customer;
        if (form.title !== base.title) patch.title = form.title;
        if (form.description !== base.description) patch.description = form.description;
        if (form.priority !== base.priority) patch.priority = form.priority;
        if (arr.amount !== base.amount || arr.currency !== base.currency) patch.annual_recurring_revenue = arr;
        if (JSON.stringify(timelineOf(form)) !== JSON.stringify(timelineOf(base))) patch.timeline = timelineOf(form);
        const changes = Object.keys(patch).length;
        if (!draftStatus) patch.reason = form.reason;
        if (!changes) {
          dropDraft(user, scope);
          setUnsaved('details', false);
          navigate(`/opportunities/${id}`, false, true);
          return;
        }
        const { data } = await updateOpportunity(id!, patch, etag);
        dropDraft(user, scope);
        setUnsaved('details', false);
        navigate(`/opportunities/${data.id}`, false, true);
      }
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 412 && editing) {
        // Someone saved a newer version: compare it with this edit, field by field.
        try {
          const { data, etag: fresh } = await getOpportunity(id!);
          setConflict(conflictOf(data, fresh, base, form, original?.version ?? 0));
        } catch (again) {
          setProblem(again);
        }
      } else if (e instanceof ApiProblem && e.errors.length) {
        setServerErrors(e.errors);
        setProblem(e);
      } else setProblem(e);
    } finally {
      setBusy(false);
    }
  };

  const resolve = (choice?: 'mine' | 'server') => {
    if (!conflict) return;
    const c = choice ? { ...conflict, choice: Object.fromEntries(GROUPS.map((g) => [g.key, choice])) } : conflict;
    const next = merged(c);
    setOriginal(c.server);
    setEtag(c.serverEtag);
    setBase(c.serverForm);
    setForm(next);
    setConflict(null);
    setProblem(null);
    setNotice(changedFrom(c.serverForm, next) ? 'Your choices are applied on the latest version. Save to store them.' : 'The form shows the latest version.');
  };

  // The summary after a save attempt; before it, problems show beside the fields left.
  const summaryErrors = attempted ? errors : [];
  const required = (elementId: string) => described(elementId, at(elementId), false, true);

  return (
    <>
      <h1>{editing ? `Edit “${original?.title}”` : 'New opportunity'}</h1>
      <p class="hint">
        Fields marked <span class="required">(required)</span> must be filled in.
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {conflict && <ConflictPanel conflict={conflict} onChange={setConflict} onResolve={resolve} />}
      <ErrorSummary errors={summaryErrors} target={(f) => target(form, f)} attempt={attempt} />
      <ProblemBanner problem={problem} fieldsShown />
      <form onSubmit={save} noValidate class="form" onFocusOut={leave}>
        <fieldset disabled={customerLocked}>
          <legend>
            Customer<span class="required"> (required)</span>
          </legend>
          {customerLocked && <p class="hint">The customer can only change while the opportunity is a draft.</p>}
          <div class="radio-row">
            <label class="choice">
              <input type="radio" name="customer-mode" checked={form.customerMode === 'existing'} onChange={() => set('customerMode', 'existing')} />
              Existing customer
            </label>
            <label class="choice">
              <input type="radio" name="customer-mode" checked={form.customerMode === 'new'} onChange={() => set('customerMode', 'new')} />
              New customer
            </label>
          </div>
          {form.customerMode === 'existing' ? (
            <CustomerPicker
              id="customer-id"
              label="Customer"
              required
              hint="Type part of the name and pick the customer from the list."
              errors={at('customer-id')}
              value={form.customerId ? { id: form.customerId, name: form.customerLabel } : null}
              onChange={(c) => {
                setForm((f) => ({ ...f, customerId: c?.id ?? '', customerLabel: c?.name ?? '' }));
                setNotice('');
              }}
            />
          ) : (
            <Field id="customer-name" label="New customer's name" errors={at('customer-name')} required>
              <input {...required('customer-name')} maxLength={CUSTOMER_NAME_MAX} value={form.customerName} onInput={text('customerName')} />
            </Field>
          )}
        </fieldset>

        <Field id="title" label="Title" errors={at('title')} required>
          <input {...required('title')} value={form.title} onInput={text('title')} />
        </Field>
        <Field id="description" label="Description" errors={at('description')} required hint={`Up to ${DESCRIPTION_MAX.toLocaleString('en')} characters.`}>
          <textarea {...described('description', at('description'), true, true)} rows={4} value={form.description} onInput={text('description')} />
        </Field>
        <Field id="priority" label="Priority" errors={at('priority')}>
          <select {...described('priority', at('priority'))} value={form.priority} onChange={text('priority')}>
            {PRIORITIES.map((p) => (
              <option value={p} key={p}>
                {label(p)}
              </option>
            ))}
          </select>
        </Field>
        <fieldset>
          <legend>
            Annual recurring revenue<span class="required"> (required)</span>
          </legend>
          <div class="row">
            <Field id="arr-amount" label="Amount" errors={at('arr-amount')} hint="A number such as 125000.00">
              <input {...described('arr-amount', at('arr-amount'), true, true)} inputMode="decimal" value={form.amount} onInput={text('amount')} />
            </Field>
            <Field id="arr-currency" label="Currency" errors={at('arr-currency')} hint="Such as EUR, USD or GBP">
              <input
                {...described('arr-currency', at('arr-currency'), true, true)}
                maxLength={3}
                size={4}
                list="currencies"
                autocapitalize="characters"
                value={form.currency}
                onInput={(e) => set('currency', e.currentTarget.value.toUpperCase())}
              />
              <datalist id="currencies">
                {CURRENCIES.map((c) => (
                  <option value={c} key={c} />
                ))}
              </datalist>
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>Timeline</legend>
          <p class="hint">Needed before the opportunity can be submitted for matching.</p>
          <label class="choice">
            <input
              type="checkbox"
              id="has-timeline"
              checked={form.hasTimeline}
              aria-describedby={at('has-timeline').length ? 'has-timeline-error' : undefined}
              onChange={(e) => set('hasTimeline', e.currentTarget.checked)}
            />{' '}
            This opportunity has a timeline
          </label>
          {at('has-timeline').length > 0 && (
            <div id="has-timeline-error">
              {at('has-timeline').map((m) => (
                <p class="field-error" key={m}>
                  {m}
                </p>
              ))}
            </div>
          )}
          {form.hasTimeline && (
            <>
              <Field id="start-date" label="Start date" errors={at('start-date')} required>
                <input {...required('start-date')} type="date" value={form.startDate} onInput={text('startDate')} />
              </Field>
              <div class="radio-row" role="radiogroup" aria-label="End of the timeline">
                <label class="choice">
                  <input type="radio" name="end-mode" checked={form.endMode === 'duration_days'} onChange={() => set('endMode', 'duration_days')} />
                  Duration in days
                </label>
                <label class="choice">
                  <input type="radio" name="end-mode" checked={form.endMode === 'end_date'} onChange={() => set('endMode', 'end_date')} />
                  End date
                </label>
              </div>
              {form.endMode === 'duration_days' ? (
                <Field id="duration-days" label="Duration (days)" errors={at('duration-days')} required hint="From 1 to 3,650 days.">
                  <input {...described('duration-days', at('duration-days'), true, true)} inputMode="numeric" value={form.durationDays} onInput={text('durationDays')} />
                </Field>
              ) : (
                <Field id="end-date" label="End date" errors={at('end-date')} required>
                  <input {...required('end-date')} type="date" value={form.endDate} onInput={text('endDate')} />
                </Field>
              )}
              <label class="choice">
                <input type="checkbox" id="flexible" checked={form.flexible} onChange={(e) => set('flexible', e.currentTarget.checked)} /> The dates are flexible
              </label>
              <Field id="specific-days" label="Specific days (optional)" errors={at('specific-days')} hint="Dates within the timeline, separated by commas: 2027-02-03, 2027-02-10">
                <input {...described('specific-days', at('specific-days'), true)} value={form.specificDays} onInput={text('specificDays')} />
              </Field>
            </>
          )}
        </fieldset>
        {editing && !draftStatus && (
          <Field id="reason" label="Reason for the change" errors={at('reason')} required hint="Needed once the opportunity is no longer a draft; kept in the history.">
            <textarea {...described('reason', at('reason'), true, true)} rows={2} value={form.reason} onInput={text('reason')} />
          </Field>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !!conflict}>
            {editing ? 'Save changes' : 'Create draft'}
          </button>
          <a class="button" href={editing ? `/opportunities/${id}` : '/'}>
            Cancel
          </a>
          {dirty && !conflict && (
            <button
              type="button"
              class="link"
              onClick={() => {
                if (!window.confirm('Discard your changes to this form?')) return;
                setForm(base);
                setServerErrors([]);
                setAttempt(0);
                setTouched(new Set());
                setNotice('Your changes were discarded.');
              }}
            >
              Discard my changes
            </button>
          )}
        </div>
      </form>
    </>
  );
}

/** After a 412: what changed on the server and what the user changed, field by field, with a
 * choice for each (keep mine, re-applied on the new version; or take the server's). */
function ConflictPanel({ conflict, onChange, onResolve }: { conflict: Conflict; onChange: (c: Conflict) => void; onResolve: (all?: 'mine' | 'server') => void }) {
  const rows = GROUPS.filter((g) => !same(conflict.serverForm, conflict.mine, g.fields));
  const pick = (key: string, value: 'mine' | 'server') => onChange({ ...conflict, choice: { ...conflict.choice, [key]: value } });
  return (
    <section class="conflict" aria-labelledby="conflict-h" data-testid="conflict">
      <h2 id="conflict-h" tabIndex={-1} ref={(h) => h?.focus()}>
        Someone else changed this opportunity
      </h2>
      <p>
        It was saved again (version {conflict.server.version}) while you were editing. Your changes are kept. Choose, for each
        difference, which one to keep.
      </p>
      {rows.length === 0 ? (
        <p>The other changes do not touch what you changed.</p>
      ) : (
        <div class="table-scroll">
          <table class="list cards conflict-table">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">On the server now</th>
                <th scope="col">Yours</th>
                <th scope="col">Keep</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((g) => {
                const theirs = !same(conflict.base, conflict.serverForm, g.fields);
                const mine = !same(conflict.base, conflict.mine, g.fields);
                return (
                  <tr key={g.key} data-testid={`conflict-${g.key}`}>
                    <th scope="row" data-label="Field">
                      {g.label}
                    </th>
                    <td data-label="On the server now" class="prewrap">
                      {g.show(conflict.serverForm)}
                      {theirs && <span class="changed"> (changed there)</span>}
                    </td>
                    <td data-label="Yours" class="prewrap">
                      {g.show(conflict.mine)}
                      {mine && <span class="changed"> (changed by you)</span>}
                    </td>
                    <td data-label="Keep">
                      <fieldset class="inline">
                        <legend class="sr-only">Keep for {g.label}</legend>
                        <label class="choice">
                          <input type="radio" name={`keep-${g.key}`} checked={conflict.choice[g.key] === 'mine'} onChange={() => pick(g.key, 'mine')} /> Mine
                        </label>
                        <label class="choice">
                          <input type="radio" name={`keep-${g.key}`} checked={conflict.choice[g.key] === 'server'} onChange={() => pick(g.key, 'server')} /> Server’s
                        </label>
                      </fieldset>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div class="actions">
        <button type="button" class="primary" onClick={() => onResolve()}>
          Use these choices
        </button>
        <button type="button" onClick={() => onResolve('mine')}>
          Keep all of mine
        </button>
        <button type="button" onClick={() => onResolve('server')}>
          Take all of the server’s
        </button>
      </div>
    </section>
  );
}
