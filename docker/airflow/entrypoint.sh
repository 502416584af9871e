#!/usr/bin/env bash
# Writes the admin's password where Airflow's built-in login reads it, from the generated
# .env (AIRFLOW_ADMIN_PASSWORD), then hands over to the image's own entrypoint.
set -euo pipefail
umask 077
printf '{"admin": "%s"}\n' "${AIRFLOW_ADMIN_PASSWORD:?set it in .env}" \
  >"${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?}"
exec /entrypoint "$@"
