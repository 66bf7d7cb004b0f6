#!/bin/bash
# WAL records by kind per message in one echo-bench phase, over 10 s from 4 s
# into it (`pg_walinspect`, PostgreSQL 15 or later).
set -euo pipefail
db=${1:-bench_spread}
. "$(dirname "$0")/cluster.sh"
probe_cluster "$db"
probe_extension pg_walinspect
sleep 4
m0=$(probe_messages); l0=$($PSQL -c "SELECT pg_current_wal_lsn()")
sleep 10
m1=$(probe_messages); l1=$($PSQL -c "SELECT pg_current_wal_lsn()")
n=$((m1 - m0))
echo "$db: $n messages in 10 s"
echo "record | count | a message | bytes a message"
$PSQL -F ' | ' -c "
    SELECT \"resource_manager/record_type\", count, round(count::numeric / $n, 2),
           round(combined_size::numeric / $n)
    FROM pg_get_wal_stats('$l0', '$l1', true) WHERE count > 0 ORDER BY count DESC LIMIT 25"
