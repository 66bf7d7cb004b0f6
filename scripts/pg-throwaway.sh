# Sourced: `pg_throwaway_start` starts a throwaway PostgreSQL cluster
# (Debian's postgresql package: initdb into a temporary directory, a free
# port, unix socket in the same directory) and exports PG_THROWAWAY_URL;
# `pg_throwaway_stop` stops it and removes the directory. Run as root, the
# cluster runs as the `postgres` user (PostgreSQL refuses to run as root).

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

pg_throwaway_start() {
  local bin port
  bin="$(pg_bin_dir)" || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
  PG_THROWAWAY_DIR="$(mktemp -d "${TMPDIR:-/tmp}/echo-pg.XXXXXX")"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_THROWAWAY_DIR"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$PG_THROWAWAY_DIR/data" -U echo --auth=trust -E UTF8 --no-locale >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -l "$PG_THROWAWAY_DIR/log" -w start \
    -o "-p $port -k $PG_THROWAWAY_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on" >/dev/null
  PG_THROWAWAY_RUN=("${run[@]}")
  PG_THROWAWAY_BIN="$bin"
  export PG_THROWAWAY_URL="postgres://echo@127.0.0.1:$port/postgres"
}

pg_throwaway_stop() {
  [ -n "${PG_THROWAWAY_DIR:-}" ] || return 0
  "${PG_THROWAWAY_RUN[@]}" "$PG_THROWAWAY_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_THROWAWAY_DIR"
  PG_THROWAWAY_DIR=""
}
