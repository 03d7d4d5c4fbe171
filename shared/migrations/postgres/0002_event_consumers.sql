-- Events a consumer has applied, so that a redelivered event is applied once.
CREATE TABLE processed_events (
    event_id      uuid PRIMARY KEY,
    processed_at  timestamptz NOT NULL
);
