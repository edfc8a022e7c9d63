#!/usr/bin/env bash
# The private PostGIS cluster used by `make run` and `make test`, one per checkout.
#   scripts/devdb.sh start     install PostGIS if missing, initdb once, start, create DB + extensions
#   scripts/devdb.sh stop      stop the private cluster
#   scripts/devdb.sh destroy   stop it and delete its data (what `make clean` runs)
#   scripts/devdb.sh url       print the SQLAlchemy URL of the private cluster
#   scripts/devdb.sh where     print the folder holding the cluster, its port file and its log
# Where the data lives (the same rule as api/settings.py, devdb_dir):
#   - KUKAN_DEVDB_DIR when set;
#   - as root: <postgres home>/kukan/<checkout name>-<12 hex of sha256(checkout path)>, usually
#     /var/lib/postgresql/kukan/..., owned by the postgres user (PostgreSQL refuses to run as
#     root, and a checkout under /root or in a `mktemp -d` folder is closed to other users);
#     a cluster an older version of this script made in <checkout>/.data/pg is kept in use;
#   - otherwise: <checkout>/.data (the user owns their checkout).
# Idempotent. Its own port from 55432 (KUKAN_PG_PORT) upward, the next free one when taken.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
DBNAME="${KUKAN_DB_NAME:-kukan}"
PG_MAJOR="${KUKAN_PG_MAJOR:-15}"
BIN="/usr/lib/postgresql/$PG_MAJOR/bin"

die() { echo "devdb: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

checkout_key() {
  local name sum
  name=$(basename "$ROOT" | LC_ALL=C tr -c 'A-Za-z0-9._\n-' '_')
  sum=$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
  echo "$name-$sum"
}

# The postgres-owned folder holding one sub-folder per checkout (root only).
KUKAN_CLUSTERS=""
if [ -n "${KUKAN_DEVDB_DIR:-}" ]; then
  DATA="$KUKAN_DEVDB_DIR"
elif is_root && [ ! -f "$ROOT/.data/pg/PG_VERSION" ]; then
  PG_HOME=$(getent passwd postgres | cut -d: -f6 || true)
  KUKAN_CLUSTERS="${PG_HOME:-/var/lib/postgresql}/kukan"
  DATA="$KUKAN_CLUSTERS/$(checkout_key)"
else
  DATA="$ROOT/.data"
fi
PGDATA="$DATA/pg"
PORT_FILE="$DATA/pg.port"
LOG="$DATA/postgres.log"

as_pg() {
  # From / : the postgres user may not enter the checkout (the shell's working directory).
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

need_packages() {
  local missing=()
  [ -x "$BIN/initdb" ] || missing+=("postgresql-$PG_MAJOR")
  [ -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ] || missing+=("postgresql-$PG_MAJOR-postgis-3")
  [ ${#missing[@]} -eq 0 ] && return 0
  if is_root && command -v apt-get >/dev/null; then
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

psql_pg() { as_pg env PGOPTIONS="-c client_min_messages=warning" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$PORT_FILE")" -U postgres "$@"; }

make_state_dir() {
  if is_root; then
    if [ -n "$KUKAN_CLUSTERS" ] && [ ! -d "$KUKAN_CLUSTERS" ]; then
      mkdir -p "$KUKAN_CLUSTERS"
      chown postgres: "$KUKAN_CLUSTERS"
    fi
    mkdir -p "$DATA"
    chown postgres: "$DATA"
    runuser -u postgres -- test -w "$DATA" \
      || die "the postgres user cannot write $DATA; set KUKAN_DEVDB_DIR to a folder it may own, or KUKAN_DATABASE_URL"
  else
    mkdir -p "$DATA"
  fi
}

start_server() {
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(pick_port)
    echo "$port" >"$PORT_FILE"
    touch "$LOG"; if is_root; then chown postgres: "$LOG" "$PORT_FILE"; fi
    if as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c fsync=on" \
      start >/dev/null; then
      echo "devdb: PostgreSQL running on 127.0.0.1:$port (data: $PGDATA, log: $LOG)"
      return 0
    fi
    # Another checkout may have taken the port between the check and the bind: try the next.
    tail -1 "$LOG" | grep -q 'could not bind\|Address already in use' || break
    echo "devdb: port $port was taken meanwhile (attempt $attempt); trying the next free one"
  done
  tail -20 "$LOG" >&2
  die "the server did not start (log: $LOG)"
}

start() {
  need_packages
  make_state_dir
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    echo "devdb: creating the private cluster in $PGDATA"
    as_pg "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$DATA/initdb.log" 2>&1 || { cat "$DATA/initdb.log" >&2; die "initdb failed"; }
    if is_root; then chown postgres: "$DATA/initdb.log"; fi
  fi
  running || start_server
  if ! psql_pg -d postgres -tAc "select 1 from pg_database where datname='$DBNAME'" | grep -q 1; then
    psql_pg -d postgres -c "create database $DBNAME"
  fi
  psql_pg -d "$DBNAME" -c "create extension if not exists postgis; create extension if not exists btree_gist;"
}

stop() {
  if [ -x "$BIN/pg_ctl" ] && running; then
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    echo "devdb: stopped"
  fi
}

# Deletes only what start made (the folder may be the checkout's .data, holding other files).
destroy() {
  stop
  [ -d "$DATA" ] || return 0
  if [ -e "$PGDATA" ] && [ ! -f "$PGDATA/PG_VERSION" ]; then
    die "$PGDATA is not a PostgreSQL cluster; not deleting it"
  fi
  rm -rf "$PGDATA"
  rm -f "$PORT_FILE" "$LOG" "$DATA/initdb.log"
  rmdir "$DATA" 2>/dev/null || true
  echo "devdb: deleted the cluster in $PGDATA"
}

url() {
  [ -f "$PORT_FILE" ] || die "no private cluster yet; run scripts/devdb.sh start"
  echo "postgresql+psycopg://postgres@127.0.0.1:$(cat "$PORT_FILE")/$DBNAME"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  destroy) destroy ;;
  url) url ;;
  where) echo "$DATA" ;;
  *) echo "usage: $0 start|stop|destroy|url|where" >&2; exit 2 ;;
esac
