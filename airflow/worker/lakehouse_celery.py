"""Celery's configuration for Airflow's worker: Airflow's own, plus the loader's libraries
imported once when the worker starts (Celery's `imports`, the mechanism Airflow itself
uses to preload its operators). Each task runs in a process forked from the worker, so it
inherits pyiceberg and pyarrow instead of importing them again: about 2 s of every load on
two cores, most of a small file's load. Set by AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS."""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {
    **DEFAULT_CELERY_CONFIG,
    "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), "lakehouse_loader.preload"),
}
