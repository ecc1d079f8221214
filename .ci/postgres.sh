#!/usr/bin/env bash
# Start a private PostgreSQL for the test suite on 127.0.0.1:${PGPORT:-55432} and print the
# connection URL. Installs Debian's postgresql if the server binaries are missing.
# Usage: eval "$(.ci/postgres.sh)"   (exports DOORBRAAK_TEST_POSTGRES_URL)
set -euo pipefail
PGPORT="${PGPORT:-55432}"

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pgbin)" ]; then
  echo "installing PostgreSQL from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(pgbin)"

run_as_pg() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

if ! (echo > "/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; then
  DATA="$(mktemp -d /tmp/doorbraak-pg.XXXXXX)"
  [ "$(id -u)" = "0" ] && chown postgres: "$DATA"
  run_as_pg "'$BIN/initdb' -D '$DATA' -A trust -U postgres >/dev/null" >&2
  run_as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$DATA/server.log' -w \
    -o \"-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300\" start >/dev/null" >&2
  echo "PostgreSQL started on 127.0.0.1:$PGPORT (data in $DATA)" >&2
fi
echo "export DOORBRAAK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PGPORT/postgres"
