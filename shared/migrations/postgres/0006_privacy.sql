-- The user directory (seed 002's user profiles), written from the verified claims in the
-- transaction of each write a user makes; the audit log of privacy requests (exports, erasures),
-- which an erasure never removes; who created a catalog skill; and the indexes an export and an
-- erasure look people up by.
CREATE TABLE user_profiles (
    sub            text PRIMARY KEY,
    email          text,
    name           text,
    group_names    text NOT NULL,
    first_seen_at  timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL
);

CREATE TABLE audit_events (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    text NOT NULL,
    action      text NOT NULL,
    subject_id  text NOT NULL,
    details     text NOT NULL
);

CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_subject ON audit_events (subject_id, at, id);

ALTER TABLE skills ADD COLUMN created_by text;

CREATE INDEX skills_created_by ON skills (created_by);
CREATE INDEX customers_created_by ON customers (created_by);
CREATE INDEX opportunity_history_actor ON opportunity_history (actor);
CREATE INDEX attachments_owner ON attachments (owner_sub, created_at, id);
CREATE INDEX idempotency_records_caller ON idempotency_records (caller_sub);
