-- The inbox's views filter by status and assignee in activity order: with
-- only the order in conversation_activity (0020), a rare status (the
-- escalated among 50,000 mostly resolved conversations) walked the whole
-- organization's order, 118 ms, where an index with the status first had
-- taken 1 ms. The activity row carries the status and assignee too, with
-- the indexes the views need; they are copied from the conversation by
-- the triggers below (a conversation's row is the only place they are
-- written; a message's update of the conversation sets neither, so it
-- fires nothing), and the row itself is made when the conversation is.
ALTER TABLE conversation_activity ADD COLUMN status TEXT, ADD COLUMN assignee_id TEXT;
UPDATE conversation_activity a SET status = c.status, assignee_id = c.assignee_id
    FROM conversations c WHERE c.seq = a.seq;
ALTER TABLE conversation_activity ALTER COLUMN status SET NOT NULL;
CREATE INDEX conversation_activity_by_status
    ON conversation_activity (organization_id, status, last_activity_at, seq);
CREATE INDEX conversation_activity_by_assignee
    ON conversation_activity (organization_id, assignee_id, last_activity_at, seq);

CREATE FUNCTION echo_activity_opened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conversation_activity (seq, organization_id, last_activity_at, status, assignee_id)
        VALUES (NEW.seq, NEW.organization_id, NEW.last_activity_at, NEW.status, NEW.assignee_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER conversations_activity_opened AFTER INSERT ON conversations
    FOR EACH ROW EXECUTE FUNCTION echo_activity_opened();

CREATE FUNCTION echo_activity_filters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversation_activity SET status = NEW.status, assignee_id = NEW.assignee_id
        WHERE seq = NEW.seq;
    RETURN NULL;
END
$$;
CREATE TRIGGER conversations_activity_filters AFTER UPDATE OF status, assignee_id ON conversations
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION echo_activity_filters();
