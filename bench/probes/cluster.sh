# Sourced by the probes: waits for an echo-bench PostgreSQL cluster started
# after the probe (in tempfile's directory, $TMPDIR or /tmp) to be ready,
# and for database $1 to exist (its phase has begun), then sets PSQL (the
# cluster's `postgres` database) and PSQL_DB ($1), unaligned, tuples only.
probe_cluster() {
    local db=$1 pid= since
    since=$(mktemp)
    for _ in $(seq 1 600); do
        pid=$(find "${TMPDIR:-/tmp}" -maxdepth 3 -path '*/.tmp*/data/postmaster.pid' \
            -newer "$since" 2>/dev/null | head -1)
        [ -n "$pid" ] && grep -q ready "$pid" && break
        sleep 1
    done
    rm -f "$since"
    [ -n "$pid" ] || { echo "no echo-bench cluster" >&2; return 1; }
    local port sock
    port=$(sed -n 4p "$pid")
    sock=$(sed -n 5p "$pid")
    PSQL="psql -h $sock -p $port -U echo -d postgres -At"
    PSQL_DB="psql -h $sock -p $port -U echo -d $db -At"
    for _ in $(seq 1 1200); do
        $PSQL -c "SELECT 1 FROM pg_database WHERE datname = '$db'" 2>/dev/null | grep -q 1 && return
        sleep 0.5
    done
    echo "no database $db in the echo-bench cluster" >&2
    return 1
}

# Creates extension $1 in the cluster (its views read every database).
probe_extension() {
    $PSQL -c "CREATE EXTENSION IF NOT EXISTS $1" >/dev/null 2>&1
}

# Messages stored in the phase's database so far.
probe_messages() {
    $PSQL_DB -c "SELECT count(*) FROM messages"
}
