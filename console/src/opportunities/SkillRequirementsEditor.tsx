import { useEffect, useState } from 'preact/hooks';
import { ApiProblem, listSkills, putSkillRequirements, type FieldError, type Opportunity, type Skill, type SkillRequirement } from '../lib/api';
import { session } from '../lib/auth';
import { dropDraft, loadDraft, saveDraft, setUnsaved } from '../lib/drafts';
import { CATEGORIES, IMPORTANCES, label, PROFICIENCIES } from '../lib/format';
import { fieldMessage } from '../lib/messages';
import { checkText, CUSTOM_SKILL_MAX, Problems } from '../lib/validate';
import { ConflictChoice, FieldErrors, ProblemBanner } from '../ui';
import type { Current } from './current';

interface Row {
  key: number;
  source: 'catalog' | 'custom';
  skillId: string;
  customName: string;
  category: string;
  importance: string;
  minProficiency: string;
}

const SKILL_REQUIREMENTS_MAX = 50;

let keys = 0;
function toRow(r: SkillRequirement): Row {
  return {
    key: ++keys,
    source: r.skill_id ? 'catalog' : 'custom',
    skillId: r.skill_id ?? '',
    customName: r.custom_name ?? '',
    category: r.category,
    importance: r.importance,
    minProficiency: r.min_proficiency,
  };
}

/** What is sent (and compared, and kept as a draft): the rows without their screen keys. */
function itemsOf(rows: Row[]): SkillRequirement[] {
  return rows.map((r) => ({
    ...(r.source === 'catalog' ? { skill_id: r.skillId } : { custom_name: r.customName }),
    category: r.category,
    importance: r.importance,
    min_proficiency: r.minProficiency,
  }));
}

function savedItems(o: Opportunity): SkillRequirement[] {
  return itemsOf(o.skill_requirements.map(toRow));
}

const sameItems = (a: SkillRequirement[], b: SkillRequirement[]) => JSON.stringify(a) === JSON.stringify(b);

/** input.rs `parse_skill_requirements`, as far as the console can tell (the catalog is the server's). */
function check(rows: Row[]): FieldError[] {
  const p = new Problems();
  if (rows.length > SKILL_REQUIREMENTS_MAX) p.add('items', `must list at most ${SKILL_REQUIREMENTS_MAX} requirements`);
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (r.source === 'catalog' && !r.skillId) p.add(`items[${i}].skill_id`, 'is required');
    if (r.source === 'custom') checkText(p, `items[${i}].custom_name`, r.customName, CUSTOM_SKILL_MAX);
    const identity = r.source === 'catalog' ? `id:${r.skillId}` : `name:${r.customName.trim().toLowerCase()}`;
    if ((r.skillId || r.customName.trim()) && seen.has(identity)) p.add(`items[${i}]`, 'lists the same skill twice');
    seen.add(identity);
  });
  return p.list;
}

export function SkillRequirementsEditor({
  current,
  readOnly,
  onChanged,
  outside = [],
}: {
  current: Current;
  readOnly: boolean;
  onChanged: (o: Opportunity, etag: string | null) => void;
  outside?: string[];
}) {
  const o = current.opportunity;
  const user = session()?.sub ?? '';
  const scope = `opportunity.${o.id}.skills`;
  const saved = savedItems(o);
  const [rows, setRows] = useState<Row[]>(o.skill_requirements.map(toRow));
  const [base, setBase] = useState<SkillRequirement[]>(saved);
  const [theirs, setTheirs] = useState<SkillRequirement[] | null>(null);
  const [catalog, setCatalog] = useState<Skill[]>([]);
  const [problem, setProblem] = useState<unknown>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const items = itemsOf(rows);
  const dirty = !sameItems(items, base);

  useEffect(() => {
    listSkills().then(setCatalog, setProblem);
    const draft = loadDraft<SkillRequirement[]>(user, scope);
    if (!draft || sameItems(draft.value, draft.base)) return;
    setRows(draft.value.map(toRow));
    setBase(draft.base);
    if (!sameItems(draft.base, saved)) setTheirs(saved);
    else setNotice('Your unsaved skills were restored.');
  }, [o.id]);
  useEffect(() => {
    if (sameItems(saved, base)) return;
    if (!dirty) {
      setRows(o.skill_requirements.map(toRow));
      setBase(saved);
    } else if (!sameItems(saved, items)) setTheirs(saved);
  }, [JSON.stringify(saved)]);
  useEffect(() => {
    setUnsaved('skills', dirty);
    if (dirty) saveDraft(user, scope, { base, value: items, version: o.version });
    else dropDraft(user, scope);
  }, [JSON.stringify(items), JSON.stringify(base)]);
  useEffect(() => () => setUnsaved('skills', false), []);

  const update = (key: number, change: Partial<Row>) => {
    setNotice('');
    setRows((rs) =>
      rs.map((r) => {
        if (r.key !== key) return r;
        const next = { ...r, ...change };
        // A catalog skill brings its category.
        if (change.skillId) next.category = catalog.find((s) => s.id === change.skillId)?.category ?? next.category;
        return next;
      }),
    );
  };
  const add = () => {
    const key = ++keys;
    setRows((rs) => [...rs, { key, source: 'catalog', skillId: '', customName: '', category: 'technical', importance: 'must_have', minProficiency: 'intermediate' }]);
    window.setTimeout(() => document.getElementById(`sk-skill-${key}`)?.focus(), 0);
  };

  const put = async (etag: string | null) => {
    const { data, etag: next } = await putSkillRequirements(o.id, items, etag);
    const now = savedItems(data);
    setBase(now);
    setRows(data.skill_requirements.map(toRow));
    setTheirs(null);
    dropDraft(user, scope);
    onChanged(data, next);
    setNotice('Skill requirements saved.');
  };

  const save = async () => {
    setProblem(null);
    setNotice('');
    const found = check(rows);
    setErrors(found);
    if (found.length) return;
    setBusy(true);
    try {
      await put(current.etag);
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 412) {
        const fresh = await current.reload();
        try {
          if (fresh && sameItems(savedItems(fresh.opportunity), base)) await put(fresh.etag);
          else if (fresh) setTheirs(savedItems(fresh.opportunity));
        } catch (again) {
          setProblem(again);
        }
      } else if (e instanceof ApiProblem && e.errors.length) {
        setErrors(e.errors);
        setProblem(e);
      } else setProblem(e);
    } finally {
      setBusy(false);
    }
  };

  const nameOf = (r: SkillRequirement) => r.custom_name ?? catalog.find((s) => s.id === r.skill_id)?.name ?? 'a catalog skill';
  const describe = (list: SkillRequirement[]) =>
    list.length ? list.map((r) => `${nameOf(r)}${r.importance === 'must_have' ? ' (must have)' : ''}`).join(', ') : 'none';
  const listErrors = [...errors.filter((e) => e.field === 'items' || e.field === '').map((e) => fieldMessage(e.field, e.message)), ...outside];

  return (
    <section aria-labelledby="skills-h" class={listErrors.length ? 'invalid-block' : undefined}>
      <h2 id="skills-h">
        Skill requirements<span class="required"> (one must-have needed to submit)</span>
      </h2>
      {theirs !== null && (
        <ConflictChoice
          testId="skills-conflict"
          onKeepMine={() => {
            setBase(theirs);
            setTheirs(null);
            void save();
          }}
          onTakeTheirs={() => {
            setRows(theirs.map(toRow));
            setBase(theirs);
            setTheirs(null);
          }}
        >
          <p>
            <strong>Someone else changed the skills</strong> while you were editing them. Yours: {describe(items)}. Theirs: {describe(theirs)}.
          </p>
        </ConflictChoice>
      )}
      {rows.length === 0 && <p class="empty">No skills yet. Add the skills the architect needs; at least one must be a must-have to submit.</p>}
      <ol class="skill-rows">
        {rows.map((r, i) => {
          const err = (f: string) => errors.filter((e) => e.field === `items[${i}].${f}`).map((e) => fieldMessage(e.field, e.message));
          const rowErrors = errors
            .filter((e) => e.field === `items[${i}]` || (e.field.startsWith(`items[${i}].`) && !/\.(skill_id|custom_name)$/.test(e.field)))
            .map((e) => fieldMessage(e.field, e.message));
          const n = i + 1;
          return (
            <li key={r.key} class="skill-row">
              <fieldset disabled={readOnly}>
                <legend>Skill {n}</legend>
                <div class="row">
                  <div class="field">
                    <label for={`sk-source-${r.key}`}>Source</label>
                    <select id={`sk-source-${r.key}`} value={r.source} onChange={(e) => update(r.key, { source: e.currentTarget.value as Row['source'] })}>
                      <option value="catalog">From the catalog</option>
                      <option value="custom">Custom skill</option>
                    </select>
                  </div>
                  {r.source === 'catalog' ? (
                    <div class={err('skill_id').length ? 'field invalid' : 'field'}>
                      <label for={`sk-skill-${r.key}`}>
                        Catalog skill<span class="required"> (required)</span>
                      </label>
                      <select
                        id={`sk-skill-${r.key}`}
                        value={r.skillId}
                        aria-required="true"
                        aria-invalid={err('skill_id').length ? 'true' : undefined}
                        aria-describedby={err('skill_id').length ? `sk-skill-${r.key}-error` : undefined}
                        onChange={(e) => update(r.key, { skillId: e.currentTarget.value })}
                      >
                        <option value="">Choose…</option>
                        {catalog.map((s) => (
                          <option value={s.id} key={s.id}>
                            {s.name} ({label(s.category)})
                          </option>
                        ))}
                      </select>
                      <FieldErrors id={`sk-skill-${r.key}-error`} errors={err('skill_id')} />
                    </div>
                  ) : (
                    <div class={err('custom_name').length ? 'field invalid' : 'field'}>
                      <label for={`sk-custom-${r.key}`}>
                        Skill name<span class="required"> (required)</span>
                      </label>
                      <input
                        id={`sk-custom-${r.key}`}
                        value={r.customName}
                        maxLength={CUSTOM_SKILL_MAX}
                        aria-required="true"
                        aria-invalid={err('custom_name').length ? 'true' : undefined}
                        aria-describedby={err('custom_name').length ? `sk-custom-${r.key}-error` : undefined}
                        onInput={(e) => update(r.key, { customName: e.currentTarget.value })}
                      />
                      <FieldErrors id={`sk-custom-${r.key}-error`} errors={err('custom_name')} />
                    </div>
                  )}
                  <div class="field">
                    <label for={`sk-cat-${r.key}`}>Category</label>
                    <select id={`sk-cat-${r.key}`} value={r.category} onChange={(e) => update(r.key, { category: e.currentTarget.value })}>
                      {CATEGORIES.map((c) => (
                        <option value={c} key={c}>
                          {label(c)}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div class="field">
                    <label for={`sk-imp-${r.key}`}>Importance</label>
                    <select id={`sk-imp-${r.key}`} value={r.importance} onChange={(e) => update(r.key, { importance: e.currentTarget.value })}>
                      {IMPORTANCES.map((c) => (
                        <option value={c} key={c}>
                          {label(c)}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div class="field">
                    <label for={`sk-prof-${r.key}`}>Minimum proficiency</label>
                    <select id={`sk-prof-${r.key}`} value={r.minProficiency} onChange={(e) => update(r.key, { minProficiency: e.currentTarget.value })}>
                      {PROFICIENCIES.map((c) => (
                        <option value={c} key={c}>
                          {label(c)}
                        </option>
                      ))}
                    </select>
                  </div>
                  {!readOnly && (
                    <button type="button" class="link" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}>
                      Remove skill {n}
                    </button>
                  )}
                </div>
                <FieldErrors id={`sk-row-${r.key}-error`} errors={rowErrors} />
              </fieldset>
            </li>
          );
        })}
      </ol>
      <FieldErrors id="skills-error" errors={listErrors} />
      <ProblemBanner problem={problem} fieldsShown />
      {!readOnly && (
        <div class="actions">
          <button type="button" id="add-skill" onClick={add}>
            Add a skill
          </button>
          <button type="button" class="primary" onClick={() => void save()} disabled={busy}>
            Save skill requirements
          </button>
          {dirty && (
            <>
              <span class="unsaved">Not saved yet</span>
              <button
                type="button"
                class="link"
                onClick={() => {
                  setRows(o.skill_requirements.map(toRow));
                  setBase(saved);
                  setErrors([]);
                  setTheirs(null);
                }}
              >
                Discard changes to the skills
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
