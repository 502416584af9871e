#!/bin/sh
# PostgreSQL as native mode runs it (src/runtime/native/postgres.ts): a cluster made with
# initdb on first start (the password from POSTGRES_PASSWORD, through a private file),
# the shared postgresql.conf and pg_hba.conf, and services/postgres/init.sql, which is
# idempotent, run on every start before the server accepts connections from the network.
set -eu
config=/etc/lakehouse/postgres
: "${POSTGRES_USER:?}" "${POSTGRES_PASSWORD:?is not set: ./lakehouse up generates it in .env}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  umask 077
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --no-locale >/dev/null
  rm -f "$pwfile"
  echo "lakehouse-postgres: created the cluster"
fi
server_options="-c config_file=$config/postgresql.conf -c hba_file=$config/pg_hba.conf -c data_directory=$PGDATA -c unix_socket_directories=/tmp"
# The databases first, on the local socket only; then the server for the network.
pg_ctl -D "$PGDATA" -w -o "$server_options -c listen_addresses=''" start >/dev/null
PGPASSWORD="$POSTGRES_PASSWORD" psql --host /tmp --username "$POSTGRES_USER" --dbname postgres \
  --no-psqlrc --quiet -v ON_ERROR_STOP=1 --file "$config/init.sql"
pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
# shellcheck disable=SC2086 # one word per option
exec postgres -D "$PGDATA" $server_options -c listen_addresses='*' -c port=5432
