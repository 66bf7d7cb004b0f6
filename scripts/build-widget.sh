#!/usr/bin/env bash
# Builds the widget into dist/ and the operator console into dist/console/
# (release, wasm-opt'd) with precompressed .br/.gz siblings that the server
# sends to browsers that accept them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
trunk build --release >&2
node scripts/minify-glue.mjs dist
# After the widget: Trunk replaces its whole dist/ on each build.
(cd console && trunk build --release >&2)
node scripts/minify-glue.mjs dist/console
for f in dist/*.wasm dist/*.js dist/*.css dist/*.html dist/console/*.wasm dist/console/*.js dist/console/*.css dist/console/*.html; do
  brotli -f -k -q 11 "$f"
  gzip -f -k -9 "$f"
done
