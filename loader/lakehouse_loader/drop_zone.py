"""Which files in the drop zone, data/raw/, are CSV files to load.

One rule, for the drop zone's watch (arrivals, discovery) and for `./lakehouse up` alike: the CLI's
src/pipeline/drop-zone.ts implements the same rule, and tests/unit/drop-zone.test.ts runs
both on one directory tree and fails when they differ.

- `data/raw/<name>.csv` and `data/raw/<name>/<any>.csv`, nothing deeper;
- `.csv` in any case (`ORDERS.CSV` too);
- names starting with `.` or `~` are left out, files and folders alike: hidden files, a
  copy in progress (`.orders.csv.partial`), editors' lock files (`.#orders.csv`,
  `~$orders.csv`);
- regular files only (a link to one counts), sorted by their path below data/raw/.

Standard library only: `python -m lakehouse_loader list` runs without the loader's
dependencies.
"""

from __future__ import annotations

import os
from pathlib import Path

from .conventions import CSV_SUFFIX, SKIPPED_PREFIXES


def _visible(name: str) -> bool:
    return not name.startswith(SKIPPED_PREFIXES)


def is_csv_name(name: str) -> bool:
    """A visible name ending in .csv, in any case (ASCII only, as the CLI compares it)."""
    suffix = name[-len(CSV_SUFFIX) :]
    return _visible(name) and suffix.isascii() and suffix.lower() == CSV_SUFFIX


def _names(folder: Path) -> list[str]:
    """The visible names in a folder; none when it cannot be read."""
    try:
        return [name for name in os.listdir(folder) if _visible(name)]
    except OSError:
        return []


def listing(raw_dir: Path) -> list[str]:
    """The CSV files to load, as POSIX paths below `raw_dir`, sorted by code point."""
    found: list[str] = []
    for name in _names(raw_dir):
        path = raw_dir / name
        if path.is_file():
            if is_csv_name(name):
                found.append(name)
        elif path.is_dir():
            found.extend(
                f"{name}/{inner}"
                for inner in _names(path)
                if is_csv_name(inner) and (path / inner).is_file()
            )
    return sorted(found)


def csv_files(raw_dir: Path) -> list[Path]:
    """The CSV files to load under `raw_dir` (data/raw/), in a stable order."""
    return [raw_dir / relative for relative in listing(raw_dir)]
