-- Ratings and reports (see the SQLite migration 0017_ratings_reports.sql).
ALTER TABLE conversations
    ADD COLUMN first_visitor_at BIGINT,
    ADD COLUMN first_reply_at BIGINT,
    ADD COLUMN first_human_reply_at BIGINT,
    ADD COLUMN resolved_at BIGINT,
    ADD COLUMN resolutions BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN rating INTEGER,
    ADD COLUMN rating_comment TEXT,
    ADD COLUMN rated_at BIGINT,
    ADD COLUMN rated_for BIGINT;

UPDATE conversations c SET first_visitor_at = v.at
FROM (SELECT conversation_id, MIN(created_at) AS at, MIN(seq) AS seq FROM messages
      WHERE role = 'visitor' GROUP BY conversation_id) v
WHERE v.conversation_id = c.id;
UPDATE conversations c SET
    first_reply_at = (
        SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = c.id AND m.role IN ('assistant', 'operator')
          AND m.seq > (SELECT MIN(v.seq) FROM messages v
                       WHERE v.conversation_id = c.id AND v.role = 'visitor')),
    first_human_reply_at = (
        SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = c.id AND m.role = 'operator'
          AND m.seq > (SELECT MIN(v.seq) FROM messages v
                       WHERE v.conversation_id = c.id AND v.role = 'visitor'))
WHERE c.first_visitor_at IS NOT NULL;
UPDATE conversations SET resolved_at = last_activity_at, resolutions = 1 WHERE status = 'resolved';

CREATE INDEX conversations_created ON conversations (organization_id, created_at);
CREATE INDEX conversations_resolved ON conversations (organization_id, resolved_at)
    WHERE resolved_at IS NOT NULL;

ALTER TABLE conversations ADD COLUMN message_count BIGINT NOT NULL DEFAULT 0;
UPDATE conversations c SET message_count = n.count
FROM (SELECT conversation_id, COUNT(*) AS count FROM messages WHERE role <> 'note'
      GROUP BY conversation_id) n
WHERE n.conversation_id = c.id;

ALTER TABLE organizations ADD COLUMN ratings_enabled BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE ratings (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment         TEXT NOT NULL DEFAULT '',
    resolution      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (conversation_id, resolution)
);
CREATE INDEX ratings_by_organization ON ratings (organization_id, created_at);

CREATE TABLE rating_tokens (
    token_hash      TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    resolution      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX rating_tokens_by_conversation ON rating_tokens (conversation_id);

ALTER TABLE mail_notices DROP CONSTRAINT IF EXISTS mail_notices_audience_check;
ALTER TABLE mail_notices ADD CONSTRAINT mail_notices_audience_check
    CHECK (audience IN ('team', 'visitor', 'mentioned', 'rating'));
