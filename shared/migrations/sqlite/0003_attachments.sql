-- Attachments: registered before the upload (pending), completed by the S3 ObjectCreated event
-- (available or rejected). The object key derives from the ids, never from the file name.
CREATE TABLE attachments (
    id                 TEXT PRIMARY KEY,
    opportunity_id     TEXT NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    owner_sub          TEXT NOT NULL,
    file_name          TEXT NOT NULL,
    content_type       TEXT NOT NULL,
    size_bytes         INTEGER NOT NULL,
    sha256             TEXT,
    object_key         TEXT NOT NULL UNIQUE,
    status             TEXT NOT NULL,
    rejection_reason   TEXT,
    created_at         TEXT NOT NULL,
    upload_expires_at  TEXT NOT NULL,
    completed_at       TEXT
);

CREATE INDEX attachments_opportunity ON attachments (opportunity_id, created_at, id);
CREATE INDEX attachments_pending ON attachments (upload_expires_at) WHERE status = 'pending';
