-- Attachments: registered before the upload (pending), completed by the S3 ObjectCreated event
-- (available or rejected). The object key derives from the ids, never from the file name.
CREATE TABLE attachments (
    id                 uuid PRIMARY KEY,
    opportunity_id     uuid NOT NULL REFERENCES opportunities (id) ON DELETE CASCADE,
    owner_sub          text NOT NULL,
    file_name          text NOT NULL,
    content_type       text NOT NULL,
    size_bytes         bigint NOT NULL,
    sha256             text,
    object_key         text NOT NULL UNIQUE,
    status             text NOT NULL,
    rejection_reason   text,
    created_at         timestamptz NOT NULL,
    upload_expires_at  timestamptz NOT NULL,
    completed_at       timestamptz
);

CREATE INDEX attachments_opportunity ON attachments (opportunity_id, created_at, id);
CREATE INDEX attachments_pending ON attachments (upload_expires_at) WHERE status = 'pending';
