/** Work in progress that must not be lost: drafts of the forms in sessionStorage (this tab only;
 * they survive a reload and a sign-in renewal, and go when the tab closes or the user signs out),
 * keyed by the user and the opportunity, never a token. Also the guard that asks before leaving a
 * page with unsaved changes, on a reload or close (beforeunload) and on in-app navigation. */

const PREFIX = 'oms.draft.';

export interface Draft<T> {
  /** The saved values the edit started from (to tell, after a conflict, what changed where). */
  base: T;
  /** The values as the user left them. */
  value: T;
  /** The version of the opportunity `base` was read from. */
  version: number;
  savedAt: string;
}

function key(user: string, scope: string): string {
  return `${PREFIX}${encodeURIComponent(user)}.${scope}`;
}

export function loadDraft<T>(user: string, scope: string): Draft<T> | null {
  try {
    const text = sessionStorage.getItem(key(user, scope));
    return text ? (JSON.parse(text) as Draft<T>) : null;
  } catch {
    return null;
  }
}

export function saveDraft<T>(user: string, scope: string, draft: Omit<Draft<T>, 'savedAt'>) {
  try {
    sessionStorage.setItem(key(user, scope), JSON.stringify({ ...draft, savedAt: new Date().toISOString() }));
  } catch {
    /* storage full or disabled: the guard below still asks before leaving */
  }
}

export function dropDraft(user: string, scope: string) {
  sessionStorage.removeItem(key(user, scope));
}

/** Removes every draft of a user (sign-out). */
export function dropDrafts(user: string) {
  const mine = `${PREFIX}${encodeURIComponent(user)}.`;
  for (let i = sessionStorage.length - 1; i >= 0; i--) {
    const k = sessionStorage.key(i);
    if (k?.startsWith(mine)) sessionStorage.removeItem(k);
  }
}

// The screens' unsaved changes, by a name each screen picks ("details", "problem-statement", ...).
const unsaved = new Set<string>();

export function setUnsaved(name: string, dirty: boolean) {
  if (dirty) unsaved.add(name);
  else unsaved.delete(name);
}

export function hasUnsaved(): boolean {
  return unsaved.size > 0;
}

export const LEAVE_QUESTION = 'You have changes that are not saved. Leave this page anyway? (They stay in this tab as a draft.)';

/** Asks before leaving when something is unsaved; true when the user agrees (or nothing is). */
export function confirmLeave(): boolean {
  if (!hasUnsaved()) return true;
  if (!window.confirm(LEAVE_QUESTION)) return false;
  unsaved.clear();
  return true;
}

window.addEventListener('beforeunload', (event) => {
  if (!hasUnsaved()) return;
  event.preventDefault();
  event.returnValue = '';
});
