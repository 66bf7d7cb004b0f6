#!/usr/bin/env bash
# Installs what building and testing Echo needs, once; every step checks
# first, so running it again costs seconds. Sourced by run.sh and test.sh.
#
#   setup.sh            toolchain for the widget build (wasm target, trunk,
#                       wasm-bindgen, wasm-split-cli, wasm-opt from npm)
#   setup.sh --tests    also Chromium + chromedriver and playwright-core
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
want_tests=false
[ "${1:-}" = "--tests" ] && want_tests=true

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The widget's release build uses a pinned nightly (scripts/widget-toolchain)
# for -Zbuild-std and immediate-abort panics: about 15 KB less brotli. The
# server, the console and every test stay on stable; without the nightly
# the widget builds on stable too (scripts/build-widget.sh), only larger.
WIDGET_TOOLCHAIN=$(cat scripts/widget-toolchain)
if ! rustup run "$WIDGET_TOOLCHAIN" rustc --print target-list >/dev/null 2>&1 \
   || [ ! -d "$(rustup run "$WIDGET_TOOLCHAIN" rustc --print sysroot 2>/dev/null)/lib/rustlib/src" ] \
   || ! rustup target list --toolchain "$WIDGET_TOOLCHAIN" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "installing the widget's toolchain $WIDGET_TOOLCHAIN"
  rustup toolchain install "$WIDGET_TOOLCHAIN" --profile minimal \
    --target wasm32-unknown-unknown --component rust-src \
    || say "could not install $WIDGET_TOOLCHAIN: the widget will build on stable"
fi
# std's own crates, for the offline -Zbuild-std build.
cargo "+$WIDGET_TOOLCHAIN" fetch -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown \
  >/dev/null 2>&1 || true

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (about 8 minutes, once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  # Not --locked: its lockfile names a crate version the registry lacks.
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# The splitter of the nightly build (scripts/split-widget.mjs): the screens
# after the first become wasm modules of their own.
WASM_SPLIT_VERSION=0.2.4
# (It has no --version; cargo's own list says which is installed.)
if ! command -v wasm-split-cli >/dev/null \
   || ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "installing wasm_split_cli_support $WASM_SPLIT_VERSION (about a minute, once)"
  cargo install --locked wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary
fi

apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
need_pkg brotli
if $want_tests; then
  need_pkg chromium
  need_pkg chromium-driver
  need_pkg postgresql
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing ${apt_missing[*]} from Debian"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

# wasm-opt from npm's binaryen (Debian's 108 silently breaks the wasm), and
# playwright-core for the browser tests; both pinned in package-lock.json.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (binaryen, playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The mail tests' SMTP server: aiosmtpd (PyPI) in target/smtp-venv.
if $want_tests; then
  ECHO_SMTP_PYTHON="$(scripts/smtp-venv.sh)"
  export ECHO_SMTP_PYTHON
fi

if ! cargo fetch --locked >/dev/null 2>&1; then
  cargo fetch
fi
