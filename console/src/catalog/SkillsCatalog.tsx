import { useEffect, useState } from 'preact/hooks';
import { createSkill, listSkills, type Skill } from '../lib/api';
import { CATEGORIES, label } from '../lib/format';
import { useTitle } from '../lib/router';
import { described, Field, fieldErrors, Loading, messagesFor, ProblemBanner } from '../ui';

export function SkillsCatalog({ admin }: { admin: boolean }) {
  const [skills, setSkills] = useState<Skill[] | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [category, setCategory] = useState('technical');
  const [description, setDescription] = useState('');
  const [notice, setNotice] = useState('');
  const [filter, setFilter] = useState('');
  const load = () => listSkills().then(setSkills, setProblem);
  useTitle('Skills catalog');
  const errorsFor = (p: unknown, field: string) => messagesFor(fieldErrors(p), [field]);
  useEffect(() => void load(), []);

  const add = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setNotice('');
    try {
      await createSkill({ name, category, ...(description.trim() ? { description } : {}) }, crypto.randomUUID());
      setNotice(`${name} added to the catalog.`);
      setName('');
      setDescription('');
      await load();
    } catch (e) {
      setProblem(e);
    }
  };
  const shown = (skills ?? []).filter((s) => !filter || `${s.name} ${s.category}`.toLowerCase().includes(filter.toLowerCase()));
  return (
    <>
      <h1>Skills catalog</h1>
      <div class="field">
        <label for="skill-filter">Filter</label>
        <input id="skill-filter" type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </div>
      {!skills ? (
        <Loading />
      ) : (
        <table class="list cards">
          <thead>
            <tr>
              <th scope="col">Skill</th>
              <th scope="col">Category</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr key={s.id}>
                <td data-label="Skill" class="card-title">{s.name}</td>
                <td data-label="Category">{label(s.category)}</td>
                <td data-label="Description">{s.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && (
        <form onSubmit={add} noValidate class="form">
          <h2>Add a skill</h2>
          <Field id="skill-name" label="Name" errors={errorsFor(problem, 'name')} required>
            <input {...described('skill-name', errorsFor(problem, 'name'), false, true)} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </Field>
          <Field id="skill-category" label="Category" errors={errorsFor(problem, 'category')}>
            <select id="skill-category" value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
              {CATEGORIES.map((c) => (
                <option value={c} key={c}>
                  {label(c)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="skill-description" label="Description (optional)" errors={errorsFor(problem, 'description')}>
            <input {...described('skill-description', errorsFor(problem, 'description'))} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </Field>
          <div class="actions">
            <button type="submit" class="primary">
              Add skill
            </button>
            <span role="status" class="notice">
              {notice}
            </span>
          </div>
        </form>
      )}
      <ProblemBanner problem={problem} fieldsShown={fieldErrors(problem).every((e) => ['name', 'category', 'description'].includes(e.field))} />
    </>
  );
}
