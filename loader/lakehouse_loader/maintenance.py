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
    if not _DURATION.match(retention):
        raise ValueError(f"retention {retention!r} is not a duration such as 7d or 12h")
    target = trino.table(table)
    trino.query(f"ALTER TABLE {target} EXECUTE optimize(file_size_threshold => '{SMALL_FILE}')")
    trino.query(
        f"ALTER TABLE {target} EXECUTE expire_snapshots(retention_threshold => '{retention}')"
    )
    trino.query(
        f"ALTER TABLE {target} EXECUTE remove_orphan_files(retention_threshold => '{retention}')"
    )
