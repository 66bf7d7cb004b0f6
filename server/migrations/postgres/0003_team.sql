-- Team accounts (see the SQLite migration 0006_team.sql): operators,
-- memberships, invitations, operator sessions and named API keys; secrets
-- stored only as SHA-256 hex digests, passwords as Argon2id PHC strings.
CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE, -- lowercased
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE memberships (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    operator_id     TEXT NOT NULL REFERENCES operators (id),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, operator_id)
);

CREATE INDEX memberships_by_operator ON memberships (operator_id);

CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email           TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    token_hash      TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    accepted_at     BIGINT
);

CREATE TABLE operator_sessions (
    id_hash                TEXT PRIMARY KEY,
    operator_id            TEXT NOT NULL REFERENCES operators (id),
    active_organization_id TEXT REFERENCES organizations (id),
    created_at             BIGINT NOT NULL,
    last_seen_at           BIGINT NOT NULL
);

CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator_id);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL
);

CREATE INDEX api_keys_by_organization ON api_keys (organization_id, created_at);

-- Each organization's operator key becomes its first API key.
INSERT INTO api_keys (id, organization_id, name, key_hash, created_at)
SELECT md5(random()::text || id)::uuid::text, id, 'Default', operator_key_hash, created_at
FROM organizations;
ALTER TABLE organizations DROP COLUMN operator_key_hash;

ALTER TABLE conversations ADD COLUMN assignee_id TEXT REFERENCES operators (id);
CREATE INDEX conversations_by_assignee
    ON conversations (organization_id, assignee_id, last_activity_at, seq);

ALTER TABLE messages ADD COLUMN author_id TEXT;
ALTER TABLE messages ADD COLUMN author_name TEXT;
