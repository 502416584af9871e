#!/bin/sh
# Valkey with the shared services/valkey/valkey.conf. As in native mode, the password goes
# into a private include file rather than onto the command line, where `ps` (on the host
# too) would show it.
set -eu
: "${VALKEY_PASSWORD:?is not set: ./lakehouse up generates it in .env}"
umask 077
printf 'requirepass %s\n' "$VALKEY_PASSWORD" >/data/auth.conf
exec valkey-server /etc/lakehouse/valkey/valkey.conf \
  --bind 0.0.0.0 --port 6379 --dir /data --include /data/auth.conf
