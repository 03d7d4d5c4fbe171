import { expect, test as base, type Page } from '@playwright/test';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
// Evaluated through the debugging protocol, which the page's Content-Security-Policy (no inline
// script) does not govern; a <script> tag would be refused, as it should be.
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const SHOTS = process.env.OMS_E2E_SCREENSHOTS ?? join(process.cwd(), 'artifacts', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** Every test fails if the page asks anything of another origin (it must work offline, no CDN)
 * or logs an error it did not expect. */
export const test = base.extend<{ offsiteRequests: string[] }>({
  offsiteRequests: [
    async ({ page, baseURL }, use) => {
      const offsite: string[] = [];
      page.on('request', (r) => {
        const url = r.url();
        if (!url.startsWith(baseURL!) && !url.startsWith('data:') && !url.startsWith('blob:')) offsite.push(url);
      });
      await use(offsite);
      expect(offsite, 'requests to other origins').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

export async function signIn(page: Page, who: 'Alice, Sales Manager' | 'Bob, Sales Manager' | 'Carol, Admin', path = '/') {
  await page.goto(path);
  await expect(page.getByRole('heading', { name: 'Development sign-in' })).toBeVisible();
  await page.getByLabel(who).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function accessible(page: Page, screen: string) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // @ts-expect-error axe is the injected global
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v: { id: string; impact: string; help: string; nodes: { target: string[] }[] }) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  });
  const serious = result.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `axe-core violations on ${screen}`).toEqual([]);
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
