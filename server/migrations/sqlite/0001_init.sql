-- Echo schema, SQLite. Secrets (contact-session IDs, operator keys) are
-- stored only as SHA-256 hex digests.

CREATE TABLE organizations (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    operator_key_hash   TEXT NOT NULL UNIQUE,
    greet_message       TEXT NOT NULL,
    suggestions         TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    subscription_status TEXT NOT NULL DEFAULT 'inactive'
        CHECK (subscription_status IN ('active', 'inactive')),
    created_at          INTEGER NOT NULL
) STRICT;

CREATE TABLE contact_sessions (
    id_hash         TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    metadata        TEXT NOT NULL, -- JSON object
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX contact_sessions_by_organization ON contact_sessions (organization_id);

CREATE TABLE conversations (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT NOT NULL UNIQUE,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    contact_session_hash TEXT NOT NULL REFERENCES contact_sessions (id_hash),
    status               TEXT NOT NULL DEFAULT 'unresolved'
        CHECK (status IN ('unresolved', 'escalated', 'resolved')),
    created_at           INTEGER NOT NULL,
    last_activity_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX conversations_by_session ON conversations (contact_session_hash, seq);
CREATE INDEX conversations_by_organization ON conversations (organization_id, last_activity_at);
CREATE INDEX conversations_by_status_organization
    ON conversations (status, organization_id, last_activity_at);

CREATE TABLE messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    role            TEXT NOT NULL CHECK (role IN ('visitor', 'assistant', 'operator')),
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
