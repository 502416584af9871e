"""The ingest ledger, `iceberg.<schema>._ingest_log`: one row per load attempt.

It decides what is new (a file whose content hash was already loaded is skipped) and is
the record that nothing was lost: rows accepted + rows rejected = data rows in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .trino_sql import Trino

LEDGER = "_ingest_log"

_COLUMNS = (
    ("file_path", "varchar"),
    ("sha256", "varchar"),
    ("table_name", "varchar"),
    ("data_rows", "bigint"),
    ("rows_accepted", "bigint"),
    ("rows_rejected", "bigint"),
    ("snapshot_id", "bigint"),
    ("started_at", "timestamp(6) with time zone"),
    ("finished_at", "timestamp(6) with time zone"),
    # loaded | rejected (the file itself cannot be loaded: fix it) | failed (anything else:
    # a later run tries again)
    ("status", "varchar"),
    ("message", "varchar"),
)


@dataclass(frozen=True)
class LedgerEntry:
    file_path: str
    sha256: str
    table_name: str
    data_rows: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    snapshot_id: int | None
    started_at: datetime
    finished_at: datetime
    status: str
    message: str | None


def ensure_ledger(trino: Trino) -> None:
    columns = ", ".join(f'"{name}" {kind}' for name, kind in _COLUMNS)
    trino.query(f"CREATE TABLE IF NOT EXISTS {trino.table(LEDGER)} ({columns})")


def last_load(trino: Trino, file_path: str) -> tuple[str, int] | None:
    """(content hash, rows accepted) of the file's last successful load, if any."""
    rows = trino.query(
        f"SELECT sha256, rows_accepted FROM {trino.table(LEDGER)} "
        "WHERE file_path = ? AND status = 'loaded' ORDER BY finished_at DESC LIMIT 1",
        [file_path],
    )
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def latest_attempts(trino: Trino) -> dict[str, tuple[str, str]]:
    """file path -> (content hash, status) of each file's most recent load attempt."""
    if not trino.table_exists(LEDGER):
        return {}
    rows = trino.query(
        "SELECT file_path, sha256, status FROM ("
        " SELECT file_path, sha256, status, row_number() OVER"
        " (PARTITION BY file_path ORDER BY finished_at DESC) AS recency"
        f" FROM {trino.table(LEDGER)}) WHERE recency = 1"
    )
    return {str(path): (str(sha), str(status)) for path, sha, status in rows}


def record(trino: Trino, entry: LedgerEntry) -> None:
    names = ", ".join(f'"{name}"' for name, _ in _COLUMNS)
    marks = ", ".join("?" for _ in _COLUMNS)
    values = [getattr(entry, name) for name, _ in _COLUMNS]
    trino.query(f"INSERT INTO {trino.table(LEDGER)} ({names}) VALUES ({marks})", values)
