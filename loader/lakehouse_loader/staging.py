"""Local folders where a load writes its files before they are uploaded.

A load's Parquet (the raw zone's object and the table's data files) is written to local
disk first: the raw zone's object is named by the file's SHA-256, known only once the file
is read; a new table's files can only be uploaded once the table exists; and an open S3
upload buffers ~10 MB, which for one file per partition was a quarter of a large load's
memory. Folders are named with the load's process id, so the next load removes those of
loads that were killed.

They are made in Python's temporary directory (`tempfile.gettempdir()`: $TMPDIR, else
/tmp). A load that runs out of space there fails with an IngestError naming the folder and
the space the file needs; its folder is removed, and nothing has been committed yet.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import IngestError

_PREFIX = "lakehouse-load-"  # lakehouse-load-<pid>-<random>

# Local disk a load's staged Parquet takes, per byte of its CSV file: the raw zone's copy
# and the table's files, both there until the commit uploads them. Measured at the commit
# on 500,000-row files: 0.13 (mostly empty cells), 0.23 (the sample sales, partitioned or
# not), 0.67 (one-digit numbers), 0.8 (random decimals), 1.1 (UUIDs and free text), 1.5
# (random three-letter codes). A message asks for the most; a load is refused before the
# file is read only when less than a tenth of its size is free, less than any file needed.
STAGED_AT_MOST = 1.6
STAGED_AT_LEAST = 0.1
_FULL = (errno.ENOSPC, errno.EDQUOT)


def staging_root() -> Path:
    """Where load folders are made: the place to free, or to move with TMPDIR."""
    return Path(tempfile.gettempdir())


def check_space(source: str, size: int) -> None:
    """Refuses a load of a `size`-byte file, before it is read, when its staging clearly
    cannot fit (STAGED_AT_LEAST); one that may fit is tried."""
    free = shutil.disk_usage(staging_root()).free
    if free < size * STAGED_AT_LEAST:
        raise out_of_space(source, size, staging_root(), free)


def out_of_space(
    source: str, size: int, folder: Path, free: int, *, quota: bool = False
) -> IngestError:
    """The failure of a `size`-byte file's load whose staging does not fit in `folder`,
    which has `free` bytes free (`quota`: the user's disk quota, not the disk, ran out)."""
    needed = f"up to {_size(size * STAGED_AT_MOST)} needed"
    if quota:
        lacking = f"not enough disk quota in {folder}"
    else:
        lacking, needed = f"not enough space in {folder}", f"{needed}, {_size(free)} free"
    return IngestError(
        source,
        f"{lacking} to stage the file's Parquet: {needed}",
        fix=f"free space in {folder}, or set TMPDIR to a folder on a larger disk",
        retry=True,
    )


@contextlib.contextmanager
def load_folder(source: str, size: int) -> Iterator[Path]:
    """A new folder for this load's files, removed with everything in it at the end. A disk
    full while it is written (`size`: the source file's bytes) is an IngestError."""
    remove_stale()
    root = staging_root()
    folder: Path | None = None
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=root))
        yield folder
    except Exception as error:
        full = _disk_full(error)
        if full is None:
            raise
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)  # first: the space it had is free
        free = shutil.disk_usage(root).free
        raise out_of_space(source, size, root, free, quota=full == errno.EDQUOT) from error
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _disk_full(error: BaseException) -> int | None:
    """ENOSPC or EDQUOT when the error, or one it was raised from or while handling, is a
    write that found the disk full (pyarrow's errors carry the errno too)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL:
            return current.errno
        current = current.__cause__ or current.__context__
    return None


def _size(count: float) -> str:
    """Bytes as people read them: 300 MiB, 1.2 GiB."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            break
        count /= 1024
    if unit == "bytes":
        return f"{int(count)} bytes"
    return f"{count:.1f} {unit}" if count < 10 else f"{count:.0f} {unit}"


def remove_stale() -> None:
    """Deletes the folders of loads that were killed (their process is gone)."""
    for folder in staging_root().glob(f"{_PREFIX}*"):
        pid = folder.name.removeprefix(_PREFIX).split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # another user's live process
