#!/bin/sh
# Writes the admin's password where Airflow's built-in login reads it, from the generated
# .env (AIRFLOW_ADMIN_PASSWORD), as native mode does; then runs `airflow ARGS`, or ARGS
# itself when it is not an Airflow command (the init's shell).
set -eu
umask 077
printf '{"admin": "%s"}\n' "${AIRFLOW_ADMIN_PASSWORD:?is not set: ./lakehouse up generates it in .env}" \
  >"${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?}"
umask 002
case "${1:-}" in
  bash | sh | python) exec "$@" ;;
  *) exec airflow "$@" ;;
esac
