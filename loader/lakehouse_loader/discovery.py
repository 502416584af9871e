"""Which CSV files under data/raw/ need loading: the ledger decides.

A file is due when its content differs from its last load attempt's. A file whose current
content was loaded, or was rejected as unloadable, waits until it changes: retrying a
file that cannot be loaded would only fail again and again. A load that failed for
anything else (S3 down, say) is tried again, until MAX_FAILED_ATTEMPTS attempts in a row
failed on the same content: then it waits until the content changes, or someone loads it
(`./lakehouse ingest FILE`, or `./lakehouse up`, which loads every file), and each run's
log says why. A file that changed while it was loaded is due again once it settles.
Which files there are is drop_zone's rule, the one `./lakehouse up` uses too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from .config import PipelineConfig
from .conventions import CHANGED, FAILED, LOADED, REJECTED
from .drop_zone import csv_files
from .ledger import Attempt, recent_attempts
from .sources import sha256_of, source_name
from .trino_sql import Trino

log = logging.getLogger(__name__)

# A file modified this recently may still be being written (a copy into the drop zone).
SETTLE_SECONDS = 5.0
# Failed attempts in a row on one content after which the watch stops retrying it. Airflow's
# own retries of a load are attempts too (1 + 3 per run, over about 70 s): twelve are three
# scheduled runs, so an outage of a few minutes (the object store restarting) is ridden
# out, while a file that fails every time stops costing a load a minute.
MAX_FAILED_ATTEMPTS = 12


@dataclass(frozen=True)
class Verdict:
    due: bool
    reason: str


def verdict(attempts: Sequence[Attempt], sha: Callable[[], str]) -> Verdict:
    """Whether a file is due, from its most recent attempts (the latest first, at least
    MAX_FAILED_ATTEMPTS of them when there are) and its content's hash, asked for only when
    it matters (hashing a large file takes seconds)."""
    if not attempts:
        return Verdict(True, "new")
    last = attempts[0]
    if last.status == CHANGED:
        return Verdict(True, "it changed while it was loaded")
    if last.status not in (LOADED, REJECTED, FAILED):
        return Verdict(True, f"its last attempt is {last.status!r}")
    content = sha()
    if last.sha256 != content:
        return Verdict(True, "changed")
    if last.status == LOADED:
        return Verdict(False, "loaded")
    if last.status == REJECTED:
        return Verdict(False, f"rejected, waiting until it changes: {last.message}")
    failures = 0
    for attempt in attempts:
        if attempt.status != FAILED or attempt.sha256 != content:
            break
        failures += 1
    if failures < MAX_FAILED_ATTEMPTS:
        return Verdict(True, f"failed {failures} time(s), tried again: {last.message}")
    return Verdict(
        False,
        f"gave up after {failures} failed attempts: {last.message} "
        "(load it with ./lakehouse ingest once the cause is fixed, or change the file)",
    )


def due_files(
    config: PipelineConfig, trino: Trino, now: float | None = None, *, hash_contents: bool = True
) -> list[str]:
    """The files whose last attempts make them due. Without `hash_contents` a file is taken
    to hold what its last attempt read: the drop zone's watch sees changes by size and
    time (arrivals.py) and asks only for loads still to be tried, with no file read."""
    now = time.time() if now is None else now
    attempts = recent_attempts(trino, MAX_FAILED_ATTEMPTS)
    due: list[str] = []
    for path in csv_files(config.data_dir / "raw"):
        source = source_name(path, config)
        try:
            if now - path.stat().st_mtime < SETTLE_SECONDS:
                continue
            tried = attempts.get(source, [])
            if hash_contents or not tried:
                sha = partial(sha256_of, path)
            else:
                sha = partial(str, tried[0].sha256)
            decided = verdict(tried, sha)
        except OSError as error:  # removed meanwhile, or unreadable
            log.warning("%s: not loaded, cannot be read: %s", source, error)
            continue
        if decided.due:
            due.append(source)
        elif decided.reason != "loaded":
            log.warning("%s: not loaded: %s", source, decided.reason)
    return due
