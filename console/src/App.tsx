import { useEffect, useState } from 'preact/hooks';
import { getMe } from './lib/api';
import { isAdmin, onSession, session, signOut, type Session } from './lib/auth';
import type { ConsoleConfig } from './lib/config';
import { confirmLeave, dropDrafts } from './lib/drafts';
import { match, navigate, useLocation, useTitle } from './lib/router';
import { SignIn, Callback } from './session/SignIn';
import { OpportunityList } from './opportunities/OpportunityList';
import { OpportunityForm } from './opportunities/OpportunityForm';
import { OpportunityDetail } from './opportunities/OpportunityDetail';
import { lazy } from './lazy';

const Board = lazy(() => import('./opportunities/Board').then((m) => m.Board));
const PipelineReport = lazy(() => import('./admin/PipelineReport').then((m) => m.PipelineReport));
const Privacy = lazy(() => import('./admin/Privacy').then((m) => m.Privacy));
const SkillsCatalog = lazy(() => import('./catalog/SkillsCatalog').then((m) => m.SkillsCatalog));

function NotFound() {
  useTitle('Page not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <a href="/">Back to the opportunities</a>
      </p>
    </>
  );
}

export function App({ config }: { config: ConsoleConfig }) {
  const [current, setCurrent] = useState<Session | null>(session());
  const { path, search } = useLocation();
  const [name, setName] = useState<string | null>(null);
  useEffect(() => onSession(setCurrent), []);
  // The caller's profile name (GET /v1/me), once per sign-in; the token's e-mail until then.
  useEffect(() => {
    setName(null);
    if (current) getMe().then(({ data }) => setName(data.name ?? null), () => setName(null));
  }, [current?.sub]);

  if (path === '/callback') return <Callback search={search} />;
  if (!current) return <SignIn config={config} />;

  const admin = isAdmin(current);
  let page;
  let params: Record<string, string> | null;
  if (path === '/' || path === '/opportunities') page = <OpportunityList admin={admin} search={search} key={search} />;
  else if (path === '/opportunities/new') page = <OpportunityForm />;
  else if ((params = match('/opportunities/:id/edit', path))) page = <OpportunityForm id={params.id} key={params.id} />;
  else if ((params = match('/opportunities/:id', path))) page = <OpportunityDetail id={params.id} admin={admin} key={params.id} />;
  else if (path === '/board') page = <Board admin={admin} />;
  else if (path === '/skills') page = <SkillsCatalog admin={admin} />;
  else if (path === '/reports/pipeline' && admin) page = <PipelineReport />;
  else if (path === '/privacy' && admin) page = <Privacy />;
  else page = <NotFound />;

  const nav: [string, string][] = [
    ['/', admin ? 'All opportunities' : 'My opportunities'],
    ['/board', 'Board'],
    ['/opportunities/new', 'New opportunity'],
    ['/skills', 'Skills catalog'],
  ];
  if (admin) nav.push(['/reports/pipeline', 'Pipeline report'], ['/privacy', 'Privacy requests']);
  const active = (href: string) => (href === '/' ? path === '/' || path === '/opportunities' : path.startsWith(href));

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <a href="/" class="brand">
          Opportunity Management
        </a>
        <nav aria-label="Main">
          <ul>
            {nav.map(([href, text]) => (
              <li key={href}>
                <a href={href} aria-current={active(href) ? 'page' : undefined}>
                  {text}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="signed-in-as" class="who-name">
            {name ?? current.email ?? current.sub} · {current.groups.join(', ') || 'no groups'}
          </span>
          <button
            type="button"
            onClick={() => {
              // Signing out ends the session and forgets this user's drafts in this tab.
              if (!confirmLeave()) return;
              dropDrafts(current.sub);
              signOut();
              navigate('/', true, true);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="page" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
