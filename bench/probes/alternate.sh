#!/bin/bash
# Runs echo-bench's PostgreSQL part with each command given, in turn,
# ROUNDS times (A, B, A, B, ...), printing the ratios and the CPU per
# message of the one- and eight-organization phases. A command is an
# executable (a build of another commit, or a script that sets the
# environment and runs one); the commit before against this one:
#   git worktree add /tmp/a HEAD~1 && (cd /tmp/a && cargo build --release -p echo-bench)
#   bench/probes/alternate.sh /tmp/a/target/release/echo-bench target/release/echo-bench
# One run's ratio moves by about a tenth between runs of the same binary.
set -uo pipefail
here=$(dirname "$0")
rounds=${ROUNDS:-2}
out=$(mktemp -d)
for _ in $(seq 1 "$rounds"); do
    for command in "$@"; do
        "$here/cpu-per-message.sh" bench_one > "$out/one" 2>&1 &
        "$here/cpu-per-message.sh" bench_spread > "$out/spread" 2>&1 &
        result=$(ECHO_BENCH_POSTGRES_ONLY=1 ECHO_BENCH_SECS=${ECHO_BENCH_SECS:-20} "$command" 2>&1)
        # A probe still waiting has no phase left to measure (the run
        # failed, or its phases were shorter than a probe's 14 s).
        kill $(jobs -p) 2>/dev/null
        wait
        echo "== $command"
        echo "$result" | grep -E "raw:|by pgbench|one organization|8 organizations"
        cat "$out/one" "$out/spread"
    done
done
rm -rf "$out"
