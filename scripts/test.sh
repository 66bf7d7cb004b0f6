#!/usr/bin/env bash
# Runs every test: unit and integration tests of the workspace (the real
# server on random ports with fresh SQLite files), then the browser tests
# (Debian Chromium + playwright-core) against the release widget build.
# Installs what it needs first (scripts/setup.sh), so it works on a fresh
# machine and costs seconds on a second run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --tests
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say "cargo test --workspace"
cargo test --workspace --locked

say "building the widget (release) for the browser tests"
cargo build -p echo-server --locked
scripts/build-widget.sh

say "browser tests"
node --test --test-concurrency=1 --test-timeout=120000 tests/e2e/
