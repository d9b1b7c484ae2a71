#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for labnote's tests, listening only on 127.0.0.1 (trust auth, user "labnote").
#   eval "$(bash scripts/pg.sh start)"   # prints LABNOTE_TEST_PG=postgres://… and LABNOTE_TEST_PG_DIR=…
#   bash scripts/pg.sh env [DIR]          # prints them again for a running cluster
#   bash scripts/pg.sh stop [DIR]         # stops the cluster and removes its directory (DIR defaults to $LABNOTE_TEST_PG_DIR)
# Installs Debian's postgresql when no initdb is found. As root, the server runs as the `postgres` system user.
set -euo pipefail

find_bin() {
  local candidate
  for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [[ -x "$candidate/initdb" ]]; then echo "$candidate"; return 0; fi
  done
  return 1
}

ensure_postgres() {
  if find_bin >/dev/null; then return 0; fi
  echo "pg.sh: PostgreSQL not found, installing Debian's postgresql…" >&2
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
  find_bin >/dev/null || { echo "pg.sh: installing postgresql did not provide initdb; install PostgreSQL 15 and retry." >&2; exit 1; }
}

# Runs a command as the cluster's owner: `postgres` when we are root (PostgreSQL refuses to run as root), else us.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

print_env() {
  local dir="$1"
  [[ -f "$dir/labnote-pg.env" ]] || { echo "pg.sh: no labnote cluster in $dir (start one with: bash scripts/pg.sh start)" >&2; exit 1; }
  cat "$dir/labnote-pg.env"
  echo "export LABNOTE_TEST_PG LABNOTE_TEST_PG_DIR"
}

start() {
  ensure_postgres
  local bin dir port attempt
  bin="$(find_bin)"
  dir="${1:-$(mktemp -d /tmp/labnote-pg.XXXXXX)}"
  mkdir -p "$dir/data"
  chmod 755 "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U labnote -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    as_owner "$bin/initdb" -D "$dir/data" -U labnote -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; echo "pg.sh: initdb failed (log above)." >&2; exit 1; }
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # Throwaway data: durability off makes the tests fast; sockets only on 127.0.0.1 and inside the cluster dir.
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  [[ -n "$port" ]] || { cat "$dir/server.log" >&2 || true; echo "pg.sh: the server did not start (log above)." >&2; exit 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U labnote labnote
  {
    echo "LABNOTE_TEST_PG=postgres://labnote@127.0.0.1:$port/labnote"
    echo "LABNOTE_TEST_PG_DIR=$dir"
  } >"$dir/labnote-pg.env"
  print_env "$dir"
}

stop() {
  local dir="${1:-${LABNOTE_TEST_PG_DIR:-}}"
  [[ -n "$dir" ]] || { echo "pg.sh stop: say which cluster: bash scripts/pg.sh stop DIR (or set LABNOTE_TEST_PG_DIR)." >&2; exit 1; }
  [[ -f "$dir/labnote-pg.env" ]] || { echo "pg.sh stop: $dir is not a labnote test cluster; nothing removed." >&2; exit 1; }
  local bin
  bin="$(find_bin)"
  if [[ -f "$dir/data/postmaster.pid" ]]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  env) shift; print_env "${1:-${LABNOTE_TEST_PG_DIR:?pg.sh env: give the cluster DIR or set LABNOTE_TEST_PG_DIR}}" ;;
  *) echo "usage: bash scripts/pg.sh start|stop [DIR]|env [DIR]" >&2; exit 2 ;;
esac
