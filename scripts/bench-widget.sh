#!/usr/bin/env bash
# Widget size and start-up benchmark (see bench/widget.mjs), against the
# release server (what a deployment runs; a debug build's file serving adds
# tens of milliseconds to every load).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --tests
cargo build --release -p echo-server
scripts/build-widget.sh
ECHO_SERVER_BIN="$PWD/target/release/echo-server" node bench/widget.mjs
