import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { accessible, expect, shot, signIn, test } from './helpers';

// Every screen at a phone's and a laptop's size: nothing wider than the window, touch targets of
// at least 44 px on the phone, no serious axe-core violation, a screenshot of each; then the
// list's sorting, the board, the report's click-through, the session across reloads, and the main
// journey with the keyboard alone at both sizes.
test.describe.configure({ mode: 'serial' });

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
const STATEMENT =
  '## Problem\n\nThe warehouse system cannot keep up with same-day delivery: picking lists arrive late and the carriers leave half empty.\n\n- 30 % late picks';

async function tokenFor(request: APIRequestContext, baseURL: string, sub: string, groups: string[]) {
  const answer = await request.post(`${baseURL}/_local/token`, { data: { sub, email: `${sub}@example.com`, groups } });
  return { Authorization: `Bearer ${(await answer.json()).id_token}` };
}

const stamp = Date.now();
const seeded: { id?: string; title: string; customer: string } = {
  customer: `Supercalifragilistic Logistics and Warehousing International ${stamp}`,
  title: `A deliberately long opportunity title that has to wrap on a phone without widening the page ${Date.now()}`,
};

test.beforeAll(async ({ playwright, baseURL }) => {
  const request = await playwright.request.newContext();
  const alice = await tokenFor(request, baseURL!, 'alice', ['SalesManager']);
  const created = await request.post(`${baseURL}/v1/opportunities`, {
    headers: alice,
    data: {
      customer: { name: seeded.customer },
      title: seeded.title,
      description: 'Same-day delivery for every order placed before noon.',
      priority: 'critical',
      annual_recurring_revenue: { amount: '987654321.99', currency: 'EUR' },
      timeline: { start_date: '2027-04-01', duration_days: 120, flexible: true },
    },
  });
  expect(created.status()).toBe(201);
  const body = await created.json();
  seeded.id = body.id;
  const put = await request.put(`${baseURL}/v1/opportunities/${body.id}/problem-statement`, {
    headers: { ...alice, 'If-Match': created.headers().etag },
    data: { markdown: STATEMENT },
  });
  expect(put.status()).toBe(200);
  for (const [title, priority] of [
    [`Sorting sample low ${stamp}`, 'low'],
    [`Sorting sample high ${stamp}`, 'high'],
  ]) {
    const more = await request.post(`${baseURL}/v1/opportunities`, {
      headers: alice,
      data: { customer: { id: body.customer.id }, title, description: 'For sorting.', priority, annual_recurring_revenue: { amount: '1000', currency: 'JPY' } },
    });
    expect(more.status()).toBe(201);
  }
  // An audit event with details, for the privacy screen.
  const carol = await tokenFor(request, baseURL!, 'carol', ['Admin']);
  expect((await request.get(`${baseURL}/v1/privacy/subjects/alice/export`, { headers: carol })).status()).toBe(200);
  await request.dispose();
});

/** The screens, each opened at `path` by `who` (null: signed out); `prepare` shows its state. */
const SCREENS: { name: string; path: () => string; who: 'Alice, Sales Manager' | 'Carol, Admin' | null; prepare?: (page: Page) => Promise<void> }[] = [
  { name: 'sign-in', path: () => '/', who: null },
  { name: 'list', path: () => '/', who: 'Alice, Sales Manager' },
  { name: 'board', path: () => '/board', who: 'Alice, Sales Manager' },
  {
    name: 'new-with-errors',
    path: () => '/opportunities/new',
    who: 'Alice, Sales Manager',
    prepare: async (page) => {
      await page.getByRole('button', { name: 'Create draft' }).click();
      await expect(page.getByTestId('error-summary')).toBeVisible();
    },
  },
  { name: 'detail', path: () => `/opportunities/${seeded.id}`, who: 'Alice, Sales Manager' },
  { name: 'edit', path: () => `/opportunities/${seeded.id}/edit`, who: 'Alice, Sales Manager' },
  { name: 'skills', path: () => '/skills', who: 'Alice, Sales Manager' },
  { name: 'not-found', path: () => '/no-such-screen', who: 'Alice, Sales Manager' },
  { name: 'admin-list', path: () => '/', who: 'Carol, Admin' },
  { name: 'pipeline-report', path: () => '/reports/pipeline', who: 'Carol, Admin' },
  { name: 'privacy', path: () => '/privacy', who: 'Carol, Admin' },
];

async function settled(page: Page) {
  await expect(page.locator('h1').first()).toBeVisible();
  await expect(page.getByText('Loading…')).toHaveCount(0);
}

async function noWiderThanWindow(page: Page, what: string) {
  const { scroll, inner, wide } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    // The elements that reach past the window, to say what to fix.
    wide: [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${String(e.className)} ${Math.round(e.getBoundingClientRect().right)} px`),
  }));
  expect(scroll, `${what}: page width ${scroll} px in a ${inner} px window (${wide.join('; ')})`).toBeLessThanOrEqual(inner);
}

/** Buttons, fields, tabs, the navigation and the choices are at least 44 px high (and buttons wide). */
async function touchTargets(page: Page, what: string) {
  const small = await page.evaluate(() => {
    const selector =
      'button, a.button, input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea, [role=tab], header nav a, label.choice, [role=combobox]';
    return [...document.querySelectorAll<HTMLElement>(selector)]
      .filter((e) => e.offsetParent !== null && !e.closest('dialog:not([open])') && !e.closest('.sr-only'))
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ e, r }) => r.height < 43.5 || (e.matches('button, a.button') && r.width < 43.5))
      .map(({ e, r }) => `${e.tagName.toLowerCase()} "${(e.textContent || e.getAttribute('aria-label') || e.id).trim().slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  });
  expect(small, `${what}: touch targets under 44 px`).toEqual([]);
}

for (const [size, viewport] of [
  ['phone', PHONE],
  ['laptop', LAPTOP],
] as const) {
  test(`every screen fits a ${size} (${viewport.width}x${viewport.height}) with no horizontal scrolling and no serious axe violation`, async ({ browser, baseURL }) => {
    test.setTimeout(180_000);
    const pages: Record<string, Page> = {};
    for (const screen of SCREENS) {
      const key = screen.who ?? 'nobody';
      if (!pages[key]) {
        const context = await browser.newContext({ viewport, baseURL });
        pages[key] = await context.newPage();
        if (screen.who) await signIn(pages[key], screen.who);
      }
      const page = pages[key];
      await page.goto(screen.path());
      await settled(page);
      await screen.prepare?.(page);
      await noWiderThanWindow(page, screen.name);
      if (size === 'phone') await touchTargets(page, screen.name);
      await accessible(page, `${screen.name} (${size})`);
      await shot(page, `${size}-${screen.name}`);
      // Between the two sizes too, and at the extremes.
      for (const width of [360, 768, 1920]) {
        await page.setViewportSize({ width, height: viewport.height });
        await noWiderThanWindow(page, `${screen.name} at ${width} px`);
      }
      await page.setViewportSize(viewport);
    }
    for (const page of Object.values(pages)) await page.context().close();
  });
}

test('the list sorts by its columns, in the API’s sort orders, and the board shows the pipeline by status', async ({ page }) => {
  await signIn(page, 'Alice, Sales Manager');
  await expect(page).toHaveTitle('My opportunities · Opportunity Management');
  const priority = page.getByRole('columnheader', { name: /Priority/ });
  await priority.getByRole('button').click();
  await expect(page).toHaveURL(/sort=priority/);
  await expect(priority).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.locator('table.list tbody tr').first()).toContainText('Low');
  await priority.getByRole('button').click();
  await expect(page).toHaveURL(/sort=-priority/);
  await expect(priority).toHaveAttribute('aria-sort', 'descending');
  await expect(page.locator('table.list tbody tr').first()).toContainText('Critical');
  await page.getByRole('columnheader', { name: /Updated/ }).getByRole('button').click();
  await expect(page).toHaveURL(/sort=updated_at/);

  await page.getByRole('link', { name: 'Board view' }).click();
  await expect(page).toHaveTitle('Board · my pipeline · Opportunity Management');
  const drafts = page.getByTestId('board-draft');
  await expect(drafts.getByRole('link', { name: seeded.title })).toBeVisible();
  await expect(drafts.getByRole('link', { name: `Sorting sample high ${stamp}` })).toBeVisible();
  await expect(page.getByTestId('board-submitted').getByRole('link', { name: seeded.title })).toHaveCount(0);
  await drafts.getByRole('link', { name: seeded.title }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(seeded.title);
});

test('the pipeline report’s charts click through to the list with the same filters', async ({ page }) => {
  await signIn(page, 'Carol, Admin', '/reports/pipeline');
  await expect(page).toHaveTitle('Pipeline report · Opportunity Management');
  // The customer filter picks by name (type-ahead), not by id.
  const picker = page.getByRole('combobox', { name: 'Customer' });
  await picker.fill(seeded.customer);
  await page.getByRole('option', { name: seeded.customer }).click();
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('report-total')).toHaveText('3');
  const byPriority = page.getByRole('figure').filter({ hasText: 'Count by priority' });
  await byPriority.getByText('The numbers').click();
  await byPriority.getByRole('link', { name: 'Critical' }).click();
  await expect(page.getByRole('heading', { name: 'All opportunities' })).toBeVisible();
  const url = new URL(page.url());
  expect(url.searchParams.get('priority')).toBe('critical');
  expect(url.searchParams.get('customer_id')).toMatch(/^[0-9a-f-]{36}$/);
  await expect(page.locator('table.list tbody tr')).toHaveCount(1);
  await expect(page.locator('table.list tbody tr')).toContainText(seeded.title);
  // And the bars themselves.
  await page.goBack();
  await expect(page.getByTestId('report-total')).toBeVisible();
  await page.getByRole('figure').filter({ hasText: 'Count by status' }).locator('g.chart-row').first().click();
  await expect(page).toHaveURL(/status=draft/);
});

test('a reload keeps the local sign-in (no token in storage); signing out ends it', async ({ page }) => {
  await signIn(page, 'Alice, Sales Manager', `/opportunities/${seeded.id}`);
  await expect(page).toHaveTitle(/^A deliberately long opportunity title .* · Supercalifragilistic .* · Opportunity Management$/);
  await page.reload();
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(seeded.title);
  expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toMatch(/eyJ/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Development sign-in' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Development sign-in' })).toBeVisible();
  await expect(page).toHaveTitle('Sign in · Opportunity Management');
});

test('an edit survives a sign-in renewal: a 401 renews and resends, a failed renewal keeps the draft until the next sign-in', async ({ page }) => {
  await signIn(page, 'Alice, Sales Manager', `/opportunities/${seeded.id}/edit`);
  await page.getByLabel('Description').fill('Written before the token expired.');
  // The token is refused once (expired meanwhile): the console renews it and sends the save again.
  let refused = 0;
  let minted = 0;
  page.on('request', (r) => r.url().endsWith('/_local/token') && minted++);
  await page.route(/\/v1\/opportunities\/[0-9a-f-]{36}$/, (route) => {
    if (route.request().method() !== 'PATCH' || refused) return route.continue();
    refused++;
    return route.fulfill({ status: 401, contentType: 'application/problem+json', json: { status: 401, code: 'unauthenticated', detail: 'token expired' } });
  });
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('.prewrap').first()).toHaveText('Written before the token expired.');
  expect(refused).toBe(1);
  expect(minted).toBe(1);

  // Now the renewal itself fails: the session ends, the sign-in page says the work is kept,
  // and signing in again brings the edit back.
  await page.getByRole('link', { name: 'Edit details' }).click();
  await page.getByLabel('Description').fill('Written while the sign-in ended.');
  refused = 0;
  await page.route('**/_local/token', (route) => route.fulfill({ status: 503, json: { code: 'internal_error' } }));
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { name: 'Development sign-in' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Your sign-in ended' })).toBeVisible();
  await page.unroute('**/_local/token');
  await page.getByLabel('Alice, Sales Manager').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Description')).toHaveValue('Written while the sign-in ended.');
  await page.unroute(/\/v1\/opportunities\/[0-9a-f-]{36}$/);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('.prewrap').first()).toHaveText('Written while the sign-in ended.');
});

/** Presses Tab until `target` has the focus (the way a keyboard user gets there). */
async function tabTo(page: Page, target: Locator, limit = 120) {
  const handle = await target.elementHandle();
  for (let i = 0; i < limit; i++) {
    if (await page.evaluate((e) => document.activeElement === e, handle)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`could not reach ${target} with Tab`);
}

for (const [size, viewport] of [
  ['laptop', LAPTOP],
  ['phone', PHONE],
] as const) {
  test(`the main journey with the keyboard alone on a ${size}: create, fix errors, statement, skills, upload, submit`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(viewport);
    await signIn(page, 'Bob, Sales Manager');
    await tabTo(page, page.getByRole('main').getByRole('link', { name: 'New opportunity', exact: true }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'New opportunity' })).toBeVisible();

    await tabTo(page, page.getByLabel('Existing customer'));
    await page.keyboard.press('ArrowRight'); // the radio group: to "New customer"
    await expect(page.getByLabel('New customer', { exact: true })).toBeChecked();
    await tabTo(page, page.getByLabel("New customer's name"));
    await page.keyboard.type(`Keyboard Co ${size}`);
    await page.keyboard.press('Tab');
    await page.keyboard.type(`Keyboard journey on a ${size}`);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Done without a mouse.');
    await tabTo(page, page.getByLabel('Amount'));
    await page.keyboard.type('5000.999');
    await tabTo(page, page.getByLabel('This opportunity has a timeline'));
    await page.keyboard.press('Space');
    await tabTo(page, page.getByLabel('Start date'));
    await page.keyboard.type('03012027');
    await tabTo(page, page.getByLabel('Duration (days)'));
    await page.keyboard.type('30');
    await tabTo(page, page.getByRole('button', { name: 'Create draft' }));
    await page.keyboard.press('Enter');

    // The error summary takes the focus; its entry leads to the field.
    await expect(page.getByTestId('error-summary')).toBeFocused();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Amount')).toBeFocused();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('5000.99');
    await tabTo(page, page.getByRole('button', { name: 'Create draft' }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: `Keyboard journey on a ${size}` })).toBeVisible();
    await expect(page.locator('dl.details')).toContainText('2027-03-01');

    await tabTo(page, page.getByLabel('Problem statement (Markdown)'));
    await page.keyboard.type(STATEMENT);
    await tabTo(page, page.getByRole('button', { name: 'Save problem statement' }));
    await page.keyboard.press('Enter');
    await expect(page.getByText('Problem statement saved.')).toBeVisible();

    await tabTo(page, page.getByRole('button', { name: 'Add a skill' }));
    await page.keyboard.press('Enter');
    const skill = page.locator('.skill-row').first().getByLabel('Catalog skill');
    await expect(skill).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await expect(skill).not.toHaveValue('');
    await tabTo(page, page.getByRole('button', { name: 'Save skill requirements' }));
    await page.keyboard.press('Enter');
    await expect(page.getByText('Skill requirements saved.')).toBeVisible();

    const file = join(tmpdir(), `keyboard-${size}-${Date.now()}.txt`);
    writeFileSync(file, 'Chosen from the file dialog.\n');
    const input = page.getByLabel('Add a file');
    await tabTo(page, input);
    await input.setInputFiles(file); // the browser's own file dialog is outside the page
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId(`att-status-${file.split('/').pop()}`)).toHaveText('Available', { timeout: 20_000 });

    await tabTo(page, page.getByRole('button', { name: 'Submit for matching' }), 200);
    await page.keyboard.press('Enter');
    await expect(page.locator('.badges')).toContainText('Submitted');
    await noWiderThanWindow(page, `journey end on a ${size}`);
  });
}
