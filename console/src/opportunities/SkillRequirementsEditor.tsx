import { useEffect, useState } from 'preact/hooks';
import { all, api, type Opportunity, type Skill, type SkillRequirement } from '../lib/api';
import { CATEGORIES, IMPORTANCES, label, PROFICIENCIES } from '../lib/format';
import { errorsFor, ProblemBanner } from '../ui';
import type { Current } from './OpportunityDetail';

interface Row {
  key: number;
  source: 'catalog' | 'custom';
  skillId: string;
  customName: string;
  category: string;
  importance: string;
  minProficiency: string;
}

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

export function SkillRequirementsEditor({
  current,
  readOnly,
  onChanged,
}: {
  current: Current;
  readOnly: boolean;
  onChanged: (o: Opportunity, etag: string | null) => void;
}) {
  const saved = current.opportunity.skill_requirements;
  const [rows, setRows] = useState<Row[]>(saved.map(toRow));
  const [catalog, setCatalog] = useState<Skill[]>([]);
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  useEffect(() => setRows(saved.map(toRow)), [JSON.stringify(saved)]);
  useEffect(() => {
    all<Skill>('/v1/skills').then(setCatalog, setProblem);
  }, []);

  const update = (key: number, change: Partial<Row>) =>
    setRows((rs) =>
      rs.map((r) => {
        if (r.key !== key) return r;
        const next = { ...r, ...change };
        // A catalog skill brings its category.
        if (change.skillId) next.category = catalog.find((s) => s.id === change.skillId)?.category ?? next.category;
        return next;
      }),
    );
  const add = () =>
    setRows((rs) => [...rs, { key: ++keys, source: 'catalog', skillId: '', customName: '', category: 'technical', importance: 'must_have', minProficiency: 'intermediate' }]);

  const save = async () => {
    setProblem(null);
    setNotice('');
    const items = rows.map((r) => ({
      ...(r.source === 'catalog' ? { skill_id: r.skillId } : { custom_name: r.customName }),
      category: r.category,
      importance: r.importance,
      min_proficiency: r.minProficiency,
    }));
    try {
      const { data, etag } = await api<Opportunity>(`/v1/opportunities/${current.opportunity.id}/skill-requirements`, {
        method: 'PUT',
        body: { items },
        ifMatch: current.etag,
      });
      onChanged(data, etag);
      setNotice('Skill requirements saved.');
    } catch (e) {
      setProblem(e);
    }
  };

  return (
    <section aria-labelledby="skills-h">
      <h2 id="skills-h">Skill requirements</h2>
      {rows.length === 0 && <p class="empty">No skills yet. Submitting needs at least one must-have skill.</p>}
      <ol class="skill-rows">
        {rows.map((r, i) => {
          const err = (f: string) => errorsFor(problem, `items[${i}].${f}`);
          const rowErrors = errorsFor(problem, `items[${i}]`).filter(
            (m) => !m.startsWith(`items[${i}].skill_id:`) && !m.startsWith(`items[${i}].custom_name:`),
          );
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
                      <label for={`sk-skill-${r.key}`}>Catalog skill</label>
                      <select
                        id={`sk-skill-${r.key}`}
                        value={r.skillId}
                        aria-invalid={err('skill_id').length ? 'true' : undefined}
                        onChange={(e) => update(r.key, { skillId: e.currentTarget.value })}
                      >
                        <option value="">Choose…</option>
                        {catalog.map((s) => (
                          <option value={s.id} key={s.id}>
                            {s.name} ({label(s.category)})
                          </option>
                        ))}
                      </select>
                      {err('skill_id').map((m) => <p class="field-error" key={m}>{m}</p>)}
                    </div>
                  ) : (
                    <div class={err('custom_name').length ? 'field invalid' : 'field'}>
                      <label for={`sk-custom-${r.key}`}>Skill name</label>
                      <input
                        id={`sk-custom-${r.key}`}
                        value={r.customName}
                        aria-invalid={err('custom_name').length ? 'true' : undefined}
                        onInput={(e) => update(r.key, { customName: e.currentTarget.value })}
                      />
                      {err('custom_name').map((m) => <p class="field-error" key={m}>{m}</p>)}
                    </div>
                  )}
                  <div class="field">
                    <label for={`sk-cat-${r.key}`}>Category</label>
                    <select id={`sk-cat-${r.key}`} value={r.category} onChange={(e) => update(r.key, { category: e.currentTarget.value })}>
                      {CATEGORIES.map((c) => <option value={c} key={c}>{label(c)}</option>)}
                    </select>
                  </div>
                  <div class="field">
                    <label for={`sk-imp-${r.key}`}>Importance</label>
                    <select id={`sk-imp-${r.key}`} value={r.importance} onChange={(e) => update(r.key, { importance: e.currentTarget.value })}>
                      {IMPORTANCES.map((c) => <option value={c} key={c}>{label(c)}</option>)}
                    </select>
                  </div>
                  <div class="field">
                    <label for={`sk-prof-${r.key}`}>Minimum proficiency</label>
                    <select id={`sk-prof-${r.key}`} value={r.minProficiency} onChange={(e) => update(r.key, { minProficiency: e.currentTarget.value })}>
                      {PROFICIENCIES.map((c) => <option value={c} key={c}>{label(c)}</option>)}
                    </select>
                  </div>
                  {!readOnly && (
                    <button type="button" class="link" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}>
                      Remove skill {n}
                    </button>
                  )}
                </div>
                {rowErrors.map((m) => <p class="field-error" key={m}>{m}</p>)}
              </fieldset>
            </li>
          );
        })}
      </ol>
      {errorsFor(problem, 'items')
        .filter((m) => !m.startsWith('items['))
        .map((m) => <p class="field-error" key={m}>{m}</p>)}
      <ProblemBanner problem={problem} onReload={() => { setProblem(null); current.reload(); }} />
      {!readOnly && (
        <div class="actions">
          <button type="button" onClick={add}>
            Add a skill
          </button>
          <button type="button" class="primary" onClick={() => void save()}>
            Save skill requirements
          </button>
          <span role="status" class="notice">{notice}</span>
        </div>
      )}
    </section>
  );
}
