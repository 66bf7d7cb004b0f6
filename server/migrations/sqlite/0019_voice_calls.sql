-- Voice calls with an organization's Vapi assistant (issue 28). A row is
-- written before Vapi is asked (so the limits hold across replicas), and
-- gets Vapi's call ID once made; live while ended_at is NULL.
CREATE TABLE voice_calls (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- The contact session that started it (SHA-256 of its credential).
    session_hash    TEXT NOT NULL,
    vapi_call_id    TEXT UNIQUE,
    -- Vapi's control URL for the call: how our server ends it.
    control_url     TEXT,
    started_at      INTEGER NOT NULL,
    -- When our server ends it if it still runs (the maximum duration).
    deadline        INTEGER NOT NULL,
    ended_at        INTEGER,
    -- From Vapi's end-of-call report, recorded once.
    reported_at     INTEGER,
    ended_reason    TEXT,
    duration_seconds INTEGER
) STRICT;
CREATE INDEX voice_calls_live ON voice_calls (organization_id) WHERE ended_at IS NULL;
CREATE INDEX voice_calls_session ON voice_calls (session_hash, started_at);
CREATE INDEX voice_calls_conversation ON voice_calls (conversation_id);

-- Transcript lines of voice calls are messages marked as said.
ALTER TABLE messages ADD COLUMN voice INTEGER NOT NULL DEFAULT 0 CHECK (voice IN (0, 1));
