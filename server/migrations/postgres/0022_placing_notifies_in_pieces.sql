-- A placing whose events do not fit in one notification sends them in as
-- many notifications as they need, each `<org>:<its last position>:*<count>:`
-- with its events (the format of 0019), instead of `<org>:<head>` alone.
-- That made every replica's follower read the events back through its
-- server's pool, behind the writes waiting there; at 1,000 messages a
-- second a placing of about 24 visitors' messages is already too big, so
-- a moment's slowness made bigger placings, reads on every replica, and
-- more slowness: in the crowd benchmark, delivery stalled for seconds
-- after messages had been answered. Only an event too big for a
-- notification of its own is still read back.
CREATE OR REPLACE FUNCTION echo_place(org TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    before BIGINT;
    head BIGINT;
    piece TEXT;
    pieces BIGINT := 0;
    last BIGINT;
    notice TEXT;
    e RECORD;
BEGIN
    SELECT event_position INTO before FROM organizations WHERE id = org FOR NO KEY UPDATE;
    head := echo_sequence(org);
    IF head IS NULL OR head = before THEN
        RETURN;
    END IF;
    FOR e IN SELECT position, conversation_id || ':' || payload AS line FROM events
             WHERE organization_id = org AND position > before AND position <= head
             ORDER BY position LOOP
        -- Sends what is gathered when this event would not fit with it;
        -- an event too big for a notification of its own goes as
        -- `<org>:<position>`, and its followers read it back.
        IF pieces > 0 AND octet_length(org || ':' || e.position || ':*' || (pieces + 1)
                || ':' || piece || E'\n' || e.line) > 7900 THEN
            notice := org || ':' || last || ':*' || pieces || ':' || piece;
            PERFORM pg_notify('echo_events', CASE WHEN octet_length(notice) <= 7900
                THEN notice ELSE org || ':' || last END);
            pieces := 0;
        END IF;
        piece := CASE WHEN pieces = 0 THEN e.line ELSE piece || E'\n' || e.line END;
        pieces := pieces + 1;
        last := e.position;
    END LOOP;
    IF pieces > 0 THEN
        notice := org || ':' || last || ':*' || pieces || ':' || piece;
        PERFORM pg_notify('echo_events', CASE WHEN octet_length(notice) <= 7900
            THEN notice ELSE org || ':' || last END);
    END IF;
END
$$;
