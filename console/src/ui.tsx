/** Shared pieces: the problem banner (with request id and, for a stale version, a reload offer),
 * labelled fields whose validation messages sit beside them, and status badges. */
import type { ComponentChildren } from 'preact';
import { ApiProblem } from './lib/api';
import { label } from './lib/format';

export function ProblemBanner({ problem, onReload }: { problem: unknown; onReload?: () => void }) {
  if (!problem) return null;
  const p = problem instanceof ApiProblem ? problem : null;
  const stale = p && (p.status === 412 || p.code === 'stale_version' || p.code === 'concurrent_modification');
  return (
    <div class="problem" role="alert">
      <p>
        <strong>{p ? titleFor(p) : 'Something went wrong'}</strong> {p ? p.detail : String(problem)}
      </p>
      {p && p.errors.length > 0 && <p>Check the highlighted fields ({p.errors.length}).</p>}
      {stale && onReload && (
        <p>
          Someone changed this opportunity since you opened it.{' '}
          <button type="button" onClick={onReload}>
            Reload the current version
          </button>
        </p>
      )}
      {p && (
        <p class="request-id">
          Code <code>{p.code}</code>
          {p.requestId && (
            <>
              {' '}· Request id <code data-testid="request-id">{p.requestId}</code>
            </>
          )}
        </p>
      )}
    </div>
  );
}

function titleFor(p: ApiProblem): string {
  switch (p.status) {
    case 0:
      return 'Offline.';
    case 401:
      return 'Signed out.';
    case 403:
      return 'Not allowed.';
    case 404:
      return 'Not found.';
    case 409:
      return 'Not possible now.';
    case 412:
      return 'Out of date.';
    case 422:
      return 'Please correct the form.';
    default:
      return p.status >= 500 ? 'Server error.' : 'Refused.';
  }
}

let ids = 0;
export function useId(prefix: string): string {
  return `${prefix}-${++ids}`;
}

/** Messages for a field from a problem: the field itself and what lies below it. */
export function errorsFor(problem: unknown, ...fields: string[]): string[] {
  if (!(problem instanceof ApiProblem)) return [];
  return problem.errors
    .filter((e) => fields.some((f) => e.field === f || e.field.startsWith(f + '.') || e.field.startsWith(f + '[')))
    .map((e) => (fields.includes(e.field) ? e.message : `${e.field}: ${e.message}`));
}

export function Field({
  id,
  label: text,
  errors = [],
  hint,
  children,
}: {
  id: string;
  label: string;
  errors?: string[];
  hint?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={errors.length ? 'field invalid' : 'field'}>
      <label for={id}>{text}</label>
      {children}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {errors.map((e, i) => (
        <p class="field-error" id={i === 0 ? `${id}-error` : undefined} key={i}>
          {e}
        </p>
      ))}
    </div>
  );
}

/** aria attributes for an input whose messages a {@link Field} shows. */
export function described(
  id: string,
  errors: string[],
  hint?: boolean,
): { id: string; 'aria-invalid'?: 'true'; 'aria-describedby'?: string } {
  const by = [hint ? `${id}-hint` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { id, 'aria-invalid': errors.length ? 'true' : undefined, 'aria-describedby': by || undefined };
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{label(status)}</span>;
}

export function PriorityBadge({ priority }: { priority: string }) {
  return <span class={`badge priority-${priority}`}>{label(priority)}</span>;
}

export function Loading() {
  return (
    <p class="loading" role="status">
      Loading…
    </p>
  );
}
