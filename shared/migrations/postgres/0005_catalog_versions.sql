-- The skills catalog's cache version: a counter bumped in the transaction of every catalog change
-- (never the wall clock, whose readings differ between functions). It starts above every
-- timestamp-derived version (microseconds since 1970) that caches written before this migration
-- may still hold, so the first new version already replaces them.
CREATE TABLE catalog_versions (
    name     text PRIMARY KEY,
    version  bigint NOT NULL
);

INSERT INTO catalog_versions (name, version) VALUES ('skills', 4000000000000000);
