import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, signIn, test } from './helpers';
import { CODE_SENTENCES, FIELD_LABELS, fieldLabel, fieldMessage, fieldPattern, hasSentence } from '../src/lib/messages';

// The API's description, as the repository holds it (rendered from the fleet manifest).
const openapi = JSON.parse(readFileSync(join(process.cwd(), '..', 'openapi.json'), 'utf8'));

function walk(node: unknown, visit: (key: string, value: unknown, path: string) => void, path = '') {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, visit, `${path}[${i}]`));
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      visit(k, v, path);
      walk(v, visit, `${path}/${k}`);
    }
}

/** Every problem `code` any response of the API can carry (the `code` enums of its problems). */
function problemCodes(): string[] {
  const codes = new Set<string>();
  walk(openapi, (k, v) => {
    if (k === 'code' && v && typeof v === 'object' && Array.isArray((v as { enum?: unknown }).enum)) (v as { enum: string[] }).enum.forEach((c) => codes.add(c));
  });
  return [...codes].sort();
}

/** Every field of the API's request bodies (nested, lists as `[]`) and every query parameter. */
function requestFields(): string[] {
  const schemas = openapi.components.schemas as Record<string, { properties?: Record<string, unknown>; items?: unknown }>;
  const fields = new Set<string>();
  const resolve = (s: unknown): Record<string, unknown> | null => {
    if (!s || typeof s !== 'object') return null;
    const ref = (s as { $ref?: string }).$ref;
    if (ref) return resolve(schemas[ref.split('/').pop()!]);
    const one = (s as { oneOf?: unknown[]; anyOf?: unknown[]; allOf?: unknown[] }).oneOf ?? (s as { anyOf?: unknown[] }).anyOf ?? (s as { allOf?: unknown[] }).allOf;
    if (one) return one.map(resolve).find((x) => x && ((x as { properties?: unknown }).properties || (x as { items?: unknown }).items)) ?? null;
    return s as Record<string, unknown>;
  };
  const visit = (schema: unknown, prefix: string, depth: number) => {
    const s = resolve(schema);
    if (!s || depth > 6) return;
    if (s.items) visit(s.items, `${prefix}[]`, depth + 1);
    for (const [name, sub] of Object.entries((s.properties as Record<string, unknown>) ?? {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      fields.add(path);
      visit(sub, path, depth + 1);
    }
  };
  for (const item of Object.values(openapi.paths as Record<string, Record<string, { parameters?: { name?: string; in?: string; $ref?: string }[]; requestBody?: { content?: Record<string, { schema: unknown }> } }>>)) {
    for (const op of Object.values(item)) {
      for (const p of op.parameters ?? []) {
        const param = p.$ref ? openapi.components.parameters[p.$ref.split('/').pop()!] : p;
        if (param?.name && param.in !== 'header') fields.add(param.name); // headers are the console's own
      }
      for (const media of Object.values(op.requestBody?.content ?? {})) visit(media.schema, '', 0);
    }
  }
  return [...fields].sort();
}

// Words no Sales Manager should meet.
const JARGON = /non-negative decimal string|field\(s\)|UUID|ISO 4217|RFC 3339|_id\b|must_have|\bnull\b|\bstring\b|\bPATCH\b|idempotency|\bHTTP\b/i;

test('every problem code the OpenAPI description lists has a plain sentence', () => {
  const codes = problemCodes();
  expect(codes.length).toBeGreaterThan(15);
  const missing = codes.filter((c) => !CODE_SENTENCES[c]);
  expect(missing, 'problem codes without a sentence in console/src/lib/messages.ts').toEqual([]);
  for (const c of codes) expect(CODE_SENTENCES[c], c).not.toMatch(JARGON);
  expect(CODE_SENTENCES.network_error).toBe('The server cannot be reached; your changes are kept. Try again when the connection is back.');
});

test('every field of the API has a name a Sales Manager reads', () => {
  const fields = requestFields();
  expect(fields).toContain('annual_recurring_revenue.amount');
  expect(fields).toContain('items[].custom_name');
  const missing = fields.filter((f) => !(fieldPattern(f) in FIELD_LABELS) && !((f.split('.').pop() ?? f) in FIELD_LABELS));
  expect(missing, 'request fields and query parameters without a label in FIELD_LABELS').toEqual([]);
  for (const f of fields) expect(fieldLabel(f), f).not.toMatch(/_/);
});

// Every field message the server writes (shared/src/domain/*.rs, handlers/input.rs,
// handlers/opportunities/changes.rs, http/body.rs), with the field it comes on.
const SERVER_MESSAGES: [string, string][] = [
  ['title', 'is required'],
  ['title', 'must not be blank'],
  ['title', 'must be at most 200 characters (got 250)'],
  ['description', 'must not contain control characters'],
  ['title', 'must not contain the NUL character (U+0000)'],
  ['annual_recurring_revenue.amount', 'must be a non-negative decimal string such as "125000.00"'],
  ['annual_recurring_revenue.amount', 'must have at most 2 decimal places'],
  ['annual_recurring_revenue.amount', 'must have at most 0 decimal places'],
  ['annual_recurring_revenue.amount', 'must be at most 1000000000000'],
  ['annual_recurring_revenue.currency', 'must be an ISO 4217 currency code such as EUR or USD'],
  ['priority', 'must be one of low, medium, high, critical'],
  ['customer.id', 'must be a UUID'],
  ['customer.id', 'no such customer'],
  ['customer.id', 'must be the UUID of an existing customer'],
  ['customer', 'give either id or name'],
  ['timeline.duration_days', 'give either end_date or duration_days, not both'],
  ['timeline.end_date', 'give either end_date or duration_days'],
  ['timeline.duration_days', 'must be between 1 and 3650'],
  ['timeline.duration_days', 'the timeline must end by 9998-12-31 (dates are supported from 1900-01-01 to 9998-12-31)'],
  ['timeline.end_date', 'must not be before start_date'],
  ['timeline.end_date', 'the timeline must be at most 3650 days'],
  ['timeline.specific_days', 'must list at most 366 days'],
  ['timeline.specific_days[2]', 'is listed twice'],
  ['timeline.specific_days[0]', 'must fall within the timeline'],
  ['timeline.start_date', 'must be a date as YYYY-MM-DD'],
  ['timeline.start_date', 'must be a real calendar date as YYYY-MM-DD'],
  ['timeline.start_date', 'must be a date from 1900-01-01 to 9998-12-31'],
  ['created_from', 'must be an RFC 3339 timestamp or a date (YYYY-MM-DD) from 1900-01-01 to 9998-12-31'],
  ['timeline', 'cannot be removed once the opportunity is submitted'],
  ['markdown', 'must be at least 100 characters (got 10)'],
  ['markdown', 'must be at most 10000 characters and 30000 bytes'],
  ['problem_statement', 'a problem statement is required before submitting'],
  ['timeline', 'a timeline is required before submitting'],
  ['skill_requirements', 'at least one must_have skill requirement is required before submitting'],
  ['items[0].skill_id', 'no such skill in the catalog'],
  ['items[1].skill_id', 'must be a UUID'],
  ['items[1]', 'give exactly one of skill_id and custom_name'],
  ['items[2]', 'lists the same skill twice'],
  ['items', 'must list at most 50 requirements'],
  ['items[0].importance', 'must be one of must_have, nice_to_have'],
  ['reason', 'must be a string'],
  ['status', 'cannot be changed with PATCH (problem statement and skill requirements have their own endpoints; status changes through actions)'],
  ['', 'the patch changes nothing; give at least one field'],
  ['file_name', 'must name a file'],
  ['content_type', 'must be one of application/pdf, text/plain'],
  ['size_bytes', 'must be between 1 and 104857600 bytes (100 MiB)'],
  ['sha256', 'must be 64 hexadecimal characters'],
  ['timeline', 'must be an object'],
  ['items', 'must be a list'],
  ['timeline.flexible', 'must be true or false'],
  ['timeline.duration_days', 'must be a whole number within range'],
  ['title', 'must be a number'],
  ['colour', 'unknown field'],
  ['', 'invalid request'],
];

test('every field message the server writes reads as a plain sentence, the same as the console’s own check', () => {
  for (const [field, raw] of SERVER_MESSAGES) {
    expect(hasSentence(field, raw), `${field}: ${raw}`).toBe(true);
    const sentence = fieldMessage(field, raw);
    expect(sentence, `${field}: ${raw}`).not.toMatch(JARGON);
    expect(sentence, `${field}: ${raw}`).toMatch(/^[A-Z].*[.]$/);
  }
  expect(fieldMessage('annual_recurring_revenue.amount', 'must be a non-negative decimal string such as "125000.00"')).toBe(
    'Enter the amount as a number such as 125000.00, without currency signs, spaces or minus.',
  );
});

test('a server that cannot be reached is said so, the raw error kept for support, the typing kept', async ({ page }) => {
  await signIn(page, 'Alice, Sales Manager', '/opportunities/new');
  await page.getByLabel('New customer', { exact: true }).check();
  await page.getByLabel("New customer's name").fill('Offline Co');
  await page.getByLabel('Title').fill('Written while offline');
  await page.getByLabel('Description').fill('The connection dropped.');
  await page.getByLabel('Amount').fill('1000');
  await page.route('**/v1/opportunities', (route) => route.abort('internetdisconnected'));
  await page.getByRole('button', { name: 'Create draft' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Offline' });
  await expect(alert).toContainText('The server cannot be reached; your changes are kept.');
  await expect(alert.getByText('Failed to fetch')).toBeHidden(); // only under "Details for support"
  await alert.getByText('Details for support').click();
  await expect(alert.getByTestId('problem-code')).toHaveText('network_error');
  await expect(alert).toContainText('Failed to fetch');
  await expect(page.getByLabel('Title')).toHaveValue('Written while offline');
  // And it is still there after a reload.
  page.on('dialog', (d) => void d.accept());
  await page.reload();
  await expect(page.getByLabel('Title')).toHaveValue('Written while offline');
  await expect(page.getByLabel("New customer's name")).toHaveValue('Offline Co');
  // Until the user discards them: then they are gone for good.
  await page.getByRole('button', { name: 'Discard my changes' }).click();
  await expect(page.getByLabel('Title')).toHaveValue('');
  await page.reload();
  await expect(page.getByLabel('Title')).toHaveValue('');
});
