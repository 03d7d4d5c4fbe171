import { useEffect, useState } from 'preact/hooks';
import { cognitoSignIn, completeCognitoSignIn, localSignIn, sessionEnded } from '../lib/auth';
import type { ConsoleConfig } from '../lib/config';
import { navigate } from '../lib/router';

const PEOPLE: { sub: string; email: string; groups: string[]; who: string }[] = [
  { sub: 'alice', email: 'alice@example.com', groups: ['SalesManager'], who: 'Alice, Sales Manager' },
  { sub: 'bob', email: 'bob@example.com', groups: ['SalesManager'], who: 'Bob, Sales Manager' },
  { sub: 'carol', email: 'carol@example.com', groups: ['Admin'], who: 'Carol, Admin' },
];

export function SignIn({ config }: { config: ConsoleConfig }) {
  const [sub, setSub] = useState('alice');
  const [email, setEmail] = useState('alice@example.com');
  const [groups, setGroups] = useState<string[]>(['SalesManager']);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'Sign in · Opportunity Management';
  }, []);

  if (config.auth === 'cognito') {
    return (
      <main id="main" class="page narrow">
        <h1>Opportunity Management</h1>
        {sessionEnded() && (
          <p class="notice-box" role="status">
            Your sign-in ended. Sign in again to carry on: your unsaved changes in this tab are kept.
          </p>
        )}
        <p>Sign in with your company account.</p>
        {error && <p role="alert" class="problem">{error}</p>}
        <button type="button" class="primary" onClick={() => cognitoSignIn().catch((e) => setError(String(e)))}>
          Sign in
        </button>
      </main>
    );
  }

  const pick = (p: (typeof PEOPLE)[number]) => {
    setSub(p.sub);
    setEmail(p.email);
    setGroups(p.groups);
  };
  const toggle = (g: string, on: boolean) => setGroups((gs) => (on ? [...gs.filter((x) => x !== g), g] : gs.filter((x) => x !== g)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await localSignIn(sub.trim(), email.trim() || undefined, groups);
      if (location.pathname === '/callback') navigate('/', true);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="page narrow">
      <h1>Development sign-in</h1>
      {sessionEnded() && (
        <p class="notice-box" role="status">
          Your sign-in ended. Sign in again to carry on: your unsaved changes in this tab are kept.
        </p>
      )}
      <p>
        The local server's token issuer signs a token for whoever you pick here. In AWS this page is
        Cognito's hosted UI.
      </p>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Sign in as</legend>
          {PEOPLE.map((p) => (
            <label class="choice" key={p.sub}>
              <input type="radio" name="person" checked={sub === p.sub && email === p.email} onChange={() => pick(p)} />
              {p.who}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="signin-sub">User id (sub)</label>
          <input id="signin-sub" value={sub} required maxLength={128} onInput={(e) => setSub(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="signin-email">E-mail</label>
          <input id="signin-email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <fieldset>
          <legend>Groups</legend>
          {['SalesManager', 'Admin'].map((g) => (
            <label class="choice" key={g}>
              <input type="checkbox" checked={groups.includes(g)} onChange={(e) => toggle(g, e.currentTarget.checked)} /> {g}
            </label>
          ))}
        </fieldset>
        {error && (
          <p role="alert" class="problem">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

export function Callback({ search }: { search: string }) {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    completeCognitoSignIn(search)
      .then((back) => navigate(back, true))
      .catch((e) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  return (
    <main id="main" class="page narrow">
      <h1>Signing in…</h1>
      {error && (
        <>
          <p role="alert" class="problem">
            {error}
          </p>
          <a href="/">Start again</a>
        </>
      )}
    </main>
  );
}
