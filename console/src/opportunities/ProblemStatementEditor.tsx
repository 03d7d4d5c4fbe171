import { useEffect, useState } from 'preact/hooks';
import { api, type Opportunity } from '../lib/api';
import { errorsFor, ProblemBanner } from '../ui';
import type { Current } from './OpportunityDetail';

const MIN = 100;
const MAX = 10_000;

export function ProblemStatementEditor({
  current,
  readOnly,
  onChanged,
}: {
  current: Current;
  readOnly: boolean;
  onChanged: (o: Opportunity, etag: string | null) => void;
}) {
  const saved = current.opportunity.problem_statement?.markdown ?? '';
  const [text, setText] = useState(saved);
  const [tab, setTab] = useState<'write' | 'preview'>(saved && readOnly ? 'preview' : 'write');
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [html, setHtml] = useState<string | null>(null);
  useEffect(() => setText(saved), [saved]);
  // The Markdown renderer and sanitizer load only when a preview is first shown.
  useEffect(() => {
    if (tab !== 'preview') return;
    let live = true;
    import('../lib/markdown').then((m) => live && setHtml(text.trim() ? m.renderMarkdown(text) : '<p><em>Nothing written yet.</em></p>'));
    return () => {
      live = false;
    };
  }, [tab, text]);

  const save = async () => {
    setProblem(null);
    setNotice('');
    try {
      const { data, etag } = await api<Opportunity>(`/v1/opportunities/${current.opportunity.id}/problem-statement`, {
        method: 'PUT',
        body: { markdown: text },
        ifMatch: current.etag,
      });
      onChanged(data, etag);
      setNotice('Problem statement saved.');
    } catch (e) {
      setProblem(e);
    }
  };
  const length = [...text.trim()].length;
  const errors = errorsFor(problem, 'markdown');
  const select = (next: 'write' | 'preview') => setTab(next);
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      const next = tab === 'write' ? 'preview' : 'write';
      select(next);
      document.getElementById(`ps-tab-${next}`)?.focus();
    }
  };

  return (
    <section aria-labelledby="ps-h">
      <h2 id="ps-h">Problem statement</h2>
      <div role="tablist" aria-label="Problem statement" class="tabs" onKeyDown={onKey}>
        {(['write', 'preview'] as const).map((t) => (
          <button
            type="button"
            role="tab"
            id={`ps-tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`ps-panel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => select(t)}
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
            aria-invalid={errors.length ? 'true' : undefined}
            aria-describedby="ps-count ps-error"
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <p id="ps-count" class={length < MIN || length > MAX ? 'hint warn' : 'hint'}>
            {length} characters; {MIN} to {MAX.toLocaleString('en')} needed. Markdown: headings, lists, emphasis, links, code.
          </p>
          <div id="ps-error">
            {errors.map((m) => (
              <p class="field-error" key={m}>
                {m}
              </p>
            ))}
          </div>
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
      <ProblemBanner problem={errors.length ? null : problem} onReload={() => { setProblem(null); current.reload(); }} />
      {!readOnly && (
        <div class="actions">
          <button type="button" class="primary" onClick={() => void save()} disabled={text === saved}>
            Save problem statement
          </button>
          <span role="status" class="notice">
            {notice}
          </span>
        </div>
      )}
    </section>
  );
}
