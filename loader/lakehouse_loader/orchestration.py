"""What the Airflow tasks call: the DAG files only wire these together.

Nothing here imports Airflow, so it is tested and type-checked like the rest of the package.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess

from .config import PipelineConfig
from .discovery import due_files
from .ingest import ingest_file
from .maintenance import maintain, tables
from .sources import path_of
from .trino_sql import Trino

log = logging.getLogger(__name__)


def files_to_load(requested: list[str]) -> list[str]:
    """The requested files (checked to be under data/raw/), or every due file."""
    config = PipelineConfig.from_env()
    if requested:
        for source in requested:
            path_of(source, config)
        return requested
    due = due_files(config, Trino(config))
    log.info("%d file(s) to load: %s", len(due), ", ".join(due) or "none")
    return due


def load_file(source: str) -> dict[str, object]:
    config = PipelineConfig.from_env()
    result = ingest_file(path_of(source, config), config)
    log.info(
        "%s -> %s.%s: %s, %d rows accepted, %d rejected",
        result.file, config.schema, result.table, result.status,
        result.rows_accepted, result.rows_rejected,
    )  # fmt: skip
    return result.as_dict()


def refresh_dashboards(results: list[dict[str, object]]) -> None:
    """Once per run, after its loads: new tables get their dashboards, changed tables their
    columns (LAKEHOUSE_DASHBOARDS_COMMAND, `lakehouse dashboards` in native mode)."""
    loaded = sorted({str(r["table"]) for r in results if r.get("status") == "loaded"})
    log.info("tables changed: %s", ", ".join(loaded) or "none")
    command = os.environ.get("LAKEHOUSE_DASHBOARDS_COMMAND")
    if not loaded or not command:
        return
    done = subprocess.run(
        shlex.split(command), capture_output=True, text=True, timeout=600, check=False
    )
    log.info("%s\n%s", command, (done.stdout + done.stderr).strip())
    if done.returncode != 0:
        raise RuntimeError(f"{command} exited {done.returncode}: {done.stderr.strip()[-2000:]}")


def maintained_tables() -> list[str]:
    config = PipelineConfig.from_env()
    return tables(Trino(config))


def maintain_table(table: str) -> None:
    config = PipelineConfig.from_env()
    maintain(Trino(config), table, config.snapshot_retention)
