import { useEffect, useState } from 'preact/hooks';
import { searchCustomers, type CustomerRef } from '../lib/api';
import { FieldErrors } from '../ui';

/** Picks a customer by name: a combobox (type-ahead over `GET /v1/customers?q=`, the ARIA 1.2
 * list-autocomplete pattern: arrows move, Enter picks, Escape closes). */
export function CustomerPicker({
  id,
  label,
  value,
  onChange,
  hint,
  errors = [],
  required = false,
}: {
  id: string;
  label: string;
  value: CustomerRef | null;
  onChange: (customer: CustomerRef | null) => void;
  hint?: string;
  /** Messages for this field, shown beneath it. */
  errors?: string[];
  required?: boolean;
}) {
  const [query, setQuery] = useState(value?.name ?? '');
  const [options, setOptions] = useState<CustomerRef[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  useEffect(() => setQuery(value?.name ?? ''), [value?.id, value?.name]);
  useEffect(() => {
    if (!open) return;
    const handle = window.setTimeout(() => {
      searchCustomers(query.trim(), 10).then(
        (found) => {
          setOptions(found);
          setActive(found.length ? 0 : -1);
        },
        () => setOptions([]),
      );
    }, 150);
    return () => window.clearTimeout(handle);
  }, [query, open]);

  const pick = (c: CustomerRef | null) => {
    onChange(c);
    setQuery(c?.name ?? '');
    setOpen(false);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(options.length - 1, a + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === 'Enter' && open && active >= 0 && options[active]) {
      e.preventDefault();
      pick(options[active]);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      setOpen(false);
    }
  };
  const listId = `${id}-list`;
  return (
    <div class={errors.length ? 'field picker invalid' : 'field picker'}>
      <label for={id}>
        {label}
        {required && <span class="required"> (required)</span>}
      </label>
      <input
        id={id}
        type="text"
        role="combobox"
        autocomplete="off"
        aria-autocomplete="list"
        aria-expanded={open && options.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 && options[active] ? `${listId}-${active}` : undefined}
        aria-describedby={[hint ? `${id}-hint` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}
        aria-invalid={errors.length ? 'true' : undefined}
        aria-required={required ? 'true' : undefined}
        placeholder="Type a name"
        value={query}
        onInput={(e) => {
          const text = e.currentTarget.value;
          setQuery(text);
          setOpen(true);
          if (value && text !== value.name) onChange(null);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKey}
      />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <FieldErrors id={`${id}-error`} errors={errors} />
      <ul id={listId} role="listbox" aria-label={`${label}: matches`} class="picker-list" hidden={!open || options.length === 0}>
        {options.map((c, i) => (
          <li
            key={c.id}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            class={i === active ? 'active' : undefined}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => pick(c)}
          >
            {c.name}
          </li>
        ))}
      </ul>
    </div>
  );
}
