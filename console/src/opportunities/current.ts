import type { Opportunity } from '../lib/api';

/** The opportunity a detail screen shows, the entity tag its changes must match, and a way to
 * read it again (after a 412, answering the new version, or null when that failed too). */
export interface Current {
  opportunity: Opportunity;
  etag: string | null;
  reload: () => Promise<{ opportunity: Opportunity; etag: string | null } | null>;
}

export const CLOSED = ['completed', 'cancelled'];
