-- The pipeline report, the retention purge and the export to S3.
--
-- arr_thousandths: the amount in thousandths of its currency unit, an exact integer (every amount
-- has at most 3 decimals), so that one report statement sums it the same way on PostgreSQL and
-- SQLite: integers, never floats (SQLite keeps arr_amount as decimal text).
ALTER TABLE opportunities ADD COLUMN arr_thousandths bigint GENERATED ALWAYS AS (CAST(arr_amount * 1000 AS bigint)) STORED;

-- Object keys whose rows the purge deleted, written in the rows' own transaction and removed once
-- the object store has deleted the object: a crash in between leaves the key here, never an
-- object that no row remembers.
CREATE TABLE object_deletions (
    object_key    text PRIMARY KEY,
    requested_at  timestamptz NOT NULL
);

-- One row per export run: the window it covers (updated_at in (lower_bound, upper_bound]), how
-- many part files it may have started (a redo deletes the ones it did not write again), and
-- whether its manifest was written.
CREATE TABLE export_runs (
    run_seq        bigint PRIMARY KEY,
    lower_bound    timestamptz NOT NULL,
    upper_bound    timestamptz NOT NULL,
    status         text NOT NULL,
    parts_started  integer NOT NULL,
    records        bigint,
    manifest_key   text,
    started_at     timestamptz NOT NULL,
    completed_at   timestamptz
);

CREATE INDEX opportunities_closed ON opportunities (updated_at, id) WHERE status IN ('completed', 'cancelled');
CREATE INDEX outbox_events_published ON outbox_events (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX processed_events_at ON processed_events (processed_at);
CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at);
