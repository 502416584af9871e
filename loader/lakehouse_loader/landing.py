"""The S3 landing zone: CSV files uploaded with any S3 client to
s3://<bucket>/landing/<table>/<any>.csv (or landing/<name>.csv) load as files dropped into
data/raw/ do, with the same ledger, quarantine and names, so data can arrive from another
machine without a shell on this one.

The drop zone's watch (arrivals.DropZoneWatch, in Airflow's triggerer) moves each such
object into the drop zone on every poll: landing/<table>/<name>.csv becomes
data/raw/<table>/<name>.csv (deeper folders join the name with "__":
landing/orders/2026/01.csv is data/raw/orders/2026__01.csv), written under a hidden name and
renamed, then the object is deleted. From there the file is loaded like any other, and
the ledger names it data/raw/...: one path, one set of rules. An S3 object is whole once
it is listed (an upload, multipart or not, appears at once), so a moved file is fired for
at once, with no settling.

An object replaced while it was moved is left for the next poll (it is deleted only if
its size and time are still those that were read). Objects that are not CSV files (or
have hidden names) are left where they are, with a warning once.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .conventions import LANDING_PREFIX, SKIPPED_PREFIXES
from .drop_zone import is_csv_name

if TYPE_CHECKING:
    import pyarrow.fs as pafs

log = logging.getLogger(__name__)


def drop_zone_name(key: str) -> str | None:
    """Where a landing object goes below data/raw/ (`key` below landing/), or None when it
    is not a CSV file the drop zone would load."""
    parts = [part for part in key.split("/") if part]
    if not parts or not is_csv_name(parts[-1]):
        return None
    if any(part.startswith(SKIPPED_PREFIXES) for part in parts):
        return None
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]}/{'__'.join(parts[1:])}"


@dataclass
class Landing:
    """Moves the landing zone's CSV objects of `bucket` into `raw_dir`."""

    fs: pafs.FileSystem
    bucket: str
    raw_dir: Path
    _warned: set[str] = field(default_factory=set)

    def move(self) -> list[str]:
        """Moves every object there is; returns the names written below `raw_dir`."""
        import pyarrow.fs as pafs

        root = f"{self.bucket}/{LANDING_PREFIX}"
        selector = pafs.FileSelector(root.rstrip("/"), recursive=True, allow_not_found=True)
        moved: list[str] = []
        for info in self.fs.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            key = info.path[len(root) :]
            name = drop_zone_name(key)
            if name is None:
                if key not in self._warned:
                    self._warned.add(key)
                    log.warning(
                        "s3://%s%s: not a CSV file the drop zone loads (landing/<table>/"
                        "<name>.csv); left where it is",
                        root, key,
                    )  # fmt: skip
                continue
            if self._move(info, self.raw_dir / name):
                log.info("s3://%s%s -> data/raw/%s", root, key, name)
                moved.append(name)
        return moved

    def _move(self, info: pafs.FileInfo, target: Path) -> bool:
        import pyarrow.fs as pafs

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.landing")
        with self.fs.open_input_stream(info.path) as source, partial.open("wb") as out:
            while block := source.read(1 << 20):
                out.write(block)
        now = self.fs.get_file_info(info.path)
        if now.type != pafs.FileType.File or (now.size, now.mtime) != (info.size, info.mtime):
            partial.unlink(missing_ok=True)  # replaced meanwhile: the next poll moves it
            return False
        os.replace(partial, target)
        self.fs.delete_file(info.path)
        return True
