-- A visitor's message no longer takes its event's position at its own
-- commit. Taking it there locked the organization's row through the commit,
-- so an organization's messages committed one at a time, each waiting for
-- the one before it to reach the disk (about 1,500 a second for one
-- organization on the development machine, a seventh of what the cluster
-- commits). Its event is now inserted without a position and placed after
-- the commit by echo_sequence, which its server calls for every
-- organization written to meanwhile, in one transaction
-- (server/src/store/postgres/announce.rs), and every replica's follower
-- calls for events whose server died before placing them.
--
-- Order is kept where it matters: an event is placed after every event
-- committed before the placing began (whoever wrote them), because
-- echo_sequence places all of the organization's unplaced events, oldest
-- first, under the organization's row lock. Other writes keep their
-- commit-time trigger, which places the events committed before them
-- first: an operator's reply to a message is never placed before it.

CREATE INDEX events_unplaced ON events (organization_id, id) WHERE position IS NULL;

-- Places `org`'s committed unplaced events (and the calling transaction's
-- own) after its last position, in insertion order; holds the
-- organization's row lock until the caller commits (a no-key lock, as an
-- update takes: writes that check a foreign key to the organization take
-- key-share locks on its row, which a FOR UPDATE would wait on in a
-- circle). Returns the new head.
-- Rows another transaction is deleting (erasure) are left to it.
CREATE FUNCTION echo_sequence(org TEXT) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    head BIGINT;
    placed BIGINT;
BEGIN
    SELECT event_position INTO head FROM organizations WHERE id = org FOR NO KEY UPDATE;
    IF head IS NULL THEN
        RETURN NULL;
    END IF;
    WITH unplaced AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n FROM (
            SELECT id FROM events WHERE organization_id = org AND position IS NULL
            ORDER BY id FOR UPDATE SKIP LOCKED
        ) locked
    ), done AS (
        UPDATE events e SET position = head + u.n FROM unplaced u WHERE e.id = u.id
        RETURNING 1
    )
    SELECT count(*) INTO placed FROM done;
    IF placed > 0 THEN
        UPDATE organizations SET event_position = head + placed WHERE id = org;
    END IF;
    RETURN head + placed;
END
$$;

-- The commit-time trigger of every other write (a visitor's message does
-- not queue it: see its WHEN below): places what is unplaced (its own
-- events and any committed before it) and notifies, with the event inline
-- when it placed just its own one and it fits.
CREATE OR REPLACE FUNCTION echo_sequence_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before BIGINT;
    head BIGINT;
    mine BIGINT;
BEGIN
    SELECT event_position INTO before FROM organizations
        WHERE id = NEW.organization_id FOR NO KEY UPDATE;
    head := echo_sequence(NEW.organization_id);
    IF head IS NULL OR head = before THEN
        -- Placed by an earlier row's trigger in this transaction.
        RETURN NULL;
    END IF;
    SELECT position INTO mine FROM events WHERE id = NEW.id;
    PERFORM pg_notify('echo_events', NEW.organization_id || ':' || head
        || CASE WHEN head = before + 1 AND mine = head AND octet_length(NEW.payload) <= 7000
                THEN ':' || NEW.conversation_id || ':' || NEW.payload ELSE '' END);
    RETURN NULL;
END
$$;

-- A visitor's message does not even queue the trigger.
DROP TRIGGER events_sequence ON events;
CREATE CONSTRAINT TRIGGER events_sequence AFTER INSERT ON events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting('echo.announced_later', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION echo_sequence_event();
