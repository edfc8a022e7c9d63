#!/usr/bin/env bash
# The private PostGIS cluster under .data/pg used by `make run` and `make test`.
#   scripts/devdb.sh start   install PostGIS if missing, initdb once, start, create DB + extensions
#   scripts/devdb.sh stop    stop the private cluster
#   scripts/devdb.sh url     print the SQLAlchemy URL of the private cluster
# Idempotent. When run as root the server runs as the `postgres` user (PostgreSQL refuses root).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA="$ROOT/.data"
PGDATA="$DATA/pg"
PORT_FILE="$DATA/pg.port"
LOG="$DATA/postgres.log"
DBNAME="${KUKAN_DB_NAME:-kukan}"
PG_MAJOR="${KUKAN_PG_MAJOR:-15}"
BIN="/usr/lib/postgresql/$PG_MAJOR/bin"

die() { echo "devdb: $*" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

need_packages() {
  local missing=()
  [ -x "$BIN/initdb" ] || missing+=("postgresql-$PG_MAJOR")
  [ -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ] || missing+=("postgresql-$PG_MAJOR-postgis-3")
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "devdb: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "missing ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) or set KUKAN_DATABASE_URL to a PostGIS database."
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$PGDATA/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

pick_port() {
  local port=${KUKAN_PG_PORT:-55432}
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

psql_pg() { PGOPTIONS="-c client_min_messages=warning" as_pg env PGOPTIONS="-c client_min_messages=warning" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$PORT_FILE")" -U postgres "$@"; }

start() {
  need_packages
  mkdir -p "$DATA"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$DATA"
    runuser -u postgres -- test -w "$DATA" \
      || die "the postgres user cannot write $DATA; clone the repository into a directory other users can enter, or set KUKAN_DATABASE_URL"
  fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    echo "devdb: creating the private cluster in $PGDATA"
    as_pg "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$DATA/initdb.log" 2>&1 \
      || { cat "$DATA/initdb.log" >&2; die "initdb failed"; }
  fi
  if ! running; then
    local port
    port=$(pick_port)
    echo "$port" >"$PORT_FILE"
    touch "$LOG"; [ "$(id -u)" = 0 ] && chown postgres "$LOG"
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c fsync=on" start >/dev/null \
      || { tail -20 "$LOG" >&2; die "the server did not start (log: $LOG)"; }
    echo "devdb: PostgreSQL running on 127.0.0.1:$port (log: $LOG)"
  fi
  if ! psql_pg -d postgres -tAc "select 1 from pg_database where datname='$DBNAME'" | grep -q 1; then
    psql_pg -d postgres -c "create database $DBNAME"
  fi
  psql_pg -d "$DBNAME" -c "create extension if not exists postgis; create extension if not exists btree_gist;"
}

stop() { if running; then as_pg "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; echo "devdb: stopped"; fi; }

url() {
  [ -f "$PORT_FILE" ] || die "no private cluster yet; run scripts/devdb.sh start"
  echo "postgresql+psycopg://postgres@127.0.0.1:$(cat "$PORT_FILE")/$DBNAME"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
