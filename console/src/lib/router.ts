/** A small history-API router: the console's pages are real paths (CloudFront and the local
 * server answer them with index.html), links are plain anchors the router intercepts. Leaving a
 * page with unsaved changes asks first (lib/drafts.ts), by link, by `navigate` and by Back. */
import { useEffect, useState } from 'preact/hooks';
import { confirmLeave } from './drafts';

const listeners = new Set<() => void>();
let here = location.pathname + location.search;

/** Goes to another screen; answers false when the user chose to stay (unsaved changes).
 * `force` skips the question (after a save, or when the change is the user's own choice). */
export function navigate(to: string, replace = false, force = false): boolean {
  if (!force && to !== here && !confirmLeave()) return false;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  here = location.pathname + location.search;
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
  return true;
}

window.addEventListener('popstate', () => {
  const to = location.pathname + location.search;
  if (to !== here && !confirmLeave()) {
    // Stay: put the page the user is on back on top of the history.
    history.pushState(null, '', here);
    return;
  }
  here = to;
  listeners.forEach((l) => l());
});

export function useLocation(): { path: string; search: string } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((t) => t + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { path: location.pathname, search: location.search };
}

/** Intercepts same-origin link clicks (not modified clicks, not downloads). */
export function interceptLinks(root: HTMLElement) {
  root.addEventListener('click', (event) => {
    const anchor = (event.target as HTMLElement).closest('a');
    if (!anchor || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search);
  });
}

/** Matches `/opportunities/:id/edit` against a path; the named parts or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.replace(/\/+$/, '').split('/');
  if (path === '/' && pattern === '/') return {};
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** The document title: the screen, and the opportunity or item it shows. */
export function useTitle(...parts: (string | null | undefined)[]) {
  const text = parts.filter(Boolean).join(' · ');
  useEffect(() => {
    document.title = text ? `${text} · Opportunity Management` : 'Opportunity Management';
  }, [text]);
}
