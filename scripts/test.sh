#!/usr/bin/env bash
# Runs every test: unit and integration tests of the workspace (the real
# server on random ports with fresh SQLite files), schemathesis against the
# running server (scripts/fuzz-api.sh), then the browser tests
# (Debian Chromium + playwright-core) against the release widget build.
# Installs what it needs first (scripts/setup.sh), so it works on a fresh
# machine and costs seconds on a second run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --tests
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# The server's integration suite runs twice: on SQLite here, then on
# PostgreSQL below (a throwaway cluster unless ECHO_TEST_DATABASE_URL names
# a server to use instead).
postgres_url="${ECHO_TEST_DATABASE_URL:-}"
unset ECHO_TEST_DATABASE_URL

say "cargo test --workspace (SQLite)"
cargo test --workspace --locked

# The vendored crates (see their README.echo.md): wasm-streams' own tests
# in Node through wasm-bindgen-test-runner (installed with wasm-bindgen-cli),
# send_wrapper's on the host.
say "the vendored wasm-streams' tests (wasm32, Node)"
(cd vendor/wasm-streams &&
  CARGO_TARGET_DIR="$PWD/../../target/vendor-tests" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked --target wasm32-unknown-unknown)
say "the vendored send_wrapper's tests (host)"
(cd vendor/send_wrapper && CARGO_TARGET_DIR="$PWD/../../target/vendor-tests" cargo test --locked --all-features)

if [ -z "$postgres_url" ]; then
  say "starting a throwaway PostgreSQL cluster"
  source scripts/pg-throwaway.sh
  pg_throwaway_start
  trap pg_throwaway_stop EXIT
  postgres_url="$PG_THROWAWAY_URL"
fi
say "server integration tests (PostgreSQL)"
ECHO_TEST_DATABASE_URL="$postgres_url" cargo test -p echo-server --locked --test api

cargo build -p echo-server --locked
say "fuzzing the API (schemathesis, every check, about 3 minutes)"
scripts/fuzz-api.sh

say "building the widget (release) for the browser tests"
scripts/build-widget.sh
say "widget size against its budget (bench/widget-budget.json)"
node bench/widget.mjs --sizes-only --check

say "the widget's development build (trunk serve's, for the development-loop test)"
trunk build

say "browser tests"
node --test --test-concurrency=1 --test-timeout=120000 tests/e2e/
