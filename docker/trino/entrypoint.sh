#!/bin/sh
# Trino run with java directly, as native mode runs it (src/runtime/native/trino.ts): the
# shared services/trino/etc, the heap from TRINO_HEAP, logs to stdout. config.properties
# reads the query memory and the spill directory from the environment (docker-compose.yml).
# TRINO_ROLE=worker starts a worker of the coordinator `trino` (the scale profile).
set -eu
etc=/etc/lakehouse/trino
data=/var/lib/trino
role=""
if [ "${TRINO_ROLE:-coordinator}" = worker ]; then
  # A worker has no fixed DNS name: it announces its container address. Trino lets -D
  # system properties override config.properties.
  TRINO_INTERNAL_ADDRESS=$(hostname -i | cut -d' ' -f1)
  export TRINO_INTERNAL_ADDRESS
  role="-Dcoordinator=false -Ddiscovery.uri=http://trino:${TRINO_HTTP_PORT:?}"
fi
mkdir -p "$data/var/log"
# jvm.config, one option a line, with the heap from the settings.
jvm=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$etc/jvm.config" | sed "s/^-Xmx.*/-Xmx${TRINO_HEAP:-2G}/")
# shellcheck disable=SC2086 # one word per option
exec java -cp "/opt/trino/lib/*" $jvm \
  "-Dnode.id=${TRINO_NODE_ID:-$(hostname)}" \
  "-Dnode.data-dir=$data" \
  "-Dconfig=$etc/config.properties" \
  "-Dlog.levels-file=$etc/log.properties" \
  -Dplugin.dir=/opt/trino/plugin \
  "-Dcatalog.config-dir=$etc/catalog" \
  "-Dhttp-server.log.path=$data/var/log/http-request.log" \
  $role io.trino.server.TrinoServer
