-- Echo schema, PostgreSQL: the same tables and rules as the SQLite schema
-- (migrations/sqlite), in one step. Secrets (contact-session IDs, operator
-- keys) are stored only as SHA-256 hex digests. Times are milliseconds since
-- the Unix epoch.

CREATE TABLE organizations (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    operator_key_hash   TEXT NOT NULL UNIQUE,
    greet_message       TEXT NOT NULL,
    suggestions         TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    subscription_status TEXT NOT NULL DEFAULT 'inactive'
        CHECK (subscription_status IN ('active', 'inactive')),
    created_at          BIGINT NOT NULL,
    -- The last event position handed out in this organization. Taking the
    -- next one locks this row until commit, so an organization's events
    -- commit in position order and a follower never skips one.
    event_position      BIGINT NOT NULL DEFAULT 0,
    knowledge_version   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE contact_sessions (
    id_hash         TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    metadata        TEXT NOT NULL, -- JSON object
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);

CREATE INDEX contact_sessions_by_organization ON contact_sessions (organization_id);

CREATE TABLE conversations (
    seq                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                   TEXT NOT NULL UNIQUE,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    contact_session_hash TEXT NOT NULL REFERENCES contact_sessions (id_hash),
    status               TEXT NOT NULL DEFAULT 'unresolved'
        CHECK (status IN ('unresolved', 'escalated', 'resolved')),
    created_at           BIGINT NOT NULL,
    last_activity_at     BIGINT NOT NULL
);

CREATE INDEX conversations_by_session ON conversations (contact_session_hash, seq);
CREATE INDEX conversations_by_organization
    ON conversations (organization_id, last_activity_at, seq);
CREATE INDEX conversations_by_status_organization
    ON conversations (organization_id, status, last_activity_at, seq);

CREATE TABLE messages (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    role            TEXT NOT NULL CHECK (role IN ('visitor', 'assistant', 'operator')),
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    client_id       TEXT -- the visitor's idempotency key
);

CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_by_client_id
    ON messages (conversation_id, client_id) WHERE client_id IS NOT NULL;

-- Live updates: every message and status change, written in the same
-- transaction, with its position in the organization's sequence.
CREATE TABLE events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id TEXT NOT NULL,
    -- Set at commit by events_sequence below; never NULL once visible.
    position        BIGINT,
    conversation_id TEXT NOT NULL,
    payload         TEXT NOT NULL, -- JSON of echo_protocol::events::Change
    created_at      BIGINT NOT NULL,
    UNIQUE (organization_id, position)
);

CREATE INDEX events_by_conversation ON events (conversation_id, position);

-- Positions are handed out at commit time, by a deferred trigger: taking
-- the organization's next position locks its row until the commit ends, so
-- an organization's events commit in position order (a follower that has
-- seen position p never later finds a smaller one), and the lock is held
-- only for the commit itself, not across round trips to the server. The
-- notification (delivered after the commit, in commit order) tells every
-- replica; it carries the event when it fits in a NOTIFY payload.
CREATE FUNCTION echo_sequence_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next BIGINT;
BEGIN
    UPDATE organizations SET event_position = event_position + 1
        WHERE id = NEW.organization_id RETURNING event_position INTO next;
    UPDATE events SET position = next WHERE id = NEW.id;
    PERFORM pg_notify('echo_events', NEW.organization_id || ':' || next
        || CASE WHEN octet_length(NEW.payload) <= 7000
                THEN ':' || NEW.conversation_id || ':' || NEW.payload ELSE '' END);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER events_sequence AFTER INSERT ON events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION echo_sequence_event();

CREATE TABLE billing_events (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    status          TEXT NOT NULL,
    received_at     BIGINT NOT NULL
);

CREATE TABLE knowledge_files (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE INDEX knowledge_files_by_organization ON knowledge_files (organization_id, created_at);
