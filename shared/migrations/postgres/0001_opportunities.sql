-- The opportunity lifecycle: customers, the skills catalog, opportunities with their skill
-- requirements, the history of every change, the outbox of change events and idempotency records.
CREATE TABLE customers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    name_key    text NOT NULL UNIQUE,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE skills (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    name_key    text NOT NULL UNIQUE,
    category    text NOT NULL,
    description text,
    created_at  timestamptz NOT NULL
);

CREATE TABLE opportunities (
    id                     uuid PRIMARY KEY,
    owner_sub              text NOT NULL,
    customer_id            uuid NOT NULL REFERENCES customers (id),
    title                  text NOT NULL,
    description            text NOT NULL,
    priority               text NOT NULL,
    priority_rank          integer NOT NULL,
    arr_amount             numeric(16, 2) NOT NULL,
    arr_currency           text NOT NULL,
    start_date             date,
    end_date               date,
    duration_days          integer,
    flexible               boolean,
    specific_days          text,
    start_date_key         date NOT NULL,
    problem_statement      text,
    status                 text NOT NULL,
    status_before_cancel   text,
    cancelled_at           timestamptz,
    version                bigint NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);

CREATE INDEX opportunities_owner_created ON opportunities (owner_sub, created_at, id);
CREATE INDEX opportunities_created ON opportunities (created_at, id);
CREATE INDEX opportunities_updated ON opportunities (updated_at, id);
CREATE INDEX opportunities_priority ON opportunities (priority_rank, id);
CREATE INDEX opportunities_start ON opportunities (start_date_key, id);
CREATE INDEX opportunities_customer ON opportunities (customer_id);

CREATE TABLE skill_requirements (
    opportunity_id   uuid NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    position         integer NOT NULL,
    skill_id         uuid REFERENCES skills (id),
    custom_name      text,
    category         text NOT NULL,
    importance       text NOT NULL,
    min_proficiency  text NOT NULL,
    PRIMARY KEY (opportunity_id, position)
);

CREATE TABLE opportunity_history (
    opportunity_id  uuid NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    kind            text NOT NULL,
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    from_status     text,
    to_status       text,
    field           text,
    old_value       text,
    new_value       text,
    reason          text,
    PRIMARY KEY (opportunity_id, seq)
);

CREATE TABLE outbox_events (
    id              uuid PRIMARY KEY,
    event_type      text NOT NULL,
    aggregate_id    uuid NOT NULL,
    aggregate_version bigint NOT NULL,
    occurred_at     timestamptz NOT NULL,
    payload         text NOT NULL,
    published_at    timestamptz
);

CREATE INDEX outbox_events_unpublished ON outbox_events (occurred_at) WHERE published_at IS NULL;

CREATE TABLE idempotency_records (
    caller_sub       text NOT NULL,
    idempotency_key  text NOT NULL,
    request_hash     text NOT NULL,
    status_code      integer NOT NULL,
    response_headers text NOT NULL,
    response_body    text NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (caller_sub, idempotency_key)
);
