#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the store tests and print its URL.
# Installs Debian's postgresql when it is missing (CI runs as root on a fresh machine).
set -euo pipefail
PORT="${PGPORT_TEST:-54329}"
DIR="${PGDIR_TEST:-/tmp/troubleshoot-pg}"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
if ! "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; then
  rm -rf "$DIR" && mkdir -p "$DIR" && chown postgres:postgres "$DIR"
  su postgres -c "$BIN/initdb -D $DIR/data -U postgres --auth=trust -E UTF8 --no-locale" >&2
  su postgres -c "$BIN/pg_ctl -D $DIR/data -l $DIR/server.log -w -o '-c listen_addresses=127.0.0.1 -p $PORT -k $DIR' start" >&2
fi
psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='troubleshoot_test'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$PORT" -U postgres -c 'CREATE DATABASE troubleshoot_test;' >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/troubleshoot_test"
