#!/usr/bin/env bash
# Run a command (the test suite) against PostgreSQL, with QEP_TEST_DATABASE_URL set for it.
#
#   tests/with_postgres.sh .venv/bin/python -m pytest
#
# * QEP_TEST_DATABASE_URL already set: the command runs against that server as it is.
# * Otherwise, when Debian's PostgreSQL binaries are here (package postgresql), a throw-away
#   cluster is created in a temp dir, listening on loopback only (127.0.0.1 and a socket in /tmp),
#   and removed afterwards whatever happens. pg_ctl refuses to run as root: as root, the cluster
#   runs as the `postgres` user (FIELD-NOTES). It trades durability for speed (fsync off): the
#   data is thrown away anyway.
# * No PostgreSQL: says clearly that the PostgreSQL run is skipped, and succeeds, unless
#   QEP_REQUIRE_PG=1 (set by .ci/run), where it fails.
set -euo pipefail

if [ -n "${QEP_TEST_DATABASE_URL:-}" ]; then
  echo "== PostgreSQL run against QEP_TEST_DATABASE_URL (server already running)"
  exec "$@"
fi

bindir=""
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  bindir="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
else
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then bindir="$dir"; break; fi
  done
fi
if [ -z "$bindir" ]; then
  echo "================================================================================"
  echo "SKIPPED: the PostgreSQL run of the test suite (no initdb/pg_ctl found)."
  echo "Only SQLite was tested. Install Debian's 'postgresql' package, or set"
  echo "QEP_TEST_DATABASE_URL=postgresql+psycopg://USER@HOST:PORT/DB to use a running server."
  echo "================================================================================"
  if [ "${QEP_REQUIRE_PG:-0}" = "1" ]; then
    echo "QEP_REQUIRE_PG=1: the PostgreSQL run is required here." >&2
    exit 1
  fi
  exit 0
fi

port="${QEP_PG_PORT:-54329}"
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || [ -e "/tmp/.s.PGSQL.$1" ]; }
for _ in $(seq 1 50); do
  port_busy "$port" || break
  port=$((port + 1))
done

datadir="$(mktemp -d /tmp/qep-pg.XXXXXX)"
if [ "$(id -u)" = "0" ]; then
  chown postgres: "$datadir"
  as_pg() { su postgres -s /bin/sh -c "cd /tmp && $1"; }
else
  as_pg() { sh -c "$1"; }
fi
stop_cluster() {
  as_pg "'$bindir/pg_ctl' -D '$datadir' -m immediate -w stop" >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap stop_cluster EXIT

options="-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
options="$options -c full_page_writes=off -c max_connections=300"
as_pg "'$bindir/initdb' -D '$datadir/data' -U qep --auth=trust -E UTF8 --locale=C.UTF-8 >'$datadir/initdb.log' 2>&1" \
  || { cat "$datadir/initdb.log"; exit 1; }
as_pg "'$bindir/pg_ctl' -D '$datadir/data' -l '$datadir/server.log' -w -t 60 -o '$options' start >/dev/null" \
  || { cat "$datadir/server.log"; exit 1; }
stop_cluster() {
  as_pg "'$bindir/pg_ctl' -D '$datadir/data' -m immediate -w stop" >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U qep qep_test

export QEP_TEST_DATABASE_URL="postgresql+psycopg://qep@127.0.0.1:$port/qep_test"
echo "== PostgreSQL run: throw-away cluster $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port"
status=0
"$@" || status=$?
exit "$status"
