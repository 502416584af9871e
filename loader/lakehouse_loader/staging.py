"""Local folders where a load writes its files before they are uploaded.

A load's Parquet (the raw zone's object and the table's data files) is written to local
disk first: the raw zone's object is named by the file's SHA-256, known only once the file
is read; a new table's files can only be uploaded once the table exists; and an open S3
upload buffers ~10 MB, which for one file per partition was a quarter of a large load's
memory. Folders are named with the load's process id, so the next load removes those of
loads that were killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

_PREFIX = "lakehouse-load-"  # lakehouse-load-<pid>-<random>


@contextlib.contextmanager
def load_folder() -> Iterator[Path]:
    """A new folder for this load's files, removed with everything in it at the end."""
    remove_stale()
    folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale() -> None:
    """Deletes the folders of loads that were killed (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        pid = folder.name.removeprefix(_PREFIX).split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # another user's live process
