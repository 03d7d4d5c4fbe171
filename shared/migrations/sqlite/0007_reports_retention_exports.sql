-- The pipeline report, the retention purge and the export to S3.
--
-- arr_thousandths: the amount in thousandths of its currency unit, read exactly from the decimal
-- text SQLite keeps (digits, at most one point, at most 3 decimals: Money::parse), with string
-- functions and integer casts only, never through a float. A virtual column: ALTER TABLE can add
-- no stored one.
ALTER TABLE opportunities ADD COLUMN arr_thousandths INTEGER GENERATED ALWAYS AS (CASE WHEN instr(arr_amount, '.') = 0 THEN CAST(arr_amount AS INTEGER) * 1000 ELSE CAST(substr(arr_amount, 1, instr(arr_amount, '.') - 1) AS INTEGER) * 1000 + CAST(substr(substr(arr_amount, instr(arr_amount, '.') + 1) || '000', 1, 3) AS INTEGER) END) VIRTUAL;

-- Object keys whose rows the purge deleted, written in the rows' own transaction and removed once
-- the object store has deleted the object.
CREATE TABLE object_deletions (
    object_key    TEXT PRIMARY KEY,
    requested_at  TEXT NOT NULL
);

-- One row per export run (see the PostgreSQL migration).
CREATE TABLE export_runs (
    run_seq        INTEGER PRIMARY KEY,
    lower_bound    TEXT NOT NULL,
    upper_bound    TEXT NOT NULL,
    status         TEXT NOT NULL,
    parts_started  INTEGER NOT NULL,
    records        INTEGER,
    manifest_key   TEXT,
    started_at     TEXT NOT NULL,
    completed_at   TEXT
);

CREATE INDEX opportunities_closed ON opportunities (updated_at, id) WHERE status IN ('completed', 'cancelled');
CREATE INDEX outbox_events_published ON outbox_events (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX processed_events_at ON processed_events (processed_at);
CREATE INDEX idempotency_records_expiry ON idempotency_records (expires_at);
