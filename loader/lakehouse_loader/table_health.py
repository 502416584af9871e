"""Tables kept healthy as they are loaded, without waiting for the daily maintenance.

Every load adds a snapshot and at least one data file, and so does every write of its
rejects table and of the ledger: a stream of small files leaves many small files and
snapshots, which slow every query's planning. After a run's loads, each table they changed
is measured from its metadata (no data read), and once it is past a threshold (the install's
in `.env`, or its contract's):

- more small files than one per partition past `compact_at_small_files`: compacted
  (Trino's `optimize`, as the daily maintenance does);
- more snapshots than `expire_at_snapshots`: the older half expired (Trino's
  `expire_snapshots`, which also deletes the files only they held). The newest half is kept
  for time travel, however young the older ones are.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .conventions import SMALL_FILE_MB

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from .trino_sql import Trino

log = logging.getLogger(__name__)

SMALL_FILE_BYTES = SMALL_FILE_MB * 1024 * 1024
# Snapshots committed within this much of the oldest one kept are kept too: the retention
# is counted from Trino's clock, a moment after this process read the snapshots' times.
CLOCK_MARGIN_SECONDS = 5


@dataclass(frozen=True)
class Thresholds:
    """When a table is compacted and its snapshots expired, outside the daily maintenance."""

    small_files: int
    snapshots: int


@dataclass(frozen=True)
class Health:
    """A table's current data files and its snapshots, from its metadata."""

    data_files: int
    small_files: int  # smaller than the compaction's target (SMALL_FILE_MB)
    compactable: int  # small files beyond one per partition: what compaction can merge
    snapshot_times_ms: tuple[int, ...]  # newest first

    @property
    def snapshots(self) -> int:
        return len(self.snapshot_times_ms)


def health_of(table: Table) -> Health:
    """Reads the current snapshot's manifests (file sizes and partitions), not the data."""
    from pyiceberg.manifest import ManifestContent

    times = tuple(sorted((s.timestamp_ms for s in table.metadata.snapshots), reverse=True))
    snapshot = table.current_snapshot()
    if snapshot is None:
        return Health(0, 0, 0, times)
    files = small = 0
    small_partitions: set[object] = set()
    for manifest in snapshot.manifests(table.io):
        if manifest.content != ManifestContent.DATA:
            continue
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            files += 1
            if entry.data_file.file_size_in_bytes < SMALL_FILE_BYTES:
                small += 1
                partition = str(entry.data_file.partition)  # its values, e.g. Record[day='mon']
                small_partitions.add((manifest.partition_spec_id, partition))
    return Health(files, small, small - len(small_partitions), times)


@dataclass(frozen=True)
class Care:
    """What a table needs now: compaction, and the retention that expires its older
    snapshots (None: neither needed)."""

    compact: bool
    expire_retention_s: int | None


def care_for(health: Health, thresholds: Thresholds, now_ms: int) -> Care:
    compact = health.compactable > thresholds.small_files
    retention = None
    if health.snapshots > thresholds.snapshots:
        # Keep the newest half: the retention reaches back to the oldest of them.
        keep = max(1, thresholds.snapshots // 2)
        oldest_kept = health.snapshot_times_ms[keep - 1]
        retention = math.ceil((now_ms - oldest_kept) / 1000) + CLOCK_MARGIN_SECONDS
    return Care(compact, retention)


def keep_healthy(trino: Trino, table: Table, name: str, thresholds: Thresholds) -> list[str]:
    """Compacts and expires the table `name` (in Trino's schema) as its health needs; returns
    what was done, for the log."""
    from .maintenance import compact, expire_snapshots

    health = health_of(table)
    care = care_for(health, thresholds, int(time.time() * 1000))
    done = []
    if care.compact:
        compact(trino, name)
        done.append(f"compacted {health.small_files} small files")
    if care.expire_retention_s is not None:
        expire_snapshots(trino, name, f"{care.expire_retention_s}s")
        done.append(f"expired the snapshots older than {care.expire_retention_s} s")
    if done:
        log.info(
            "%s: %d data files (%d small), %d snapshots: %s",
            name, health.data_files, health.small_files, health.snapshots, "; ".join(done),
        )  # fmt: skip
    return done
