-- The indexes of the PostgreSQL migration 0008 that SQLite has. SQLite has no trigram index: a
-- `q` search (LIKE '%text%') reads the rows in the sort order's index there, as before.

-- A Sales Manager's list in every sort order, and its keyset pages.
CREATE INDEX opportunities_owner_updated ON opportunities (owner_sub, updated_at, id);
CREATE INDEX opportunities_owner_priority ON opportunities (owner_sub, priority_rank, id);
CREATE INDEX opportunities_owner_start ON opportunities (owner_sub, start_date_key, id);

-- The privacy export's pages, in the order they are read.
DROP INDEX opportunity_history_actor;
CREATE INDEX opportunity_history_actor ON opportunity_history (actor, opportunity_id, seq);
DROP INDEX customers_created_by;
CREATE INDEX customers_created_by ON customers (created_by, created_at, id);
DROP INDEX skills_created_by;
CREATE INDEX skills_created_by ON skills (created_by, created_at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at, id);

-- The purge's unfinished registrations, oldest first.
CREATE INDEX attachments_unfinished ON attachments (created_at, id) WHERE status IN ('rejected', 'pending');
