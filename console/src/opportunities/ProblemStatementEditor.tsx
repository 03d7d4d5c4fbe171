import { useEffect, useState } from 'preact/hooks';
import { ApiProblem, putProblemStatement, type Opportunity } from '../lib/api';
import { session } from '../lib/auth';
import { dropDraft, loadDraft, saveDraft, setUnsaved } from '../lib/drafts';
import { fieldMessage } from '../lib/messages';
import { checkProblemStatement, length, Problems, PROBLEM_STATEMENT_MAX, PROBLEM_STATEMENT_MIN } from '../lib/validate';
import { ConflictChoice, FieldErrors, ProblemBanner } from '../ui';
import type { Current } from './current';

/** The problem statement in Markdown with a preview. An edit in progress is kept as a draft (a
 * reload or a sign-in renewal restores it); when someone else saved meanwhile, the edit is saved
 * on the new version if they did not touch the statement, and otherwise both are shown to choose. */
export function ProblemStatementEditor({
  current,
  readOnly,
  onChanged,
  outside = [],
}: {
  current: Current;
  readOnly: boolean;
  onChanged: (o: Opportunity, etag: string | null) => void;
  /** Problems found elsewhere (a submit) that belong here. */
  outside?: string[];
}) {
  const o = current.opportunity;
  const user = session()?.sub ?? '';
  const scope = `opportunity.${o.id}.problem-statement`;
  const saved = o.problem_statement?.markdown ?? '';
  const [text, setText] = useState(saved);
  const [base, setBase] = useState(saved);
  const [theirs, setTheirs] = useState<string | null>(null);
  const [tab, setTab] = useState<'write' | 'preview'>(saved && readOnly ? 'preview' : 'write');
  const [problem, setProblem] = useState<unknown>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const [html, setHtml] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dirty = text !== base;

  useEffect(() => {
    const draft = loadDraft<string>(user, scope);
    if (!draft || draft.value === draft.base) return;
    setText(draft.value);
    setBase(draft.base);
    if (draft.base !== saved) setTheirs(saved);
    else setNotice('Your unsaved problem statement was restored.');
  }, [o.id]);
  // A newer saved statement (someone's change, read again): taken when nothing is being edited,
  // otherwise offered beside the edit.
  useEffect(() => {
    if (saved === base) return;
    if (!dirty) {
      setText(saved);
      setBase(saved);
    } else if (saved !== text) setTheirs(saved);
  }, [saved]);
  useEffect(() => {
    setUnsaved('problem-statement', dirty);
    if (dirty) saveDraft(user, scope, { base, value: text, version: o.version });
    else dropDraft(user, scope);
  }, [text, base]);
  useEffect(() => () => setUnsaved('problem-statement', false), []);
  // The Markdown renderer and sanitizer load only when a preview is first shown.
  useEffect(() => {
    if (tab !== 'preview') return;
    let live = true;
    import('../lib/markdown').then((m) => live && setHtml(text.trim() ? m.renderMarkdown(text) : '<p><em>Nothing written yet.</em></p>'));
    return () => {
      live = false;
    };
  }, [tab, text]);

  const put = async (etag: string | null): Promise<void> => {
    const { data, etag: next } = await putProblemStatement(o.id, text, etag);
    setBase(data.problem_statement?.markdown ?? text);
    setText(data.problem_statement?.markdown ?? text);
    setTheirs(null);
    dropDraft(user, scope);
    onChanged(data, next);
    setNotice('Problem statement saved.');
  };

  const save = async () => {
    setProblem(null);
    setNotice('');
    const p = new Problems();
    checkProblemStatement(p, 'markdown', text);
    setErrors(p.list.map((e) => fieldMessage(e.field, e.message)));
    if (p.list.length) return;
    setBusy(true);
    try {
      await put(current.etag);
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 412) {
        const fresh = await current.reload();
        const now = fresh?.opportunity.problem_statement?.markdown ?? '';
        try {
          if (fresh && now === base) await put(fresh.etag);
          else setTheirs(now);
        } catch (again) {
          setProblem(again);
        }
      } else if (e instanceof ApiProblem && e.errors.length) {
        setErrors(e.errors.map((x) => fieldMessage(x.field, x.message)));
        setProblem(e);
      } else setProblem(e);
    } finally {
      setBusy(false);
    }
  };

  const n = length(text);
  const shownErrors = [...errors, ...outside];
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      const next = tab === 'write' ? 'preview' : 'write';
      setTab(next);
      document.getElementById(`ps-tab-${next}`)?.focus();
    }
  };

  return (
    <section aria-labelledby="ps-h" class={shownErrors.length ? 'invalid-block' : undefined}>
      <h2 id="ps-h">
        Problem statement<span class="required"> (required to submit)</span>
      </h2>
      {theirs !== null && (
        <ConflictChoice
          testId="ps-conflict"
          onKeepMine={() => {
            setBase(theirs);
            setTheirs(null);
            void save();
          }}
          onTakeTheirs={() => {
            setText(theirs);
            setBase(theirs);
            setTheirs(null);
          }}
        >
          <p>
            <strong>Someone else changed the problem statement</strong> while you were writing. Yours is kept in the editor; theirs is:
          </p>
          <pre class="theirs">{theirs || '(empty)'}</pre>
        </ConflictChoice>
      )}
      <div role="tablist" aria-label="Problem statement" class="tabs" onKeyDown={onKey}>
        {(['write', 'preview'] as const).map((t) => (
          <button
            type="button"
            role="tab"
            id={`ps-tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`ps-panel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => setTab(t)}
            key={t}
          >
            {t === 'write' ? 'Write' : 'Preview'}
          </button>
        ))}
      </div>
      {tab === 'write' ? (
        <div role="tabpanel" id="ps-panel-write" aria-labelledby="ps-tab-write">
          <label for="problem-statement" class="sr-only">
            Problem statement (Markdown)
          </label>
          <textarea
            id="problem-statement"
            class="markdown"
            rows={10}
            value={text}
            readOnly={readOnly}
            aria-invalid={shownErrors.length ? 'true' : undefined}
            aria-describedby="ps-count ps-error"
            onInput={(e) => {
              setText(e.currentTarget.value);
              setNotice('');
            }}
          />
          <p id="ps-count" class={n < PROBLEM_STATEMENT_MIN || n > PROBLEM_STATEMENT_MAX ? 'hint warn' : 'hint'}>
            {n} characters; {PROBLEM_STATEMENT_MIN} to {PROBLEM_STATEMENT_MAX.toLocaleString('en')} needed. Markdown: headings, lists, emphasis, links, code.
          </p>
          <FieldErrors id="ps-error" errors={shownErrors} />
        </div>
      ) : (
        <div
          role="tabpanel"
          id="ps-panel-preview"
          aria-labelledby="ps-tab-preview"
          class="markdown-preview"
          tabIndex={0}
          aria-busy={html === null}
          dangerouslySetInnerHTML={{ __html: html ?? '<p>Rendering…</p>' }}
        />
      )}
      <ProblemBanner problem={problem} fieldsShown />
      {!readOnly && (
        <div class="actions">
          <button type="button" class="primary" onClick={() => void save()} disabled={!dirty || busy}>
            Save problem statement
          </button>
          {dirty && (
            <>
              <span class="unsaved">Not saved yet</span>
              <button
                type="button"
                class="link"
                onClick={() => {
                  setText(saved);
                  setBase(saved);
                  setErrors([]);
                  setTheirs(null);
                }}
              >
                Discard changes to the statement
              </button>
            </>
          )}
          <span role="status" class="notice">
            {notice}
          </span>
        </div>
      )}
    </section>
  );
}
