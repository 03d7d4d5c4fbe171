-- Events a consumer has applied, so that a redelivered event is applied once.
CREATE TABLE processed_events (
    event_id      TEXT PRIMARY KEY,
    processed_at  TEXT NOT NULL
);
