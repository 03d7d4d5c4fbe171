import { createHash } from 'node:crypto';
import { expect, test } from './helpers';

// The AWS sign-in, against a stand-in for Cognito's hosted UI routed inside the browser (no
// network): authorization code with an S256 PKCE challenge the token endpoint checks against the
// verifier, the state checked on the way back, tokens only in memory, a refresh before expiry,
// and a sign-out that revokes the refresh token and leaves through the hosted UI's logout. The
// tokens themselves come from the local server's issuer, so the API accepts them.
const HOSTED_UI = 'https://auth.oms.test';
const CLIENT_ID = 'console-client';

// The local server's Content-Security-Policy allows only its own origin; in AWS the distribution's
// policy names the hosted UI (template.yaml, ConsoleSecurityHeaders).
test.use({ bypassCSP: true });

test('the Cognito sign-in uses the authorization code with PKCE, refreshes before expiry and signs out, revoking the refresh token', async ({ page, baseURL, offsiteRequests }) => {
  const issued: { challenge?: string; state?: string; authorizations: number; refreshes: number; verified: boolean; revoked?: string | null } = {
    authorizations: 0,
    refreshes: 0,
    verified: false,
  };
  const tokens = async (sub: string) => {
    const answer = await page.request.post(`${baseURL}/_local/token`, {
      data: { sub, email: `${sub}@example.com`, groups: ['SalesManager'], expires_in: 3600 },
    });
    expect(answer.ok()).toBeTruthy();
    return answer.json();
  };
  await page.route('**/config.json', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({
        auth: 'cognito',
        api_base: '',
        cognito: { domain: HOSTED_UI, client_id: CLIENT_ID, redirect_uri: `${baseURL}/callback`, logout_uri: `${baseURL}/`, scopes: ['openid', 'email'] },
      }),
    }),
  );
  await page.route(`${HOSTED_UI}/oauth2/authorize?*`, (route) => {
    const query = new URL(route.request().url()).searchParams;
    expect(query.get('response_type')).toBe('code');
    expect(query.get('client_id')).toBe(CLIENT_ID);
    expect(query.get('redirect_uri')).toBe(`${baseURL}/callback`);
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('scope')).toBe('openid email');
    issued.authorizations += 1;
    issued.challenge = query.get('code_challenge')!;
    issued.state = query.get('state')!;
    return route.fulfill({ status: 302, headers: { location: `${baseURL}/callback?code=the-code&state=${issued.state}` } });
  });
  await page.route(`${HOSTED_UI}/oauth2/token`, async (route) => {
    const form = new URLSearchParams(route.request().postData() ?? '');
    expect(form.get('client_id')).toBe(CLIENT_ID);
    const cors = { 'access-control-allow-origin': baseURL! };
    if (form.get('grant_type') === 'authorization_code') {
      expect(form.get('code')).toBe('the-code');
      const challenge = createHash('sha256').update(form.get('code_verifier')!).digest('base64url');
      issued.verified = challenge === issued.challenge;
      if (!issued.verified) return route.fulfill({ status: 400, headers: cors, json: { error: 'invalid_grant' } });
      const t = await tokens('erin');
      // 65 s: the console renews a minute before expiry, so within seconds here.
      return route.fulfill({ headers: cors, json: { id_token: t.id_token, access_token: t.access_token, refresh_token: 'refresh-1', expires_in: 65, token_type: 'Bearer' } });
    }
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe('refresh-1');
    issued.refreshes += 1;
    const t = await tokens('erin');
    return route.fulfill({ headers: cors, json: { id_token: t.id_token, access_token: t.access_token, expires_in: 3600, token_type: 'Bearer' } });
  });
  await page.route(`${HOSTED_UI}/oauth2/revoke`, (route) => {
    const form = new URLSearchParams(route.request().postData() ?? '');
    expect(form.get('client_id')).toBe(CLIENT_ID);
    issued.revoked = form.get('token');
    return route.fulfill({ status: 200, headers: { 'access-control-allow-origin': baseURL! }, body: '' });
  });
  await page.route(`${HOSTED_UI}/logout?*`, (route) => {
    const query = new URL(route.request().url()).searchParams;
    expect(query.get('client_id')).toBe(CLIENT_ID);
    return route.fulfill({ status: 302, headers: { location: query.get('logout_uri')! } });
  });

  await page.goto('/opportunities/new');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(/erin@example.com/);
  expect(issued.verified).toBe(true);
  // Back where the sign-in started, with the code and state gone from the address.
  await expect(page).toHaveURL(`${baseURL}/opportunities/new`);
  expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toMatch(/eyJ/);
  await expect(page.getByRole('heading', { name: 'New opportunity' })).toBeVisible();

  await expect.poll(() => issued.refreshes, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
  await page.getByRole('link', { name: 'My opportunities' }).click();
  await expect(page.getByText('You have no opportunities yet.')).toBeVisible(); // the renewed token works

  // A reload loses the in-memory tokens; the tab renews through the hosted UI (its own session
  // answers at once) and comes back where it was, still with no token in storage.
  await page.getByRole('link', { name: 'New opportunity' }).first().click();
  await page.reload();
  await expect(page.getByTestId('signed-in-as')).toHaveText(/erin@example.com/);
  await expect(page).toHaveURL(`${baseURL}/opportunities/new`);
  expect(issued.authorizations).toBe(2);
  expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toMatch(/eyJ|refresh-1/);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveCount(0);
  await expect.poll(() => issued.revoked).toBe('refresh-1');
  // Signed out stays signed out: a reload does not renew.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  expect(issued.authorizations).toBe(2);
  // Only the routed stand-in was asked; nothing left this machine.
  expect(new Set(offsiteRequests.map((u) => new URL(u).origin))).toEqual(new Set([HOSTED_UI]));
  offsiteRequests.length = 0;
});

test('a sign-in answer that does not match this browser is refused', async ({ page }) => {
  await page.route('**/config.json', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({
        auth: 'cognito',
        api_base: '',
        cognito: { domain: HOSTED_UI, client_id: CLIENT_ID, redirect_uri: 'x', logout_uri: 'y', scopes: ['openid'] },
      }),
    }),
  );
  await page.goto('/callback?code=stolen&state=forged');
  await expect(page.getByRole('alert')).toContainText('does not match this browser');
  await expect(page.getByRole('link', { name: 'Start again' })).toBeVisible();
  await page.getByRole('link', { name: 'Start again' }).click();
  await expect(page.getByRole('heading', { name: 'Opportunity Management' })).toBeVisible();
  await expect(page.getByLabel('Alice, Sales Manager')).toHaveCount(0);
});
