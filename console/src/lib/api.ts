/** The API client: the bearer token, JSON in and out, and every refusal as an {@link ApiProblem}
 * (RFC 9457 problem+json) carrying its request id, so that the screen can show it. */
import { session } from './auth';

export interface FieldError {
  field: string;
  message: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly requestId: string | null,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }

  /** The messages for one field (and the fields below it, `timeline` for `timeline.end_date`). */
  forField(field: string): string[] {
    return this.errors.filter((e) => e.field === field).map((e) => e.message);
  }
}

export interface Answer<T> {
  data: T;
  etag: string | null;
  requestId: string | null;
  location: string | null;
}

let apiBase = '';
export function configureApi(base: string) {
  apiBase = base;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  ifMatch?: string | null;
  idempotencyKey?: string;
  contentType?: string;
  accept?: string;
  query?: Record<string, string | number | undefined | null>;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
  const s = session();
  if (s) headers.Authorization = `Bearer ${s.idToken}`;
  if (options.body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let url = apiBase + path;
  if (options.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const text = q.toString();
    if (text) url += (url.includes('?') ? '&' : '?') + text;
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    throw new ApiProblem(0, 'network_error', `The API cannot be reached (${String(error)}).`, null);
  }
  const requestId = response.headers.get('x-request-id');
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok) {
    if (type.includes('json')) {
      const problem = await response.json().catch(() => ({}));
      throw new ApiProblem(
        response.status,
        problem.code ?? `http_${response.status}`,
        problem.detail ?? problem.title ?? response.statusText,
        problem.request_id ?? requestId,
        Array.isArray(problem.errors) ? problem.errors : [],
      );
    }
    throw new ApiProblem(response.status, `http_${response.status}`, response.statusText || `HTTP ${response.status}`, requestId);
  }
  let data: unknown = null;
  if (response.status !== 204) {
    data = type.includes('json') ? await response.json() : await response.text();
  }
  return { data: data as T, etag: response.headers.get('etag'), requestId, location: response.headers.get('location') };
}

/** Every page of a list (the skills catalog, the customers). */
export async function all<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const { data }: Answer<Page<T>> = await api<Page<T>>(path, { query: { ...query, limit: 100, cursor } });
    items.push(...data.items);
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Money {
  amount: string;
  currency: string;
}
export interface CustomerRef {
  id: string;
  name: string;
}
export interface Timeline {
  start_date: string;
  end_date?: string | null;
  duration_days?: number | null;
  flexible: boolean;
  specific_days?: string[];
}
export interface SkillRequirement {
  skill_id?: string | null;
  custom_name?: string | null;
  name?: string;
  category: string;
  importance: string;
  min_proficiency: string;
}
export interface AttachmentSummary {
  id: string;
  file_name: string;
  content_type: string;
  size_bytes: number;
  status: string;
}
export interface Opportunity {
  id: string;
  owner_id: string;
  owner_name?: string | null;
  customer: CustomerRef;
  title: string;
  description: string;
  priority: string;
  annual_recurring_revenue: Money;
  timeline?: Timeline | null;
  problem_statement?: { markdown: string } | null;
  skill_requirements: SkillRequirement[];
  attachments: AttachmentSummary[];
  status: string;
  status_before_cancel?: string | null;
  cancelled_at?: string | null;
  reactivatable_until?: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}
export interface OpportunitySummary {
  id: string;
  owner_id: string;
  owner_name?: string | null;
  customer: CustomerRef;
  title: string;
  priority: string;
  status: string;
  annual_recurring_revenue: Money;
  start_date?: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}
export interface Skill {
  id: string;
  name: string;
  category: string;
  description?: string | null;
}
export interface HistoryItem {
  seq: number;
  kind: 'status' | 'field';
  at: string;
  actor: string;
  from?: unknown;
  to?: unknown;
  field?: string | null;
  old?: unknown;
  new?: unknown;
  reason?: string | null;
}
export interface Attachment extends AttachmentSummary {
  opportunity_id: string;
  created_at: string;
  completed_at?: string | null;
  rejection_reason?: string | null;
  download?: { url: string; expires_at: string } | null;
}
export interface Registered {
  attachment: Attachment;
  upload: { url: string; method: string; headers: Record<string, string>; expires_at: string };
}
