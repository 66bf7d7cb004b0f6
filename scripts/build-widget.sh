#!/usr/bin/env bash
# Builds the widget into dist/ and the operator console into dist/console/
# (release, wasm-opt'd) with precompressed .br/.gz siblings that the server
# sends to browsers that accept them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
toolchain=$(cat scripts/widget-toolchain)
if rustup run "$toolchain" rustc --version >/dev/null 2>&1 && command -v wasm-split-cli >/dev/null; then
  # The pinned nightly: std rebuilt for the widget with panics that abort
  # at once (no unwinding or panic messages in the wasm), its
  # `optimize_for_size` feature (smaller algorithms where std has them:
  # -0.5 KiB), no source locations and no Debug formatting; its own target
  # directory, so the stable builds' artifacts stay valid. The screens
  # after the first are split off (the `split` feature; the linker keeps
  # its relocations for the splitter), and scripts/split-widget.mjs puts
  # the pieces in place of the single module Trunk made.
  RUSTUP_TOOLCHAIN="$toolchain" CARGO_TARGET_DIR=target/nightly \
    CARGO_UNSTABLE_BUILD_STD=std,panic_abort CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Clink-args=--emit-relocs" \
    trunk build --release --features split --dist dist >&2
  node scripts/split-widget.mjs dist target/nightly/wasm32-unknown-unknown/wasm-release/echo-widget.wasm
else
  echo "build-widget: $toolchain or wasm-split-cli is not installed (scripts/setup.sh installs both); building the widget on stable, unsplit (larger)" >&2
  toolchain=stable
  trunk build --release --dist dist >&2
fi
# Which toolchain built it: the size check holds each to its own budget.
mkdir -p target && echo "$toolchain" > target/widget-built-with
node scripts/minify-glue.mjs dist
# The loader and the voice worklet, minified in place (public/ keeps the
# readable sources).
terser dist/embed.js --compress --mangle --output dist/embed.js
terser dist/voice-worklet.js --compress --mangle --output dist/voice-worklet.js
# After the widget: Trunk replaces its whole dist/ on each build.
(cd console && trunk build --release --dist ../dist/console >&2)
node scripts/minify-glue.mjs dist/console
for f in dist/*.wasm dist/*.js dist/*.css dist/*.html dist/locales/*.json dist/console/*.wasm dist/console/*.js dist/console/*.css dist/console/*.html; do
  brotli -f -k -q 11 "$f"
  gzip -f -k -9 "$f"
done
