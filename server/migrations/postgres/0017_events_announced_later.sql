-- NOTIFY takes a lock that every notifying commit in the cluster waits on
-- in turn, so a notification per message capped the whole cluster (about
-- 2,100 transactions a second from 64 clients on the development machine,
-- 6,500 without). A transaction that sets echo.announced_later (a
-- visitor's message, written in one statement: see
-- server/src/store/postgres/message_sql.rs) still takes its positions at
-- commit but is not notified here: its server announces it afterwards,
-- with the others written meanwhile, in one notification
-- (server/src/store/postgres/announce.rs).
CREATE OR REPLACE FUNCTION echo_sequence_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next BIGINT;
BEGIN
    UPDATE organizations SET event_position = event_position + 1
        WHERE id = NEW.organization_id RETURNING event_position INTO next;
    UPDATE events SET position = next WHERE id = NEW.id;
    IF coalesce(current_setting('echo.announced_later', true), '') <> 'on' THEN
        PERFORM pg_notify('echo_events', NEW.organization_id || ':' || next
            || CASE WHEN octet_length(NEW.payload) <= 7000
                    THEN ':' || NEW.conversation_id || ':' || NEW.payload ELSE '' END);
    END IF;
    RETURN NULL;
END
$$;
