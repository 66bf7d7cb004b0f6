#!/bin/bash
# CPU time per message in one echo-bench phase, over SECS seconds from 4 s
# into it: the whole machine's, PostgreSQL's processes' and echo-bench's
# (the server and its visitors), with the idle CPU. Throughput on two
# shared cores moves with this figure from run to run, so compare it (and
# the ratios) over alternating runs, not one run each.
#   bench/probes/cpu-per-message.sh bench_spread &   # then run echo-bench
set -euo pipefail
db=${1:-bench_spread}
secs=${2:-10}
. "$(dirname "$0")/cluster.sh"
probe_cluster "$db"
sleep 4
hz=$(getconf CLK_TCK)
# utime + stime of every process pgrep finds with these arguments, in ticks.
ticks() {
    local sum=0 p fields
    for p in $(pgrep "$@"); do
        fields=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) || continue
        set -- $fields
        sum=$((sum + ${12} + ${13}))
    done
    echo $sum
}
# Busy and idle ticks of all cores.
machine() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
m0=$(probe_messages); read -r busy0 idle0 < <(machine); pg0=$(ticks -x postgres); b0=$(ticks -f release/echo-bench)
sleep "$secs"
m1=$(probe_messages); read -r busy1 idle1 < <(machine); pg1=$(ticks -x postgres); b1=$(ticks -f release/echo-bench)
n=$((m1 - m0))
per() { echo "scale=4; $1 * 1000 / $hz / $n" | bc; }
echo "$db: $n messages in $secs s; ms of CPU per message: all $(per $((busy1 - busy0)))," \
    "postgres $(per $((pg1 - pg0))), echo-bench $(per $((b1 - b0)));" \
    "idle $(echo "scale=1; ($idle1 - $idle0) * 100 / $hz / $secs" | bc)% of one core"
