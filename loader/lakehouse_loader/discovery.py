"""Which CSV files under data/raw/ need loading: the ledger decides.

A file is due when its content differs from its last load attempt. A file whose current
content was loaded, or was rejected as unloadable, waits until it changes: retrying a
file that cannot be loaded would only fail again every minute. A failure of anything
else (Trino down, say) leaves it due, so a later run tries again. Which files there are
is drop_zone's rule, the one `./lakehouse up` uses too.
"""

from __future__ import annotations

import time

from .config import PipelineConfig
from .drop_zone import csv_files
from .ingest import sha256_of, source_name
from .ledger import latest_attempts
from .trino_sql import Trino

# A file modified this recently may still be being written (a copy into the drop zone).
SETTLE_SECONDS = 5.0


def due_files(config: PipelineConfig, trino: Trino, now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    attempts = latest_attempts(trino)
    due: list[str] = []
    for path in csv_files(config.data_dir / "raw"):
        if now - path.stat().st_mtime < SETTLE_SECONDS:
            continue
        source = source_name(path, config)
        last = attempts.get(source)
        if last is not None and last[1] in ("loaded", "rejected") and last[0] == sha256_of(path):
            continue
        due.append(source)
    return due
