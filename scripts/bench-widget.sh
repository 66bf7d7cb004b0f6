#!/usr/bin/env bash
# Widget size and start-up benchmark (see bench/widget.mjs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --tests
cargo build -p echo-server
scripts/build-widget.sh
node bench/widget.mjs
