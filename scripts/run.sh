#!/usr/bin/env bash
# Builds and starts Echo locally: the server on SQLite (.echo-dev/echo.db)
# with a demo organization, the widget, the loader and a demo host page.
# Run it again any time: it reuses the database and the demo organization.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say "building the widget"
scripts/build-widget.sh
say "building the server"
cargo build --release -p echo-server
server=target/release/echo-server

mkdir -p .echo-dev
export ECHO_DATABASE_URL="sqlite://.echo-dev/echo.db"
bind="${ECHO_BIND:-127.0.0.1:8787}"
if [ ! -s .echo-dev/demo-org.json ]; then
  "$server" org create --name "Acme Outfitters" > .echo-dev/demo-org.json
  org=$(sed -E 's/.*"organizationId":"([^"]+)".*/\1/' .echo-dev/demo-org.json)
  "$server" widget-settings set "$org" \
    --greet "Hi! 👋 Welcome to Acme Outfitters. How can we help you today?" \
    --suggestion "Where is my order?" --suggestion "Do you ship abroad?" --suggestion "Talk to a human"
  # The demo organization is on the paid plan, so the pro features show; the
  # AI ones work once ECHO_LLM_BASE_URL (and _API_KEY, _MODEL) name a model.
  "$server" subscription set "$org" active
  "$server" knowledge add "$org" scripts/demo/acme-help-centre.md >/dev/null
fi
# The demo's secrets key (plugins' API keys are sealed with it), made once
# and kept with the demo's database: a production server gets its own.
if [ -z "${ECHO_SECRETS_KEY:-}" ]; then
  [ -s .echo-dev/secrets-key ] || (umask 077; head -c 32 /dev/urandom | base64 > .echo-dev/secrets-key)
  export ECHO_SECRETS_KEY="$(cat .echo-dev/secrets-key)"
fi
org=$(sed -E 's/.*"organizationId":"([^"]+)".*/\1/' .echo-dev/demo-org.json)
key=$(sed -E 's/.*"operatorKey":"([^"]+)".*/\1/' .echo-dev/demo-org.json)
# A fresh link each run: the first one creates the demo admin's account,
# later ones ask for its password (or sign in at /console/ directly).
invite=$("$server" operator invite "$org" --email admin@acme.example --role admin --public-url "http://$bind" 2>/dev/null)

cat <<MSG

  Echo is running.
    Demo host page:  http://$bind/demo.html?organizationId=$org
    Widget alone:    http://$bind/?organizationId=$org
    Operator console: $invite
                      (join as admin@acme.example; afterwards sign in at http://$bind/console/)
    API document:    http://$bind/v1/openapi.json
    Organization ID: $org
    API key:         $key   (for scripts; also in .echo-dev/demo-org.json; keep it secret)
    AI assistant:    ${ECHO_LLM_BASE_URL:-off (set ECHO_LLM_BASE_URL, e.g. http://localhost:11434/v1 for Ollama)}

  Ctrl-C stops the server.

MSG
exec "$server" serve --bind "$bind" --widget-dir dist
