-- Live updates: every message and status change is also an event with an
-- increasing position, written in the same transaction, so a client that
-- reconnects can ask for exactly what it missed.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    payload         TEXT NOT NULL, -- JSON of echo_protocol::events::Change
    created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX events_by_conversation ON events (conversation_id, seq);
CREATE INDEX events_by_organization ON events (organization_id, seq);

-- A client's idempotency key: a retried send stores nothing new.
ALTER TABLE messages ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX messages_by_client_id
    ON messages (conversation_id, client_id) WHERE client_id IS NOT NULL;

-- The operator inbox pages by (last activity, seq).
DROP INDEX conversations_by_organization;
CREATE INDEX conversations_by_organization
    ON conversations (organization_id, last_activity_at, seq);
DROP INDEX conversations_by_status_organization;
CREATE INDEX conversations_by_status_organization
    ON conversations (organization_id, status, last_activity_at, seq);
