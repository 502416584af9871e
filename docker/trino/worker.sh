#!/bin/bash
# A Trino worker from the coordinator's shared etc/: Trino lets -D system properties
# override config.properties, so only what a worker changes is set here.
set -euo pipefail
# config.properties announces this node at ${ENV:TRINO_INTERNAL_ADDRESS}; a worker has no
# fixed DNS name, so it announces its container address (Docker writes it to /etc/hosts).
own_address=""
while read -r address name _; do
  if [ "$name" = "$HOSTNAME" ]; then own_address="$address"; fi
done </etc/hosts
if [ -z "$own_address" ]; then
  echo "trino-worker: no address for $HOSTNAME in /etc/hosts" >&2
  exit 1
fi
export TRINO_INTERNAL_ADDRESS="$own_address"
# The coordinator's discovery address, which the shared file derives from the same variable.
exec /usr/lib/trino/bin/run-trino \
  -Dcoordinator=false \
  -Ddiscovery.uri="http://trino:${TRINO_HTTP_PORT}"
