-- The knowledge base: each organization's uploaded files and the text
-- extracted from them. The search index is built from this table (it is a
-- cache); `knowledge_version` grows with every change, so an index built
-- from an older version is known to be stale, on any replica.
CREATE TABLE knowledge_files (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX knowledge_files_by_organization ON knowledge_files (organization_id, created_at);

ALTER TABLE organizations ADD COLUMN knowledge_version INTEGER NOT NULL DEFAULT 0;
