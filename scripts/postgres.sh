#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests, on 127.0.0.1 only, and
# prints the DSN on stdout. The cluster lives under $1 (default /tmp/skimwatch-pg)
# and is reused while its server runs.
set -eu
dir=${1:-/tmp/skimwatch-pg}
port=${SKIMWATCH_TEST_PG_PORT:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$bin" ] || { echo "skimwatch: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then mkdir -p "$dir"; chown postgres "$dir"; fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
  run "$bin/initdb" -D "$dir/data" -U skimwatch --auth=trust -E UTF8 >/dev/null
fi
if ! run "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  run "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
fi
echo "postgres://skimwatch@127.0.0.1:$port/postgres?sslmode=disable"
