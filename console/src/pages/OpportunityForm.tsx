import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiProblem, type CustomerRef, type Opportunity, type Page } from '../lib/api';
import { label, PRIORITIES } from '../lib/format';
import { navigate } from '../lib/router';
import { described, errorsFor, Field, Loading, ProblemBanner } from '../ui';

interface FormState {
  customerMode: 'existing' | 'new';
  customerId: string;
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
    customerName: '',
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

/** The number as typed, when it is a whole number; otherwise the text, for the API to refuse. */
function integer(text: string): number | string {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}

function timelineOf(f: FormState) {
  if (!f.hasTimeline) return null;
  const days = f.specificDays
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);
  return {
    start_date: f.startDate,
    flexible: f.flexible,
    ...(f.endMode === 'end_date' ? { end_date: f.endDate } : { duration_days: integer(f.durationDays) }),
    ...(days.length ? { specific_days: days } : {}),
  };
}

export function OpportunityForm({ id }: { id?: string }) {
  const editing = !!id;
  const [form, setForm] = useState<FormState>(EMPTY);
  const [original, setOriginal] = useState<Opportunity | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [customers, setCustomers] = useState<CustomerRef[]>([]);
  const [customerQuery, setCustomerQuery] = useState('');
  const idempotencyKey = useMemo(() => crypto.randomUUID(), []);

  const load = () =>
    api<Opportunity>(`/v1/opportunities/${id}`).then(
      ({ data, etag }) => {
        setOriginal(data);
        setEtag(etag);
        setForm(fromOpportunity(data));
        setProblem(null);
      },
      setProblem,
    );
  useEffect(() => {
    if (editing) void load();
  }, [id]);
  useEffect(() => {
    const handle = window.setTimeout(() => {
      api<Page<CustomerRef>>('/v1/customers', { query: { q: customerQuery.trim(), limit: 50 } }).then(
        ({ data }) => setCustomers(data.items),
        () => setCustomers([]),
      );
    }, 200);
    return () => window.clearTimeout(handle);
  }, [customerQuery]);

  if (editing && !original) return problem ? <ProblemBanner problem={problem} /> : <Loading />;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const text = (key: keyof FormState) => (e: Event) => set(key, (e.currentTarget as HTMLInputElement).value as never);
  const err = (...fields: string[]) => errorsFor(problem, ...fields);
  const draft = !original || original.status === 'draft';
  const customerLocked = editing && !draft;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const customer = form.customerMode === 'new' ? { name: form.customerName } : { id: form.customerId };
    const money = { amount: form.amount.trim(), currency: form.currency.trim().toUpperCase() };
    try {
      if (!editing) {
        if (form.customerMode === 'existing' && !form.customerId) {
          throw new ApiProblem(422, 'validation_failed', 'Pick a customer or create a new one.', null, [
            { field: 'customer', message: 'is required: pick one or choose "New customer"' },
          ]);
        }
        const body: Record<string, unknown> = {
          customer,
          title: form.title,
          description: form.description,
          priority: form.priority,
          annual_recurring_revenue: money,
        };
        const timeline = timelineOf(form);
        if (timeline) body.timeline = timeline;
        const { data } = await api<Opportunity>('/v1/opportunities', { method: 'POST', body, idempotencyKey });
        navigate(`/opportunities/${data.id}`);
      } else if (original) {
        const before = fromOpportunity(original);
        const patch: Record<string, unknown> = {};
        if (draft && (form.customerMode === 'new' || form.customerId !== original.customer.id)) patch.customer = customer;
        if (form.title !== before.title) patch.title = form.title;
        if (form.description !== before.description) patch.description = form.description;
        if (form.priority !== before.priority) patch.priority = form.priority;
        if (money.amount !== before.amount || money.currency !== before.currency) patch.annual_recurring_revenue = money;
        if (JSON.stringify(timelineOf(form)) !== JSON.stringify(timelineOf(before))) patch.timeline = timelineOf(form);
        if (!draft) patch.reason = form.reason;
        const { data } = await api<Opportunity>(`/v1/opportunities/${id}`, {
          method: 'PATCH',
          body: patch,
          ifMatch: etag,
          contentType: 'application/merge-patch+json',
        });
        navigate(`/opportunities/${data.id}`);
      }
    } catch (e) {
      setProblem(e);
      // The first field with a message gets the focus, so a keyboard user lands on it.
      window.setTimeout(() => (document.querySelector('[aria-invalid="true"]') as HTMLElement | null)?.focus(), 0);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>{editing ? `Edit “${original?.title}”` : 'New opportunity'}</h1>
      <ProblemBanner problem={problem} onReload={editing ? load : undefined} />
      <form onSubmit={submit} noValidate class="form">
        <fieldset disabled={customerLocked}>
          <legend>Customer</legend>
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
            <>
              <Field id="customer-search" label="Find a customer">
                <input id="customer-search" type="search" value={customerQuery} onInput={(e) => setCustomerQuery(e.currentTarget.value)} />
              </Field>
              <Field id="customer-id" label="Customer" errors={err('customer', 'customer.id')}>
                <select {...described('customer-id', err('customer', 'customer.id'))} value={form.customerId} onChange={text('customerId')}>
                  <option value="">Choose…</option>
                  {original && !customers.some((c) => c.id === original.customer.id) && (
                    <option value={original.customer.id}>{original.customer.name}</option>
                  )}
                  {customers.map((c) => (
                    <option value={c.id} key={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </Field>
            </>
          ) : (
            <Field id="customer-name" label="New customer's name" errors={err('customer', 'customer.name')}>
              <input {...described('customer-name', err('customer', 'customer.name'))} value={form.customerName} onInput={text('customerName')} />
            </Field>
          )}
        </fieldset>

        <Field id="title" label="Title" errors={err('title')}>
          <input {...described('title', err('title'))} value={form.title} onInput={text('title')} />
        </Field>
        <Field id="description" label="Description" errors={err('description')}>
          <textarea {...described('description', err('description'))} rows={4} value={form.description} onInput={text('description')} />
        </Field>
        <Field id="priority" label="Priority" errors={err('priority')}>
          <select {...described('priority', err('priority'))} value={form.priority} onChange={text('priority')}>
            {PRIORITIES.map((p) => (
              <option value={p} key={p}>
                {label(p)}
              </option>
            ))}
          </select>
        </Field>
        <fieldset>
          <legend>Annual recurring revenue</legend>
          <div class="row">
            <Field id="arr-amount" label="Amount" errors={err('annual_recurring_revenue', 'annual_recurring_revenue.amount')} hint="Decimal, e.g. 125000.00">
              <input
                {...described('arr-amount', err('annual_recurring_revenue', 'annual_recurring_revenue.amount'), true)}
                inputMode="decimal"
                value={form.amount}
                onInput={text('amount')}
              />
            </Field>
            <Field id="arr-currency" label="Currency" errors={err('annual_recurring_revenue.currency')} hint="ISO 4217, e.g. EUR">
              <input
                {...described('arr-currency', err('annual_recurring_revenue.currency'), true)}
                maxLength={3}
                size={4}
                value={form.currency}
                onInput={text('currency')}
              />
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>Timeline</legend>
          <label class="choice">
            <input type="checkbox" checked={form.hasTimeline} onChange={(e) => set('hasTimeline', e.currentTarget.checked)} /> This opportunity has a timeline
          </label>
          {err('timeline').length > 0 && !form.hasTimeline && <p class="field-error">{err('timeline').join('; ')}</p>}
          {form.hasTimeline && (
            <>
              <Field id="start-date" label="Start date" errors={err('timeline.start_date')}>
                <input {...described('start-date', err('timeline.start_date'))} type="date" value={form.startDate} onInput={text('startDate')} />
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
                <Field id="duration-days" label="Duration (days)" errors={err('timeline.duration_days', 'timeline')}>
                  <input {...described('duration-days', err('timeline.duration_days', 'timeline'))} inputMode="numeric" value={form.durationDays} onInput={text('durationDays')} />
                </Field>
              ) : (
                <Field id="end-date" label="End date" errors={err('timeline.end_date', 'timeline')}>
                  <input {...described('end-date', err('timeline.end_date', 'timeline'))} type="date" value={form.endDate} onInput={text('endDate')} />
                </Field>
              )}
              <label class="choice">
                <input type="checkbox" checked={form.flexible} onChange={(e) => set('flexible', e.currentTarget.checked)} /> The dates are flexible
              </label>
              <Field id="specific-days" label="Specific days (optional)" errors={err('timeline.specific_days')} hint="Dates within the timeline, separated by commas: 2027-02-03, 2027-02-10">
                <input {...described('specific-days', err('timeline.specific_days'), true)} value={form.specificDays} onInput={text('specificDays')} />
              </Field>
            </>
          )}
        </fieldset>
        {editing && !draft && (
          <Field id="reason" label="Reason for the change" errors={err('reason')} hint="Required once the opportunity is no longer a draft; kept in the history.">
            <textarea {...described('reason', err('reason'), true)} rows={2} value={form.reason} onInput={text('reason')} />
          </Field>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {editing ? 'Save changes' : 'Create draft'}
          </button>
          <a class="button" href={editing ? `/opportunities/${id}` : '/'}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
