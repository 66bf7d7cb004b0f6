-- Files sent in conversations, in the database so replicas share them.
-- `message_id` is set by the message that sends one (once); until then
-- only the uploader (`visitor:<session hash>` or `team`) can send it, and
-- after a day unsent it is swept.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    uploader        TEXT NOT NULL,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    data            BLOB NOT NULL,
    preview_type    TEXT,
    preview         BLOB,
    message_id      TEXT, -- no foreign key: claimed just before the message row is written
    created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX attachments_by_conversation ON attachments (conversation_id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE message_id IS NULL;

-- Keys every replica shares (the attachment links' signing key).
CREATE TABLE server_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
