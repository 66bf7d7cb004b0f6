-- A placing places its organization's events and gathers its
-- notifications in one pass over them: the update that gives the events
-- their positions returns what the notifications carry. It used to lock
-- the organization's row twice (here and in echo_sequence), update the
-- events, then read the same events back by position to notify them: five
-- statements under the organization's row lock, which the replicas take
-- in turn, where three do. And a placing that finds nothing unplaced
-- returns before it takes the lock: a quarter of the placings in the crowd
-- benchmark (seven replicas, one organization) found their events placed
-- by another replica's placing and still waited their turn for the lock,
-- then held it through their own commit. Every caller commits its events
-- before it asks for their placing, so when none is unplaced in this
-- statement's snapshot, another placing has placed and announced them.
-- Notifications are as in 0022_placing_notifies_in_pieces.sql;
-- echo_sequence stays for the commit-time trigger.
CREATE OR REPLACE FUNCTION echo_place(org TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    before BIGINT;
    head BIGINT;
    piece TEXT;
    pieces BIGINT := 0;
    notice TEXT;
    placed RECORD;
BEGIN
    PERFORM 1 FROM events WHERE organization_id = org AND position IS NULL LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT event_position INTO before FROM organizations WHERE id = org FOR NO KEY UPDATE;
    IF before IS NULL THEN
        RETURN;
    END IF;
    head := before;
    -- Rows another transaction is deleting (erasure) are left to it, as
    -- echo_sequence leaves them.
    FOR placed IN
        WITH unplaced AS (
            SELECT id, row_number() OVER (ORDER BY id) AS n FROM (
                SELECT id FROM events WHERE organization_id = org AND position IS NULL
                ORDER BY id FOR UPDATE SKIP LOCKED
            ) locked
        ), done AS (
            UPDATE events ev SET position = before + u.n FROM unplaced u WHERE ev.id = u.id
            RETURNING ev.position AS at, ev.conversation_id || ':' || ev.payload AS line
        )
        SELECT at, line FROM done ORDER BY at
    LOOP
        -- Sends what is gathered when this event would not fit with it;
        -- an event too big for a notification of its own goes as
        -- `<org>:<position>`, and its followers read it back.
        IF pieces > 0 AND octet_length(org || ':' || placed.at || ':*' || (pieces + 1)
                || ':' || piece || E'\n' || placed.line) > 7900 THEN
            notice := org || ':' || head || ':*' || pieces || ':' || piece;
            PERFORM pg_notify('echo_events', CASE WHEN octet_length(notice) <= 7900
                THEN notice ELSE org || ':' || head END);
            pieces := 0;
        END IF;
        piece := CASE WHEN pieces = 0 THEN placed.line ELSE piece || E'\n' || placed.line END;
        pieces := pieces + 1;
        head := placed.at;
    END LOOP;
    IF pieces = 0 THEN
        RETURN;
    END IF;
    UPDATE organizations SET event_position = head WHERE id = org;
    notice := org || ':' || head || ':*' || pieces || ':' || piece;
    PERFORM pg_notify('echo_events', CASE WHEN octet_length(notice) <= 7900
        THEN notice ELSE org || ':' || head END);
END
$$;
