#!/usr/bin/env bash
# Fuzzes the running API with schemathesis (PyPI, in a venv under target/),
# every check on: the public API with a visitor's session, then the operator
# API with an API key. Needs the debug server built. Exits non-zero on any
# failure. About three minutes with the default budget.
#
#   ECHO_FUZZ_SECS   time budget per run (default 80)
#   ECHO_FUZZ_SEED   the generator's seed (default 1)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCHEMATHESIS_VERSION=4.32.5
venv="$PWD/target/fuzz-venv"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
secs="${ECHO_FUZZ_SECS:-80}"
bin="$PWD/target/debug/echo-server"
dir=$(mktemp -d)
db="sqlite://$dir/echo.db"
org_json=$("$bin" --database-url "$db" org create --name "Fuzz Co")
org=$(sed -E 's/.*"organizationId":"([^"]+)".*/\1/' <<<"$org_json")
key=$(sed -E 's/.*"operatorKey":"([^"]+)".*/\1/' <<<"$org_json")
"$bin" --database-url "$db" subscription set "$org" active >/dev/null 2>&1
# Volume is the point: the abuse limits are off for this server. Mail is on
# (so transcripts answer as in production) towards a port nobody listens
# on: what is queued just waits for its retries.
"$bin" serve --bind 127.0.0.1:0 --database-url "$db" --rate-limits off \
  --smtp-url smtp://127.0.0.1:9 --mail-from fuzz@example.com \
  --stream-lifetime-secs 0.2 >"$dir/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$dir/log" | grep -oE '[0-9]+$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
base="http://127.0.0.1:$port"
session=$(curl -sf -X POST "$base/v1/contact-sessions" -H 'Content-Type: application/json' \
  -d "{\"organizationId\":\"$org\",\"name\":\"Fuzz\",\"email\":\"fuzz@example.com\"}" \
  | sed -E 's/.*"contactSessionId":"([^"]+)".*/\1/')
curl -sf -X POST "$base/v1/conversations" -H "Authorization: Bearer $session" \
  -H 'Content-Type: application/json' -d "{\"organizationId\":\"$org\"}" >/dev/null

# The document itself, for people who generate clients from it: Redocly's
# recommended rules (npm's @redocly/cli, pinned in package-lock.json).
curl -sf "$base/v1/openapi.json" >"$dir/openapi.json"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  node_modules/.bin/redocly lint "$dir/openapi.json" --format=stylish

# Push streams are fuzzed too: this server ends each after 0.2 s (the
# --stream-lifetime-secs a client resumes from), so every request gets its
# whole answer. Left to the Rust suites, where they are tested with what
# they need: the billing webhook (its signature
# is beyond a generator), Enhance (503 without a language model, which this
# server has none of) and uploads, of knowledge-base files and attachments
# (which types are accepted is decided from the bytes, not something a
# schema can say), business hours (whether openings overlap and whether
# a time zone is in the tz database are rules across items and beyond a
# pattern; server/src/hours/tests.rs and the API tests hold them), reports
# and the export (`from` not after `to`, at most 366 days, a real date and
# zone: rules across parameters; tests/api/reports.rs holds them), and
# connecting Vapi (it needs a Vapi account and a secrets key, neither of
# which this server has; tests/api/plugins.rs talks to a stand-in).
skip='^/v1/webhooks|^/v1/operator/enhance$|^/v1/operator/knowledge-base/files$|/attachments$|^/v1/operator/business-hours$|^/v1/operator/reports|^/v1/operator/conversations/export\.csv$|^/v1/operator/plugins/vapi$'
# Credentials per security scheme, so schemathesis knows which one an
# operation uses (and tests that a wrong or missing one is refused).
cat >"$dir/schemathesis.toml" <<TOML
[auth.openapi.contactSession]
bearer = "$session"
[auth.openapi.operatorKey]
bearer = "$key"
TOML
# From the run's own directory: schemathesis keeps a cache of earlier
# failures in its working directory, and each run starts clean.
run() {
  (cd "$dir" && "$venv/bin/st" --config-file "$dir/schemathesis.toml" run "$base/v1/openapi.json" \
    --checks all --max-time "$secs" --phases examples,coverage,fuzzing --warnings off \
    --suppress-health-check filter_too_much \
    --seed "${ECHO_FUZZ_SEED:-1}" "$@")
}
failed=0
echo "== public API, as a visitor"
run --exclude-path-regex "^/v1/(operator|auth)|$skip" || failed=1
echo "== operator and account API, with an API key"
run --include-path-regex '^/v1/(operator|auth)' --exclude-path-regex "$skip" || failed=1
exit $failed
