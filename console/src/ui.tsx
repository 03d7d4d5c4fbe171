/** Shared pieces: the problem banner (a plain sentence, the raw code and request id under
 * "Details for support"), the error summary whose entries move the focus to their field, labelled
 * fields whose messages sit beside them, and status badges. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiProblem, type FieldError } from './lib/api';
import { label } from './lib/format';
import { codeSentence, fieldMessage, problemTitle } from './lib/messages';

/** A refusal or failure as a sentence. Field problems are listed too unless the screen shows
 * them beside its fields and in an {@link ErrorSummary} (`fieldsShown`). */
export function ProblemBanner({ problem, fieldsShown = false, children }: { problem: unknown; fieldsShown?: boolean; children?: ComponentChildren }) {
  if (!problem) return null;
  const p = problem instanceof ApiProblem ? problem : null;
  return (
    <div class="problem" role="alert">
      <p>
        <strong>{p ? problemTitle(p.status) : 'Something went wrong'}.</strong> {p ? codeSentence(p.code, p.status) : 'The console hit an unexpected error; reload the page.'}
      </p>
      {p && !fieldsShown && p.errors.length > 0 && (
        <ul>
          {p.errors.map((e, i) => (
            <li key={i}>{fieldMessage(e.field, e.message)}</li>
          ))}
        </ul>
      )}
      {children}
      <details class="support">
        <summary>Details for support</summary>
        {p ? (
          <p class="request-id">
            Code <code data-testid="problem-code">{p.code}</code> · HTTP {p.status || 'none'}
            {p.requestId && (
              <>
                {' '}· Request id <code data-testid="request-id">{p.requestId}</code>
              </>
            )}
            <br />
            {p.detail}
          </p>
        ) : (
          <p class="request-id">{String(problem)}</p>
        )}
      </details>
    </div>
  );
}

/** The problems of a form at the top, each a link that moves the focus to its field (or the
 * section it belongs to); `target` answers the element id for an API field, or null when the
 * screen has no place for it (then the entry is plain text, never dropped). It takes the focus
 * after each attempt (a save, a submit: `attempt` counts them), so that a keyboard or screen
 * reader user hears it at once, and never while someone types. */
export function ErrorSummary({ errors, target, title, attempt }: { errors: FieldError[]; target: (field: string) => string | null; title?: string; attempt: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (attempt && errors.length) box.current?.focus();
  }, [attempt]);
  if (!errors.length) return null;
  return (
    <div class="error-summary" role="alert" tabIndex={-1} ref={box} aria-labelledby="error-summary-h" data-testid="error-summary">
      <h2 id="error-summary-h">{title ?? (errors.length === 1 ? 'One thing to fix' : `${errors.length} things to fix`)}</h2>
      <ul>
        {errors.map((e, i) => {
          const id = target(e.field);
          const text = fieldMessage(e.field, e.message);
          return (
            <li key={i}>
              {id ? (
                <a
                  href={`#${id}`}
                  onClick={(event) => {
                    event.preventDefault();
                    focusField(id);
                  }}
                >
                  {text}
                </a>
              ) : (
                text
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** Moves the focus to a field (or a section, made focusable for it) and brings it into view. */
export function focusField(id: string) {
  const element = document.getElementById(id);
  if (!element) return;
  if (!element.matches('input, select, textarea, button, a[href], [tabindex]')) element.setAttribute('tabindex', '-1');
  element.scrollIntoView({ block: 'center' });
  element.focus({ preventScroll: true });
}

/** The problems of one field (exactly that field, or with `nested`, also the fields below it:
 * `timeline.specific_days[2]` under `timeline.specific_days`), as sentences. */
export function messagesFor(errors: FieldError[], fields: string[], nested = false): string[] {
  return errors
    .filter((e) => fields.some((f) => e.field === f || (nested && (e.field.startsWith(f + '.') || e.field.startsWith(f + '[')))))
    .map((e) => fieldMessage(e.field, e.message));
}

/** The field problems of a refusal (none for other failures). */
export function fieldErrors(problem: unknown): FieldError[] {
  return problem instanceof ApiProblem ? problem.errors : [];
}

export function Field({
  id,
  label: text,
  errors = [],
  hint,
  required = false,
  children,
}: {
  id: string;
  label: string;
  errors?: string[];
  hint?: string;
  required?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class={errors.length ? 'field invalid' : 'field'}>
      <label for={id}>
        {text}
        {required && <span class="required"> (required)</span>}
      </label>
      {children}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <FieldErrors id={`${id}-error`} errors={errors} />
    </div>
  );
}

export function FieldErrors({ id, errors }: { id: string; errors: string[] }) {
  if (!errors.length) return null;
  return (
    <div id={id}>
      {errors.map((e, i) => (
        <p class="field-error" key={i}>
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
  required?: boolean,
): { id: string; 'aria-invalid'?: 'true'; 'aria-describedby'?: string; 'aria-required'?: 'true' } {
  const by = [hint ? `${id}-hint` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    'aria-invalid': errors.length ? 'true' : undefined,
    'aria-describedby': by || undefined,
    'aria-required': required ? 'true' : undefined,
  };
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

/** Someone else saved while the user was editing one part (the problem statement, the skills):
 * what each side holds, and the two ways on. The user's version stays in the editor either way
 * until they choose. */
export function ConflictChoice({
  testId,
  children,
  onKeepMine,
  onTakeTheirs,
}: {
  testId: string;
  children: ComponentChildren;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
}) {
  return (
    <div class="conflict" role="alert" data-testid={testId}>
      {children}
      <div class="actions">
        <button type="button" class="primary" onClick={onKeepMine}>
          Keep mine and save
        </button>
        <button type="button" onClick={onTakeTheirs}>
          Take theirs
        </button>
      </div>
    </div>
  );
}
