-- The opportunity lifecycle: customers, the skills catalog, opportunities with their skill
-- requirements, the history of every change, the outbox of change events and idempotency records.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE skills (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    category    TEXT NOT NULL,
    description TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE opportunities (
    id                     TEXT PRIMARY KEY,
    owner_sub              TEXT NOT NULL,
    customer_id            TEXT NOT NULL REFERENCES customers (id),
    title                  TEXT NOT NULL,
    description            TEXT NOT NULL,
    priority               TEXT NOT NULL,
    priority_rank          INTEGER NOT NULL,
    arr_amount             TEXT NOT NULL,
    arr_currency           TEXT NOT NULL,
    start_date             TEXT,
    end_date               TEXT,
    duration_days          INTEGER,
    flexible               INTEGER,
    specific_days          TEXT,
    start_date_key         TEXT NOT NULL,
    problem_statement      TEXT,
    status                 TEXT NOT NULL,
    status_before_cancel   TEXT,
    cancelled_at           TEXT,
    version                INTEGER NOT NULL,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);

CREATE INDEX opportunities_owner_created ON opportunities (owner_sub, created_at, id);
CREATE INDEX opportunities_created ON opportunities (created_at, id);
CREATE INDEX opportunities_updated ON opportunities (updated_at, id);
CREATE INDEX opportunities_priority ON opportunities (priority_rank, id);
CREATE INDEX opportunities_start ON opportunities (start_date_key, id);
CREATE INDEX opportunities_customer ON opportunities (customer_id);

CREATE TABLE skill_requirements (
    opportunity_id   TEXT NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    skill_id         TEXT REFERENCES skills (id),
    custom_name      TEXT,
    category         TEXT NOT NULL,
    importance       TEXT NOT NULL,
    min_proficiency  TEXT NOT NULL,
    PRIMARY KEY (opportunity_id, position)
);

CREATE TABLE opportunity_history (
    opportunity_id  TEXT NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    from_status     TEXT,
    to_status       TEXT,
    field           TEXT,
    old_value       TEXT,
    new_value       TEXT,
    reason          TEXT,
    PRIMARY KEY (opportunity_id, seq)
);

CREATE TABLE outbox_events (
    id              TEXT PRIMARY KEY,
    event_type      TEXT NOT NULL,
    aggregate_id    TEXT NOT NULL,
    aggregate_version INTEGER NOT NULL,
    occurred_at     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    published_at    TEXT
);

CREATE INDEX outbox_events_unpublished ON outbox_events (occurred_at) WHERE published_at IS NULL;

CREATE TABLE idempotency_records (
    caller_sub       TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    status_code      INTEGER NOT NULL,
    response_headers TEXT NOT NULL,
    response_body    TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    PRIMARY KEY (caller_sub, idempotency_key)
);
