-- The placing's notification carries the events it placed when they fit,
-- as the commit-time trigger's does for a single event, so every replica's
-- follower publishes them without reading them back: with seven replicas
-- each placing of each replica was read back seven times, and at 500
-- messages a second those reads were most of PostgreSQL's work.
--
-- Payload: `<org>:<head>:*<count>:<conversation>:<event>` with one more
-- `\n<conversation>:<event>` per event after the first, in position order
-- (head - count + 1 through head); `<org>:<head>` when they do not fit in
-- a notification. Events are stored as compact JSON, without raw line
-- breaks.
CREATE FUNCTION echo_place(org TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    before BIGINT;
    head BIGINT;
    inline TEXT;
BEGIN
    SELECT event_position INTO before FROM organizations WHERE id = org FOR NO KEY UPDATE;
    head := echo_sequence(org);
    IF head IS NULL OR head = before THEN
        RETURN;
    END IF;
    SELECT string_agg(conversation_id || ':' || payload, E'\n' ORDER BY position) INTO inline
        FROM events WHERE organization_id = org AND position > before AND position <= head;
    inline := org || ':' || head || ':*' || (head - before) || ':' || inline;
    IF octet_length(inline) <= 7900 THEN
        PERFORM pg_notify('echo_events', inline);
    ELSE
        PERFORM pg_notify('echo_events', org || ':' || head);
    END IF;
END
$$;
