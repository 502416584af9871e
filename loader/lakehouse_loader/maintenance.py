"""Keeping Iceberg tables lean: compact small files, expire old snapshots, remove orphans.

Every load adds a snapshot and a few files; without this, metadata and small files pile
up and queries slow down. All three are Trino table procedures.
"""

from __future__ import annotations

import re

from .conventions import SMALL_FILE_MB
from .trino_sql import Trino

# Table procedures take no bound parameters, so the retention is checked to be a plain
# duration before it goes into the SQL text.
_DURATION = re.compile(r"^\d+(\.\d+)?(ms|s|m|h|d)$")
# Compaction rewrites files smaller than this into larger ones.
SMALL_FILE = f"{SMALL_FILE_MB}MB"


def tables(trino: Trino) -> list[str]:
    """The schema's tables, without the staging tables a running load may be using."""
    rows = trino.query(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name",
        [trino.schema],
    )
    return [str(name) for (name,) in rows]


def maintain(trino: Trino, table: str, retention: str) -> None:
    """Compact, then expire snapshots older than `retention`, then remove orphan files."""
    _check(retention)
    compact(trino, table)
    expire_snapshots(trino, table, retention)
    trino.query(
        f"ALTER TABLE {trino.table(table)} EXECUTE"
        f" remove_orphan_files(retention_threshold => '{retention}')"
    )


def compact(trino: Trino, table: str) -> None:
    """Rewrites the table's small files into larger ones."""
    trino.query(
        f"ALTER TABLE {trino.table(table)} EXECUTE optimize(file_size_threshold => '{SMALL_FILE}')"
    )


def expire_snapshots(trino: Trino, table: str, retention: str) -> None:
    """Expires the snapshots older than `retention` (never the current one) and deletes the
    files only they held."""
    _check(retention)
    trino.query(
        f"ALTER TABLE {trino.table(table)} EXECUTE"
        f" expire_snapshots(retention_threshold => '{retention}')"
    )


def _check(retention: str) -> None:
    if not _DURATION.match(retention):
        raise ValueError(f"retention {retention!r} is not a duration such as 7d or 12h")
