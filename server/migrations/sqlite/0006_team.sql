-- Team accounts: operators are people with a password (Argon2id PHC
-- string), members of organizations with a role. Session cookies,
-- invitation tokens and API keys are stored only as SHA-256 hex digests.
CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE, -- lowercased
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    operator_id     TEXT NOT NULL REFERENCES operators (id),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, operator_id)
) STRICT;

CREATE INDEX memberships_by_operator ON memberships (operator_id);

CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email           TEXT NOT NULL, -- lowercased
    role            TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    token_hash      TEXT NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    accepted_at     INTEGER
) STRICT;

CREATE TABLE operator_sessions (
    id_hash                TEXT PRIMARY KEY,
    operator_id            TEXT NOT NULL REFERENCES operators (id),
    active_organization_id TEXT REFERENCES organizations (id),
    created_at             INTEGER NOT NULL,
    last_seen_at           INTEGER NOT NULL
) STRICT;

CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator_id);

-- Named API keys replace the single operator key: each organization's key
-- becomes its first API key. organizations.operator_key_hash is no longer
-- read (SQLite cannot drop a UNIQUE column); new organizations store their
-- first key's hash there too.
CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX api_keys_by_organization ON api_keys (organization_id, created_at);

INSERT INTO api_keys (id, organization_id, name, key_hash, created_at)
SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
       || substr(lower(hex(randomblob(2))), 2) || '-a'
       || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
       id, 'Default', operator_key_hash, created_at
FROM organizations;

ALTER TABLE conversations ADD COLUMN assignee_id TEXT REFERENCES operators (id);
CREATE INDEX conversations_by_assignee
    ON conversations (organization_id, assignee_id, last_activity_at, seq);

-- Who wrote an operator message: the operator (NULL for an API key) and
-- the name shown, as it was when they wrote it.
ALTER TABLE messages ADD COLUMN author_id TEXT;
ALTER TABLE messages ADD COLUMN author_name TEXT;
