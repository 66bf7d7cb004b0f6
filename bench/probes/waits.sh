#!/bin/bash
# What the phase's connections are doing: `pg_stat_activity` sampled every
# 10 ms for 8 s from 4 s into the phase, counted by state, wait (or `cpu`)
# and the statement's start. One loop in one session, so sampling costs
# one connection's time, not a process per sample.
set -euo pipefail
db=${1:-bench_spread}
. "$(dirname "$0")/cluster.sh"
probe_cluster "$db"
sleep 4
$PSQL -c "
    CREATE TEMP TABLE samples (s text);
    DO \$\$ BEGIN
        FOR i IN 1..800 LOOP
            PERFORM pg_stat_clear_snapshot();
            INSERT INTO samples
                SELECT state || ' ' || coalesce(wait_event_type, 'cpu') || ':'
                       || coalesce(wait_event, '-') || ' '
                       || left(regexp_replace(query, '\s+', ' ', 'g'), 40)
                FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid();
            PERFORM pg_sleep(0.01);
        END LOOP;
    END \$\$;
    SELECT count(*) || ' | ' || s FROM samples GROUP BY s ORDER BY count(*) DESC LIMIT 30"
