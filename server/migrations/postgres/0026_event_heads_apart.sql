-- An organization's last event position moves to a narrow table of its
-- own, and the placing gathers its notifications in one statement.
--
-- The position was a column of the organization's row, which every placing
-- locks and updates: on PostgreSQL an update writes the whole row again
-- (its name, greeting, brand and settings) and logs it, about a thousand
-- times a second per organization under load, for one integer. Here the
-- row is an ID and a number. The lock is the same kind (see 0018), on this
-- row instead; nothing else locks it, so an admin's change (team.rs locks
-- the organization's row) and a placing no longer wait on each other.
--
-- The placing's notifications were built event by event in a PL/pgSQL loop
-- that copied the growing piece at every step; they are now cut by a
-- running sum of the events' lengths and joined by string_agg, in the
-- statement that moves the events. Each piece holds consecutive positions
-- and ends at its own head, as `listen.rs` reads it: the events that start
-- in the same 3,900 bytes, so a piece of events under 3,900 bytes each
-- stays under the 7,900 the notification may hold; a larger event goes
-- alone, and one too large for a notification is announced by its head
-- only, for the followers to read back (as before).

CREATE TABLE event_heads (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
    position        BIGINT NOT NULL DEFAULT 0
);

INSERT INTO event_heads (organization_id, position)
    SELECT id, event_position FROM organizations;

-- Made with its organization, by whatever makes one (a replica of the
-- version before this one during a rolling upgrade included): a placing
-- finds no head for an organization without one and places nothing.
CREATE FUNCTION echo_event_head_opened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_heads (organization_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER organizations_event_head AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION echo_event_head_opened();

CREATE OR REPLACE FUNCTION echo_place(org TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    before BIGINT;
    head BIGINT;
BEGIN
    PERFORM 1 FROM events_pending WHERE organization_id = org LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT position INTO before FROM event_heads WHERE organization_id = org
        FOR NO KEY UPDATE;
    IF before IS NULL THEN
        RETURN;
    END IF;
    WITH waiting AS (
        SELECT id FROM events_pending WHERE organization_id = org
        ORDER BY id FOR UPDATE SKIP LOCKED
    ), moved AS (
        DELETE FROM events_pending p USING waiting w
        WHERE p.organization_id = org AND p.id = w.id
        RETURNING p.*
    ), done AS (
        INSERT INTO events (id, organization_id, position, conversation_id, payload, created_at)
        SELECT id, organization_id, before + row_number() OVER (ORDER BY id), conversation_id,
               payload, created_at
        FROM moved
        RETURNING position AS at, conversation_id || ':' || payload AS line
    ), sized AS (
        SELECT at, line, width, sum(width) OVER (ORDER BY at) AS run
        FROM (SELECT at, line, octet_length(line) + 1 AS width FROM done) d
    ), pieces AS (
        SELECT max(at) AS last, org || ':' || max(at) || ':*' || count(*) || ':'
               || string_agg(line, E'\n' ORDER BY at) AS notice
        FROM sized
        GROUP BY (run - width) / 3900, CASE WHEN width > 3900 THEN at END
    ), notified AS (
        SELECT last, pg_notify('echo_events', CASE WHEN octet_length(notice) <= 7900
                   THEN notice ELSE org || ':' || last END)
        FROM (SELECT last, notice FROM pieces ORDER BY last) ordered
    )
    SELECT max(last) INTO head FROM notified;
    IF head IS NULL THEN
        RETURN;
    END IF;
    UPDATE event_heads SET position = head WHERE organization_id = org;
END
$$;

ALTER TABLE organizations DROP COLUMN event_position;
