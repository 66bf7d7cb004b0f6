-- Every message moved its conversation's last_activity_at, which three of
-- the conversation's ten indexes held (the inbox's orders), so every
-- message's update of the conversation was a new row version with an entry
-- in all ten indexes (eleven WAL records, half a message's), and a busy
-- conversation's index entries piled up faster than vacuum removed them:
-- over 30 s of load the message rate fell by a quarter. The inbox's order
-- now lives in a narrow table of its own, one row per conversation, with
-- one index; the conversation keeps last_activity_at (read everywhere it
-- was) but no index holds it, so the per-message update of the
-- conversation is a heap-only one, and the fill factor leaves room on the
-- page for it. Both are written by the same statement
-- (server/src/store/postgres/message_sql.rs) and a conversation's row
-- here by the statement that opens it (conversations.rs).
CREATE TABLE conversation_activity (
    seq              BIGINT PRIMARY KEY REFERENCES conversations (seq) ON DELETE CASCADE,
    organization_id  TEXT NOT NULL,
    last_activity_at BIGINT NOT NULL
);
INSERT INTO conversation_activity (seq, organization_id, last_activity_at)
    SELECT seq, organization_id, last_activity_at FROM conversations;
CREATE INDEX conversation_activity_by_organization
    ON conversation_activity (organization_id, last_activity_at, seq);

-- The filters the inbox joins to keep their indexes, without the activity.
DROP INDEX conversations_by_organization;
DROP INDEX conversations_by_status_organization;
CREATE INDEX conversations_by_status_organization ON conversations (organization_id, status, seq);
DROP INDEX conversations_by_assignee;
CREATE INDEX conversations_by_assignee ON conversations (organization_id, assignee_id, seq);
ALTER TABLE conversations SET (fillfactor = 80);

-- An event placed after its commit is inserted without a position and
-- given one by an update (0018): the unique index on the organization's
-- position held the unplaced row too, an entry that nothing reads. It
-- holds placed events only now; every read of it asks for a position,
-- which implies one. (The conversation's index keeps every event: erasure
-- deletes a conversation's events by it, placed or not.)
ALTER TABLE events DROP CONSTRAINT events_organization_id_position_key;
CREATE UNIQUE INDEX events_by_position ON events (organization_id, position)
    WHERE position IS NOT NULL;
