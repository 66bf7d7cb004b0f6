#!/bin/bash
# The statements of one echo-bench phase by execution time, over 15 s from
# 3 s into it (`pg_stat_statements`; nested ones too: the placing's). Start
# echo-bench with
#   ECHO_BENCH_POSTGRES_OPTIONS="-c shared_preload_libraries=pg_stat_statements
#     -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on"
# Times are wall times: on two busy cores they include waiting for one.
set -euo pipefail
db=${1:-bench_spread}
. "$(dirname "$0")/cluster.sh"
probe_cluster "$db"
probe_extension pg_stat_statements
sleep 3
$PSQL -c "SELECT pg_stat_statements_reset()" >/dev/null
m0=$(probe_messages)
sleep 15
n=$(($(probe_messages) - m0))
echo "$db: $n messages in 15 s"
echo "calls | ms | ms a call | ms a message | rows | WAL records | statement"
$PSQL -F ' | ' -c "
    SELECT calls, round(total_exec_time::numeric), round((total_exec_time / calls)::numeric, 3),
           round((total_exec_time / $n)::numeric, 4), rows, wal_records,
           left(regexp_replace(query, '\s+', ' ', 'g'), 110)
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = '$db' ORDER BY total_exec_time DESC LIMIT 15"
