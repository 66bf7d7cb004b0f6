-- Service levels, part two: satisfaction ratings and what reports read.

-- A conversation's milestones, kept as its messages and status change
-- (store/*/effects.rs, decided in rules/conversation.rs): the first
-- visitor message, the first reply after it of any kind, the first
-- person's reply, and the last resolution (NULL while not resolved).
ALTER TABLE conversations ADD COLUMN first_visitor_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_reply_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_human_reply_at INTEGER;
ALTER TABLE conversations ADD COLUMN resolved_at INTEGER;
-- How many times it was resolved (a rating rates one resolution: the
-- count, not the time, tells two apart), its last rating (the one that
-- counts) and the resolution that rated.
ALTER TABLE conversations ADD COLUMN resolutions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN rating INTEGER;
ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
ALTER TABLE conversations ADD COLUMN rated_at INTEGER;
ALTER TABLE conversations ADD COLUMN rated_for INTEGER;

-- Existing conversations: milestones from their messages, in order
-- (the greeting comes before the visitor's first message, so it is no
-- reply); a resolved one's resolution at its last activity.
UPDATE conversations SET first_visitor_at = (
    SELECT MIN(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.role = 'visitor');
UPDATE conversations SET
    first_reply_at = (
        SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.role IN ('assistant', 'operator')
          AND m.seq > (SELECT MIN(v.seq) FROM messages v
                       WHERE v.conversation_id = conversations.id AND v.role = 'visitor')),
    first_human_reply_at = (
        SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.role = 'operator'
          AND m.seq > (SELECT MIN(v.seq) FROM messages v
                       WHERE v.conversation_id = conversations.id AND v.role = 'visitor'))
WHERE first_visitor_at IS NOT NULL;
UPDATE conversations SET resolved_at = last_activity_at, resolutions = 1 WHERE status = 'resolved';

CREATE INDEX conversations_created ON conversations (organization_id, created_at);
CREATE INDEX conversations_resolved ON conversations (organization_id, resolved_at)
    WHERE resolved_at IS NOT NULL;

-- Its messages (not notes), counted as they are written (the statement
-- that marks its activity anyway): reports sum them per conversation
-- instead of counting millions of rows.
ALTER TABLE conversations ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET message_count = (
    SELECT COUNT(*) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.role <> 'note');

-- An organization may turn ratings off.
ALTER TABLE organizations ADD COLUMN ratings_enabled INTEGER NOT NULL DEFAULT 1;

-- Every rating, one per resolution (a reopened and re-resolved
-- conversation may be rated again; the conversation keeps the last).
CREATE TABLE ratings (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment         TEXT NOT NULL DEFAULT '',
    resolution      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, resolution)
) STRICT;
CREATE INDEX ratings_by_organization ON ratings (organization_id, created_at);

-- The links of a resolution mail: single use, stored as SHA-256.
CREATE TABLE rating_tokens (
    token_hash      TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    resolution      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX rating_tokens_by_conversation ON rating_tokens (conversation_id);

-- Mail notices gain an audience: the visitor asked to rate.
CREATE TABLE mail_notices_next (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    audience        TEXT NOT NULL CHECK (audience IN ('team', 'visitor', 'mentioned', 'rating')),
    pending         INTEGER NOT NULL DEFAULT 1,
    due_at          INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, audience)
) STRICT;
INSERT INTO mail_notices_next SELECT conversation_id, audience, pending, due_at, version, locked_until
FROM mail_notices;
DROP TABLE mail_notices;
ALTER TABLE mail_notices_next RENAME TO mail_notices;
CREATE INDEX mail_notices_due ON mail_notices (due_at) WHERE pending = 1;
