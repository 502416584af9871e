"""The triggerer's watch on data/raw/ and the S3 landing zone (landing.py): Airflow 3's
event-driven scheduling. csv_to_iceberg is scheduled on the asset this trigger watches (an
AssetWatcher), so a DAG run starts when a file has landed, within seconds, and none starts
while nothing arrives.

It runs in Airflow's triggerer, next to every other trigger, in one asyncio loop: the polls
(a directory listing, a stat per file, a listing of landing/) and the ledger's query go to
a thread. Which files to fire for is arrivals.DropZoneWatch's rule; each event names them,
and the run they start loads exactly those (csv_to_iceberg's find_files).

Airflow's own file triggers (FileDeleteTrigger, DirectoryFileDeleteTrigger) fire by
deleting the file they saw, and fire for a file still being copied: neither fits a drop
zone whose files stay where they are, as their loads' record.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from .arrivals import Arrivals, DropZoneWatch

POLL_SECONDS = 1.0


class DropZoneTrigger(BaseEventTrigger):
    """Fires {"files": ["data/raw/...", ...]} for files to load now."""

    def __init__(self, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{__name__}.{type(self).__name__}", {"poll_seconds": self.poll_seconds})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        watch = await asyncio.to_thread(drop_zone_watch)
        while True:
            files = await asyncio.to_thread(watch.step)
            if files:
                self.log.info("%d file(s) to load: %s", len(files), ", ".join(files))
                yield TriggerEvent({"files": files})
            await asyncio.sleep(self.poll_seconds)


def drop_zone_watch() -> DropZoneWatch:
    """The watch on this install's data/raw/ (LAKEHOUSE_DATA_DIR), remembering what it fired
    for in the state folder every Airflow process shares (so a restarted triggerer does not
    fire again for every file there)."""
    from .catalog import object_store
    from .config import PipelineConfig
    from .discovery import due_files
    from .landing import Landing
    from .orchestration import state_dir
    from .trino_sql import Trino

    config = PipelineConfig.from_env()
    trino = Trino(config)
    raw_dir = config.data_dir / "raw"
    landing = Landing(object_store(config), config.bucket, raw_dir)
    return DropZoneWatch(
        raw_dir=raw_dir,
        arrivals=Arrivals(state_dir() / "arrivals.json"),
        due=lambda: due_files(config, trino, hash_contents=False),
        land=landing.move,
    )
