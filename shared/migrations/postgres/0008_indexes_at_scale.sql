-- The indexes the scale bench (oms-bench-scale, docs/PERFORMANCE.md "Data at scale") showed
-- missing at 10^5 and 10^6 opportunities.
--
-- CREATE EXTENSION is database-wide: migrations of two fresh schemas of one database at once (the
-- test suite runs many) would collide on it, so they take turns. pg_trgm goes into `public` and
-- its operator class is named with the schema, so that it serves every schema of the database
-- whatever the search path (Aurora PostgreSQL supports pg_trgm as a trusted extension).
SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(8008)) AS turn;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

-- `q`: a case-insensitive substring of the title or of the customer's name (the LIST_MATCHING_*
-- statements give each its own half, so that each can use its trigram index).
CREATE INDEX opportunities_title_trgm ON opportunities USING gin (lower(title) public.gin_trgm_ops);
CREATE INDEX customers_name_trgm ON customers USING gin (lower(name) public.gin_trgm_ops);

-- A Sales Manager's list in every sort order, and its keyset pages (opportunities_owner_created
-- serves the creation order).
CREATE INDEX opportunities_owner_updated ON opportunities (owner_sub, updated_at, id);
CREATE INDEX opportunities_owner_priority ON opportunities (owner_sub, priority_rank, id);
CREATE INDEX opportunities_owner_start ON opportunities (owner_sub, start_date_key, id);

-- The privacy export's pages, in the order they are read: the history a person made, the
-- customers and skills they created, the audit events they made as an Admin.
DROP INDEX opportunity_history_actor;
CREATE INDEX opportunity_history_actor ON opportunity_history (actor, opportunity_id, seq);
DROP INDEX customers_created_by;
CREATE INDEX customers_created_by ON customers (created_by, created_at, id);
DROP INDEX skills_created_by;
CREATE INDEX skills_created_by ON skills (created_by, created_at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at, id);

-- The purge's unfinished registrations (rejected, and pending whose upload URL lapsed), oldest
-- first: the order the purge takes them in, so that a backlog is not sorted whole per batch.
CREATE INDEX attachments_unfinished ON attachments (created_at, id) WHERE status IN ('rejected', 'pending');
