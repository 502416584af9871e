#!/bin/sh
# The `lakehouse` CLI inside the Airflow containers, where the dashboards' refresh runs it:
# the build the host's `lakehouse` script compiled into the mounted checkout (dist/cli/),
# when no file under src/ is newer, else the TypeScript through tsx (its packages are in
# the image). The checkout is mounted read-only: nothing is built here. The compiled entry
# starts about 0.6 s sooner.
cli=/opt/lakehouse/cli
entry="$cli/dist/cli/main.js"
if [ -f "$entry" ] && [ -z "$(find "$cli/src" "$cli/package.json" -newer "$entry" -print -quit)" ]; then
  exec node "$entry" "$@"
fi
exec node --import /opt/lakehouse/node_modules/tsx/dist/esm/index.mjs "$cli/src/cli/main.ts" "$@"
