-- Voice calls (see the SQLite migration 0019_voice_calls.sql).
CREATE TABLE voice_calls (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    session_hash    TEXT NOT NULL,
    vapi_call_id    TEXT UNIQUE,
    control_url     TEXT,
    started_at      BIGINT NOT NULL,
    deadline        BIGINT NOT NULL,
    ended_at        BIGINT,
    reported_at     BIGINT,
    ended_reason    TEXT,
    duration_seconds BIGINT
);
CREATE INDEX voice_calls_live ON voice_calls (organization_id) WHERE ended_at IS NULL;
CREATE INDEX voice_calls_session ON voice_calls (session_hash, started_at);
CREATE INDEX voice_calls_conversation ON voice_calls (conversation_id);

ALTER TABLE messages ADD COLUMN voice BOOLEAN NOT NULL DEFAULT false;
