/** Every word the console says about a problem, in one place: a plain sentence for each problem
 * `code` the API answers with (openapi.json lists them; e2e/words.spec.ts fails on one without a
 * sentence here), a label for each field of its requests, and a translation of each field
 * message the server writes (shared/src/domain/validation.rs, opportunity.rs, money.rs,
 * handlers/input.rs, http/body.rs). The console's own checks (lib/validate.ts) produce the
 * server's raw messages and pass them through the same {@link fieldMessage}, so that a mistake
 * reads the same whether the browser or the server found it. No DOM here: the tests import it. */

/** What happened, for each problem `code`, in the words of a Sales Manager. */
export const CODE_SENTENCES: Record<string, string> = {
  validation_failed: 'Some details need your attention before this can be saved.',
  stale_version: 'Someone else changed this opportunity after you opened it.',
  concurrent_modification: 'Someone else saved a change at the same moment. Try again.',
  not_found: 'This does not exist, or your account cannot see it.',
  forbidden: 'Your account is not allowed to do this.',
  unauthenticated: 'Your sign-in has ended. Sign in again; your changes in this tab are kept.',
  opportunity_closed: 'This opportunity is completed or cancelled, so it can no longer be changed.',
  field_locked: 'This detail can no longer be changed at this stage of the opportunity.',
  illegal_transition: 'This step is not possible from the opportunity’s current status.',
  reactivation_window_closed: 'The time to reactivate this cancelled opportunity has passed.',
  attachment_limit_reached: 'This opportunity has as many attachments as it can hold. Delete one to add another.',
  already_exists: 'There is already one with this name.',
  idempotency_key_reused: 'This was already sent once with other details. Reload the page and try again.',
  invalid_idempotency_key: 'The console sent a request the server could not accept. Reload the page and try again.',
  invalid_parameter: 'A filter or the address of this page is not valid. Check the filters and try again.',
  invalid_cursor: 'The list changed while you were paging through it. Start again from the first page.',
  malformed_json: 'The console sent a request the server could not read. Reload the page and try again.',
  empty_body: 'The console sent an empty request. Reload the page and try again.',
  unsupported_media_type: 'The console sent a request in a form the server does not accept. Reload the page and try again.',
  payload_too_large: 'This is too large to send in one go. Shorten it and try again.',
  rate_limited: 'You have made a great many requests in the last minute. Wait a moment, then try again; your changes are kept.',
  internal_error: 'Something went wrong on the server. Try again in a moment; if it keeps happening, contact support.',
  // The console's own codes, for what never reached the API or came back from the storage.
  network_error: 'The server cannot be reached; your changes are kept. Try again when the connection is back.',
  upload_failed: 'The file could not be uploaded. Try again.',
};

/** A short heading for a problem, by HTTP status (0: the request never got an answer). */
export function problemTitle(status: number): string {
  if (status === 0) return 'Offline';
  if (status === 401) return 'Signed out';
  if (status === 403) return 'Not allowed';
  if (status === 404) return 'Not found';
  if (status === 409) return 'Not possible now';
  if (status === 412) return 'Changed by someone else';
  if (status === 422) return 'Please check the details';
  if (status === 429) return 'Too many requests';
  if (status >= 500) return 'Server problem';
  return 'Not accepted';
}

/** The sentence for a code; for a code this console does not know, one by status. */
export function codeSentence(code: string, status: number): string {
  const known = CODE_SENTENCES[code];
  if (known) return known;
  if (status >= 500) return CODE_SENTENCES.internal_error;
  if (status === 0) return CODE_SENTENCES.network_error;
  return 'The server did not accept this. The details for support are below.';
}

/** The name of each field of the API's requests and of its query parameters, as the screens call
 * it. Keys are paths with list positions written `[]` (`items[].custom_name`); a path not listed
 * falls back to its last part. */
export const FIELD_LABELS: Record<string, string> = {
  customer: 'Customer',
  'customer.id': 'Customer',
  'customer.name': "New customer's name",
  title: 'Title',
  description: 'Description',
  priority: 'Priority',
  annual_recurring_revenue: 'Annual recurring revenue',
  'annual_recurring_revenue.amount': 'Amount',
  'annual_recurring_revenue.currency': 'Currency',
  amount: 'Amount',
  currency: 'Currency',
  timeline: 'Timeline',
  'timeline.start_date': 'Start date',
  'timeline.end_date': 'End date',
  'timeline.duration_days': 'Duration',
  'timeline.flexible': 'Flexible dates',
  'timeline.specific_days': 'Specific days',
  'timeline.specific_days[]': 'Specific day',
  start_date: 'Start date',
  end_date: 'End date',
  duration_days: 'Duration',
  flexible: 'Flexible dates',
  specific_days: 'Specific days',
  'specific_days[]': 'Specific day',
  problem_statement: 'Problem statement',
  markdown: 'Problem statement',
  skill_requirements: 'Skill requirements',
  items: 'Skill requirements',
  'items[]': 'Skill',
  'items[].skill_id': 'Catalog skill',
  'items[].custom_name': 'Skill name',
  'items[].category': 'Category',
  'items[].importance': 'Importance',
  'items[].min_proficiency': 'Minimum proficiency',
  skill_id: 'Catalog skill',
  custom_name: 'Skill name',
  category: 'Category',
  importance: 'Importance',
  min_proficiency: 'Minimum proficiency',
  reason: 'Reason',
  name: 'Name',
  file_name: 'File name',
  content_type: 'File type',
  size_bytes: 'File size',
  sha256: 'File checksum',
  file: 'File',
  status: 'Status',
  owner_id: 'Owner',
  customer_id: 'Customer',
  created_from: 'Created from',
  created_to: 'Created before',
  q: 'Search',
  sort: 'Sort order',
  limit: 'Page size',
  cursor: 'Page',
  action: 'Action',
  subject_id: 'Person',
  user_id: 'Person',
  id: 'The address of this page',
  asset: 'The documentation page',
  download_links: 'Download links',
  '': 'The request',
};

/** `items[3].custom_name` as `items[].custom_name`. */
export function fieldPattern(field: string): string {
  return field.replace(/\[\d+\]/g, '[]');
}

export function fieldLabel(field: string): string {
  const pattern = fieldPattern(field);
  if (pattern in FIELD_LABELS) return FIELD_LABELS[pattern];
  const last = pattern.split('.').pop() ?? pattern;
  if (last in FIELD_LABELS) return FIELD_LABELS[last];
  const text = last.replace(/\[\]$/, '').replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const number = (text: string) => Number(text).toLocaleString('en');

/** A server field message (or the console's own, in the same words) as a plain sentence. The
 * patterns cover every message the API writes; anything else is shown with the field's label so
 * that it is never lost. */
export function fieldMessage(field: string, raw: string): string {
  const name = fieldLabel(field);
  const lower = name.charAt(0).toLowerCase() + name.slice(1);
  const rules: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/^is required$|^must not be blank$/, () => (isChoice(field) ? `Choose ${article(lower)}.` : `Enter ${article(lower)}.`)],
    [/^must be at most (\d+) characters \(got (\d+)\)$/, (m) => `${name} can be at most ${number(m[1])} characters; it has ${number(m[2])}.`],
    [/^must be at least (\d+) characters \(got (\d+)\)$/, (m) => `${name} needs at least ${number(m[1])} characters; it has ${number(m[2])}.`],
    [/^must be at most (\d+) characters and (\d+) bytes$/, (m) => `${name} can be at most ${number(m[1])} characters long.`],
    [/^must not contain control characters$|^must not contain the NUL character/, () => `${name} contains invisible characters that cannot be saved; retype it or paste it as plain text.`],
    [/^must be a non-negative decimal string/, () => 'Enter the amount as a number such as 125000.00, without currency signs, spaces or minus.'],
    [/^must have at most 0 decimal places$/, () => 'This currency has no cents: enter a whole amount.'],
    [/^must have at most (\d+) decimal places$/, (m) => `Use at most ${m[1]} digits after the decimal point for this currency.`],
    [/^must be at most (\d+)$/, (m) => `${name} can be at most ${number(m[1])}.`],
    [/^must be an ISO 4217 currency code/, () => 'Enter a currency code such as EUR, USD or GBP.'],
    [/^must be one of .*\//, () => 'This kind of file cannot be attached: attach a PDF, Word, Excel, PowerPoint or OpenDocument file, text, CSV, Markdown, PNG or JPEG.'],
    [/^must be one of /, () => `Choose ${article(lower)} from the list.`],
    [/^must be a UUID$|^must be the UUID of an existing customer$|^no such customer$/, () => `Choose ${article(lower)} from the list.`],
    [/^give either id or name$/, () => 'Pick an existing customer or enter the name of a new one.'],
    [/^give either end_date or duration_days, not both$/, () => 'Give either an end date or a duration, not both.'],
    [/^give either end_date or duration_days$/, () => 'Give an end date or a duration.'],
    [/^must be between 1 and (\d+)$/, (m) => `${name} must be between 1 and ${number(m[1])} days.`],
    [/^the timeline must end by/, () => 'The timeline must end by 31 December 9998.'],
    [/^must not be before start_date$/, () => 'The end date cannot be before the start date.'],
    [/^the timeline must be at most (\d+) days$/, (m) => `The timeline can be at most ${number(m[1])} days long.`],
    [/^must list at most (\d+) days$/, (m) => `List at most ${number(m[1])} specific days.`],
    [/^is listed twice$/, () => `${name} is listed twice.`],
    [/^must fall within the timeline$/, () => 'Each specific day must fall between the start and the end of the timeline.'],
    [/^must be a (real calendar )?date as YYYY-MM-DD$/, () => `Enter ${article(lower)} as a real date, such as 2027-02-01.`],
    [/^must be a date from/, () => `${name} must be between the years 1900 and 9998.`],
    [/^must be an RFC 3339 timestamp or a date/, () => `${name} must be a date, such as 2027-02-01.`],
    [/^a problem statement is required before submitting$/, () => 'Write the problem statement (at least 100 characters) and save it before submitting.'],
    [/^a timeline is required before submitting$/, () => 'Add a timeline (a start date and a duration or an end date) before submitting: Edit details.'],
    [/^at least one must_have skill requirement is required before submitting$/, () => 'Add at least one must-have skill and save the skills before submitting.'],
    [/^no such skill in the catalog$/, () => 'This skill is no longer in the catalog; choose another one.'],
    [/^give exactly one of skill_id and custom_name$/, () => 'Choose a catalog skill or type a custom skill name.'],
    [/^lists the same skill twice$/, () => 'This skill is listed twice; remove one.'],
    [/^must list at most (\d+) requirements$/, (m) => `List at most ${number(m[1])} skills.`],
    [/^cannot be removed once the opportunity is submitted$/, () => 'The timeline cannot be removed once the opportunity is submitted.'],
    [/^cannot be changed with PATCH/, () => `${name} is changed in its own section, not here.`],
    [/^the patch changes nothing/, () => 'Nothing was changed, so there is nothing to save.'],
    [/^must name a file$/, () => 'The file needs a name.'],
    [/^must be between 1 and (\d+) bytes/, () => 'The file must not be empty and can be at most 100 MiB.'],
    [/^must be 64 hexadecimal characters$/, () => 'The file could not be read to check it. Choose it again.'],
    [/^must be an object$|^must be a list$|^must be true or false$|^must be a string$|^must be a whole number within range$|^must be a number$/, () => `${name} could not be read. Reload the page and enter it again.`],
    [/^unknown field/, () => 'The console sent a detail the server does not know. Reload the page and try again.'],
    [/^invalid request$/, () => 'The request could not be read. Reload the page and try again.'],
  ];
  for (const [pattern, sentence] of rules) {
    const m = raw.match(pattern);
    if (m) return sentence(m);
  }
  return `${name}: ${raw.charAt(0).toUpperCase() + raw.slice(1)}${/[.!?]$/.test(raw) ? '' : '.'}`;
}

/** Whether a field message is one {@link fieldMessage} has a sentence for (the words test). */
export function hasSentence(field: string, raw: string): boolean {
  return !fieldMessage(field, raw).startsWith(`${fieldLabel(field)}: `);
}

const CHOICES = new Set(['customer', 'customer.id', 'priority', 'category', 'importance', 'min_proficiency', 'skill_id', 'status', 'file']);
function isChoice(field: string): boolean {
  const p = fieldPattern(field);
  return CHOICES.has(p) || CHOICES.has(p.split('.').pop() ?? '');
}

function article(noun: string): string {
  if (/^(the |a |an )/.test(noun)) return noun;
  if (/s$/.test(noun) && !/status$/.test(noun)) return `the ${noun}`;
  return `${/^[aeio]/.test(noun) ? 'an' : 'a'} ${noun}`;
}
