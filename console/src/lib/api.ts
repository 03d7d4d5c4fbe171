/** The API client: the bearer token (the ID token), JSON in and out, and every refusal as an
 * {@link ApiProblem} (RFC 9457 problem+json) carrying its request id, so that the screen can show
 * it. Every call the screens make is a typed function at the end of this file (no URL in a page),
 * so that a client generated from openapi.json can take their place. */
import { refresh, session } from './auth';

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

/** One call; a 401 (the token expired or was revoked meanwhile) renews the sign-in once and
 * sends the call again, so that the user's save goes through; when the renewal fails the session
 * ends, the sign-in page shows, and the screen's draft is restored after signing in again. */
async function api<T>(path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  try {
    return await send<T>(path, options);
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status !== 401 || !session()) throw error;
    await refresh();
    if (!session()) throw error;
    return send<T>(path, options);
  }
}

async function send<T>(path: string, options: RequestOptions): Promise<Answer<T>> {
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
    // The browser's own words ("Failed to fetch") stay under "Details for support".
    throw new ApiProblem(0, 'network_error', `No answer from ${apiBase || location.origin} (${String(error)}).`, null);
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
async function all<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
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
  /** The actor's name (or e-mail) from the user directory; absent for a service or an erased person. */
  actor_name?: string;
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

export interface Me {
  sub: string;
  name?: string | null;
  email?: string | null;
}
export interface OpportunityFilters {
  status?: string;
  priority?: string;
  customer_id?: string;
  owner_id?: string;
  created_from?: string;
  created_to?: string;
  q?: string;
  sort?: string;
}
export interface ReportRow {
  count: number;
  arr: Money[];
}
export interface PipelineReport {
  filters: Record<string, unknown>;
  generated_at: string;
  total: ReportRow;
  by_status: (ReportRow & { status: string })[];
  by_priority: (ReportRow & { priority: string })[];
  by_status_priority: (ReportRow & { status: string; priority: string })[];
}
export interface ReportFilters {
  created_from?: string;
  created_to?: string;
  owner_id?: string;
  customer_id?: string;
}
export interface AuditEvent {
  id: string;
  at: string;
  actor_id: string;
  action: string;
  subject_id: string;
  details: Record<string, unknown>;
}

const opportunity = (id: string) => `/v1/opportunities/${encodeURIComponent(id)}`;

export const getMe = () => api<Me>('/v1/me');
export const searchCustomers = (q: string, limit = 20) =>
  api<Page<CustomerRef>>('/v1/customers', { query: { q, limit } }).then(({ data }) => data.items);
export const getCustomer = (id: string) => api<CustomerRef>(`/v1/customers/${encodeURIComponent(id)}`).then(({ data }) => data);
export const listOpportunities = (filters: OpportunityFilters, limit: number, cursor: string | null) =>
  api<Page<OpportunitySummary>>('/v1/opportunities', { query: { ...filters, limit, cursor } }).then(({ data }) => data);
export const getOpportunity = (id: string) => api<Opportunity>(opportunity(id));
export const createOpportunity = (body: Record<string, unknown>, idempotencyKey: string) =>
  api<Opportunity>('/v1/opportunities', { method: 'POST', body, idempotencyKey });
export const updateOpportunity = (id: string, patch: Record<string, unknown>, ifMatch: string | null) =>
  api<Opportunity>(opportunity(id), { method: 'PATCH', body: patch, ifMatch, contentType: 'application/merge-patch+json' });
export const changeStatus = (id: string, action: 'submit' | 'cancel' | 'reactivate', ifMatch: string | null, body?: unknown) =>
  api<Opportunity>(`${opportunity(id)}/${action}`, { method: 'POST', body, ifMatch });
export const putProblemStatement = (id: string, markdown: string, ifMatch: string | null) =>
  api<Opportunity>(`${opportunity(id)}/problem-statement`, { method: 'PUT', body: { markdown }, ifMatch });
export const putSkillRequirements = (id: string, items: SkillRequirement[], ifMatch: string | null) =>
  api<Opportunity>(`${opportunity(id)}/skill-requirements`, { method: 'PUT', body: { items }, ifMatch });
export const listHistory = (id: string, limit: number, cursor: string | null) =>
  api<Page<HistoryItem>>(`${opportunity(id)}/history`, { query: { limit, cursor } }).then(({ data }) => data);
export const listAttachments = (id: string) =>
  api<Page<AttachmentSummary>>(`${opportunity(id)}/attachments`, { query: { limit: 100 } }).then(({ data }) => data.items);
export const registerAttachment = (id: string, body: { file_name: string; content_type: string; size_bytes: number; sha256: string }, idempotencyKey: string) =>
  api<Registered>(`${opportunity(id)}/attachments`, { method: 'POST', body, idempotencyKey }).then(({ data }) => data);
export const getAttachment = (id: string) => api<Attachment>(`/v1/attachments/${encodeURIComponent(id)}`).then(({ data }) => data);
export const deleteAttachment = (id: string) => api<null>(`/v1/attachments/${encodeURIComponent(id)}`, { method: 'DELETE' });
export const listSkills = () => all<Skill>('/v1/skills');
export const createSkill = (body: { name: string; category: string; description?: string }, idempotencyKey: string) =>
  api<Skill>('/v1/skills', { method: 'POST', body, idempotencyKey });
export const getPipelineReport = (filters: ReportFilters) => api<PipelineReport>('/v1/reports/pipeline', { query: { ...filters } }).then(({ data }) => data);
export const getPipelineCsv = (filters: ReportFilters) =>
  api<string>('/v1/reports/pipeline', { query: { ...filters }, accept: 'text/csv' }).then(({ data }) => data);
export const exportSubject = (userId: string) => api<unknown>(`/v1/privacy/subjects/${encodeURIComponent(userId)}/export`).then(({ data }) => data);
export const eraseSubject = (userId: string) => api<unknown>(`/v1/privacy/subjects/${encodeURIComponent(userId)}/erasure`, { method: 'POST', body: {} });
export const listAuditEvents = (limit: number, cursor: string | null) =>
  api<Page<AuditEvent>>('/v1/audit-events', { query: { limit, cursor } }).then(({ data }) => data);

/** Headers a page may not set itself (the browser sends them). */
const BROWSER_HEADERS = new Set(['content-length', 'host']);

/** PUTs the file straight to the signed URL with the headers it binds, reporting progress. */
export function uploadFile(registered: Registered, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(registered.upload.method || 'PUT', registered.upload.url);
    for (const [name, value] of Object.entries(registered.upload.headers)) {
      if (!BROWSER_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        let detail = xhr.statusText || `HTTP ${xhr.status}`;
        try {
          detail = JSON.parse(xhr.responseText).detail ?? detail;
        } catch {
          /* S3 answers XML */
        }
        reject(new ApiProblem(xhr.status, 'upload_failed', `The upload was refused: ${detail}`, xhr.getResponseHeader('x-request-id') ?? xhr.getResponseHeader('x-amz-request-id')));
      }
    };
    xhr.onerror = () => reject(new ApiProblem(0, 'upload_failed', 'The upload could not reach the storage.', null));
    xhr.send(file);
  });
}

