"""Imports what every load uses, for a process that forks loads (Airflow's Celery worker,
airflow/worker/lakehouse_celery.py). The loader's modules import these lazily, inside the
functions that need them, so that the CLI's own start stays quick; a worker pays once.

Only imports: nothing here starts a thread or opens a connection, which a fork would copy
half-done.
"""

from __future__ import annotations

import importlib

MODULES = (
    "pyarrow",
    "pyarrow.compute",
    "pyarrow.csv",
    "pyarrow.fs",
    "pyarrow.parquet",
    "pyiceberg.catalog.rest",
    "pyiceberg.expressions",
    "pyiceberg.io.pyarrow",
    "pyiceberg.table",
    "pyiceberg.table.update.schema",
    "lakehouse_loader.ingest",
    "lakehouse_loader.orchestration",
)

for module in MODULES:
    importlib.import_module(module)
