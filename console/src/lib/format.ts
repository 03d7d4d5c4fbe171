export const STATUSES = ['draft', 'submitted', 'matching_in_progress', 'matches_found', 'architect_selected', 'completed', 'cancelled'];
export const PRIORITIES = ['low', 'medium', 'high', 'critical'];
export const CATEGORIES = ['technical', 'soft', 'industry', 'language', 'geography'];
export const IMPORTANCES = ['must_have', 'nice_to_have'];
export const PROFICIENCIES = ['beginner', 'intermediate', 'advanced', 'expert'];
export const SORTS: [string, string][] = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['-updated_at', 'Recently updated'],
  ['updated_at', 'Least recently updated'],
  ['-priority', 'Priority, highest first'],
  ['priority', 'Priority, lowest first'],
  ['start_date', 'Start date, soonest first'],
  ['-start_date', 'Start date, latest first'],
];

/** `matching_in_progress` as "Matching in progress". */
export function label(value: string): string {
  const text = value.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function money(m: { amount: string; currency: string }): string {
  const n = Number(m.amount);
  if (!Number.isFinite(n)) return `${m.amount} ${m.currency}`;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: m.currency, maximumFractionDigits: 3 }).format(n);
  } catch {
    return `${m.amount} ${m.currency}`;
  }
}

export function dateTime(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function shortValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v.length > 120 ? v.slice(0, 117) + '…' : v;
  if (typeof v === 'object' && v && 'amount' in v && 'currency' in v) return money(v as { amount: string; currency: string });
  // Skill requirements: their names and importance, not their JSON.
  if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'name' in x)) {
    return v.length ? v.map((x) => `${x.name}${x.importance === 'must_have' ? ' (must have)' : ''}`).join(', ') : 'none';
  }
  if (typeof v === 'object' && v && 'start_date' in v) {
    const t = v as { start_date: string; end_date?: string | null; duration_days?: number | null };
    return `${t.start_date} → ${t.end_date ?? `${t.duration_days} days`}`;
  }
  const text = JSON.stringify(v);
  return text.length > 120 ? text.slice(0, 117) + '…' : text;
}
