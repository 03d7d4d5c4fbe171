/** The signed-in session: tokens live in memory only (never in storage), are refreshed a minute
 * before they expire, and are dropped on sign-out. Locally the development sign-in asks the local
 * server's issuer (`POST /_local/token`); in AWS the Cognito hosted UI signs in with the
 * authorization code flow and PKCE (only the verifier and state survive the redirect, in
 * sessionStorage, and are removed at once).
 *
 * A reload keeps the user signed in without putting a token in storage:
 * - locally, the development sign-in's identity (user id, e-mail, groups; no token) is kept in
 *   sessionStorage and a new token is minted silently on load (the local issuer signs for anyone,
 *   so the identity is no secret);
 * - with Cognito, the refresh token stays in memory only, so a reload loses it; a marker that this
 *   tab was signed in (no token) is kept in sessionStorage and the load goes back through the hosted
 *   UI, which answers at once with a new code while its own session cookie (on the Cognito domain,
 *   HttpOnly) is valid, and asks for the password otherwise. The trade-off: keeping the refresh
 *   token in sessionStorage would spare that round trip but expose a 30-day credential to any
 *   script that runs in the page (XSS); the hosted UI's cookie is out of the page's reach. */
import type { CognitoConfig, ConsoleConfig } from './config';
import { CODE_SENTENCES, codeSentence, fieldMessage } from './messages';

export interface Session {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  sub: string;
  email?: string;
  groups: string[];
}

type Listener = (session: Session | null) => void;

let current: Session | null = null;
let refreshTimer: number | undefined;
const listeners = new Set<Listener>();
let config: ConsoleConfig | null = null;

export function configureAuth(c: ConsoleConfig) {
  config = c;
}

export function session(): Session | null {
  return current;
}

export function onSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function base64UrlDecode(text: string): string {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The claims of a token the API will verify; read here only to show who is signed in. */
export function claims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('not a JWT');
  return JSON.parse(base64UrlDecode(payload)) as Record<string, unknown>;
}

function setSession(next: Session | null) {
  current = next;
  window.clearTimeout(refreshTimer);
  if (next) {
    const wait = Math.max(5_000, next.expiresAt - Date.now() - 60_000);
    refreshTimer = window.setTimeout(() => void refresh(), wait);
  }
  listeners.forEach((l) => l(next));
}

function fromTokens(idToken: string, accessToken: string, expiresIn: number, refreshToken?: string): Session {
  const c = claims(idToken);
  const groups = Array.isArray(c['cognito:groups']) ? (c['cognito:groups'] as string[]) : [];
  return {
    idToken,
    accessToken,
    refreshToken,
    expiresAt: Date.now() + expiresIn * 1000,
    sub: String(c.sub ?? ''),
    email: typeof c.email === 'string' ? c.email : undefined,
    groups,
  };
}

/** What the development sign-in remembers for its silent refresh and for a reload (no token). */
let localIdentity: { sub: string; email?: string; groups: string[] } | null = null;
const LOCAL_IDENTITY = 'oms.local-identity';
const COGNITO_SIGNED_IN = 'oms.cognito-signed-in';

export async function localSignIn(sub: string, email: string | undefined, groups: string[]): Promise<void> {
  let response: Response;
  try {
    response = await fetch('/_local/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ sub, email, groups, expires_in: 3600 }),
    });
  } catch {
    throw new Error(CODE_SENTENCES.network_error);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const fields = (body.errors ?? []).map((e: { field: string; message: string }) => fieldMessage(e.field, e.message));
    throw new Error([codeSentence(body.code ?? '', response.status), ...fields].join(' '));
  }
  localIdentity = { sub, email, groups };
  ended = false;
  sessionStorage.setItem(LOCAL_IDENTITY, JSON.stringify(localIdentity));
  setSession(fromTokens(body.id_token, body.access_token, body.expires_in));
}

function cognito(): CognitoConfig {
  if (!config?.cognito) throw new Error('Cognito is not configured');
  return config.cognito;
}

function randomText(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return base64Url(data);
}

function base64Url(data: Uint8Array): string {
  let text = '';
  data.forEach((b) => (text += String.fromCharCode(b)));
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Sends the browser to the hosted UI (authorization code, S256 PKCE challenge, state). */
export async function cognitoSignIn(): Promise<void> {
  const c = cognito();
  const verifier = randomText(48);
  const state = randomText(24);
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem('oms.pkce', JSON.stringify({ verifier, state, back: location.pathname + location.search }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: c.client_id,
    redirect_uri: c.redirect_uri,
    scope: c.scopes.join(' '),
    state,
    code_challenge_method: 'S256',
    code_challenge: challenge,
  });
  location.assign(`${c.domain}/oauth2/authorize?${query}`);
}

async function tokenRequest(form: Record<string, string>) {
  const c = cognito();
  const response = await fetch(`${c.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: c.client_id, ...form }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`sign-in failed: ${body.error ?? response.status}`);
  return body as { id_token: string; access_token: string; refresh_token?: string; expires_in: number };
}

/** Completes the hosted UI's redirect (`/callback?code=&state=`); answers where to go next. */
export async function completeCognitoSignIn(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const saved = sessionStorage.getItem('oms.pkce');
  sessionStorage.removeItem('oms.pkce');
  sessionStorage.removeItem(COGNITO_SIGNED_IN);
  if (params.get('error')) throw new Error(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  const pkce = saved ? (JSON.parse(saved) as { verifier: string; state: string; back: string }) : null;
  const code = params.get('code');
  if (!pkce || !code || params.get('state') !== pkce.state) throw new Error('sign-in answer does not match this browser: sign in again');
  const tokens = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    redirect_uri: cognito().redirect_uri,
    code_verifier: pkce.verifier,
  });
  setSession(fromTokens(tokens.id_token, tokens.access_token, tokens.expires_in, tokens.refresh_token));
  sessionStorage.setItem(COGNITO_SIGNED_IN, '1');
  return pkce.back && pkce.back !== '/callback' ? pkce.back : '/';
}

/** Renews the tokens before they expire; a failure signs out (the next request would fail). */
export async function refresh(): Promise<void> {
  const now = current;
  if (!now) return;
  try {
    if (config?.auth === 'cognito' && now.refreshToken) {
      const tokens = await tokenRequest({ grant_type: 'refresh_token', refresh_token: now.refreshToken });
      setSession(fromTokens(tokens.id_token, tokens.access_token, tokens.expires_in, now.refreshToken));
    } else if (config?.auth === 'local' && localIdentity) {
      await localSignIn(localIdentity.sub, localIdentity.email, localIdentity.groups);
    } else {
      setSession(null);
    }
  } catch {
    ended = true;
    setSession(null);
  }
}

let ended = false;
/** Whether the last session ended without a sign-out (its renewal failed): the sign-in page says
 * so, and that the work in progress is kept. */
export function sessionEnded(): boolean {
  return ended;
}

/** On load: signs the tab in again after a reload (see the top of this file). Answers true when it
 * left for the hosted UI (the page is going away). */
export async function restoreSession(): Promise<boolean> {
  if (current || location.pathname === '/callback') return false;
  if (config?.auth === 'local') {
    const saved = sessionStorage.getItem(LOCAL_IDENTITY);
    if (!saved) return false;
    try {
      const identity = JSON.parse(saved) as { sub: string; email?: string; groups: string[] };
      await localSignIn(identity.sub, identity.email, identity.groups);
    } catch {
      // The server is away or refuses: the sign-in page says so; the identity stays for a retry.
    }
    return false;
  }
  if (config?.auth === 'cognito' && sessionStorage.getItem(COGNITO_SIGNED_IN)) {
    sessionStorage.removeItem(COGNITO_SIGNED_IN); // once: a failed renewal shows the sign-in page
    await cognitoSignIn();
    return true;
  }
  return false;
}

export function signOut(): void {
  const wasCognito = config?.auth === 'cognito';
  const refreshToken = current?.refreshToken;
  localIdentity = null;
  sessionStorage.removeItem(LOCAL_IDENTITY);
  sessionStorage.removeItem(COGNITO_SIGNED_IN);
  setSession(null);
  if (wasCognito) {
    const c = cognito();
    // The refresh token is revoked (the app client enables revocation), so that a copy of it
    // cannot mint new tokens; keepalive lets the request finish while the page leaves.
    if (refreshToken) {
      void fetch(`${c.domain}/oauth2/revoke`, {
        method: 'POST',
        keepalive: true,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken, client_id: c.client_id }),
      }).catch(() => undefined);
    }
    const query = new URLSearchParams({ client_id: c.client_id, logout_uri: c.logout_uri });
    location.assign(`${c.domain}/logout?${query}`);
  }
}

export function isAdmin(s: Session | null): boolean {
  return !!s?.groups.includes('Admin');
}
