"""Which files in the drop zone to load now: what the triggerer's watch on data/raw/
(arrival_trigger.py) fires for, so that a file is loaded within seconds of landing and
nothing runs while nothing arrives.

A file has arrived when it is new or changed (its size or modification time differ from
what was last fired for it) and has settled: the same size and time on two polls in a row,
and not written for `settle_seconds`. A copy in progress is never read: it changes between
polls (and copies under a hidden name, as `lakehouse ingest` makes them, are not listed at
all). What was fired for is kept in a file, so a restarted watcher does not fire again for
everything there.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .drop_zone import listing

log = logging.getLogger(__name__)

# Seconds a file must not have been written before it counts as complete.
SETTLE_SECONDS = 2.0

Signature = tuple[int, int]  # size in bytes, modification time in ns


@dataclass
class Arrivals:
    """The watcher's memory: each file's signature on the last poll, and what it fired for
    (kept in `state_file`)."""

    state_file: Path
    settle_seconds: float = SETTLE_SECONDS
    _last_poll: dict[str, Signature] = field(default_factory=dict)
    _fired: dict[str, Signature] | None = None

    def poll(self, raw_dir: Path, now: float | None = None) -> list[str]:
        """The files (below `raw_dir`, as drop_zone.listing names them) that arrived since
        the last poll that returned them; remembered as fired."""
        now = time.time() if now is None else now
        fired = self._load()
        current: dict[str, Signature] = {}
        for name in listing(raw_dir):
            try:
                stat = (raw_dir / name).stat()
            except OSError:
                continue  # gone since the listing
            current[name] = (stat.st_size, stat.st_mtime_ns)
        ready = [
            name
            for name, signature in current.items()
            if fired.get(name) != signature
            and self._last_poll.get(name) == signature
            and now - signature[1] / 1e9 >= self.settle_seconds
        ]
        self._last_poll = current
        if ready:
            for name in ready:
                fired[name] = current[name]
            # Files that left the drop zone are forgotten: one that comes back is new.
            self._save({name: sig for name, sig in fired.items() if name in current})
        return ready

    def remember(self, raw_dir: Path, names: list[str]) -> None:
        """Counts `names` (below `raw_dir`) as fired for as they are now: files known to be
        whole (moved in from the landing zone), fired for without settling."""
        fired = self._load()
        for name in names:
            try:
                stat = (raw_dir / name).stat()
            except OSError:
                continue
            fired[name] = self._last_poll[name] = (stat.st_size, stat.st_mtime_ns)
        self._save(fired)

    def _load(self) -> dict[str, Signature]:
        if self._fired is None:
            try:
                saved = json.loads(self.state_file.read_text(encoding="utf-8"))
                self._fired = {name: (int(s[0]), int(s[1])) for name, s in saved.items()}
            except (OSError, ValueError, TypeError, IndexError, AttributeError):
                self._fired = {}  # none yet, or unreadable: the ledger still skips loaded files
        return self._fired

    def _save(self, fired: dict[str, Signature]) -> None:
        self._fired = fired
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_name(f".{self.state_file.name}.partial")
        partial.write_text(json.dumps({n: list(s) for n, s in fired.items()}), encoding="utf-8")
        os.replace(partial, self.state_file)  # whole or not at all


# How often the watch asks the ledger which files are still due, and how soon again after a
# scan that failed (the stack still starting, say).
SCAN_SECONDS = 60.0
SCAN_RETRY_SECONDS = 10.0
# A file still due after it was fired for is fired for again after SCAN_SECONDS, then after
# twice that, and so on up to this: a load that failed for a passing reason (the object
# store restarting) is tried again soon, one that keeps running or keeps failing costs a
# run seldom.
MAX_REFIRE_SECONDS = 32 * 60.0


@dataclass
class DropZoneWatch:
    """What to fire for on each poll: arrivals at once (Arrivals), and, every SCAN_SECONDS,
    the files the ledger still has due that were not fired for lately: a load that failed
    and is to be tried again, a file that arrived while nothing watched. `due` returns
    source names (data/raw/...), as the DAG's tasks take them; so does `step`."""

    raw_dir: Path
    arrivals: Arrivals
    due: Callable[[], list[str]]
    # Moves the S3 landing zone's files into raw_dir; returns their names below it.
    land: Callable[[], list[str]] | None = None
    scan_seconds: float = SCAN_SECONDS
    _next_scan: float = -math.inf
    _landing_down: bool = False
    # Per source: when it was last fired for, and how many times in a row by a scan.
    _fired: dict[str, tuple[float, int]] = field(default_factory=dict)

    def step(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        landed = self._land()
        self.arrivals.remember(self.raw_dir, landed)
        arrived = [f"data/raw/{name}" for name in [*landed, *self.arrivals.poll(self.raw_dir, now)]]
        for source in arrived:
            self._fired[source] = (now, 0)
        fire = list(arrived)
        if now >= self._next_scan:
            fire += self._scan(now, set(arrived))
        return sorted(fire)

    def _land(self) -> list[str]:
        if self.land is None:
            return []
        try:
            landed = self.land()
        except Exception as error:  # the object store out of reach: the drop zone still works
            if not self._landing_down:
                log.warning("the S3 landing zone cannot be read (%s); trying again", error)
                self._landing_down = True
            return []
        if self._landing_down:
            log.info("the S3 landing zone answers again")
            self._landing_down = False
        return landed

    def _scan(self, now: float, arrived: set[str]) -> list[str]:
        try:
            due = self.due()
        except Exception as error:  # the ledger out of reach: arrivals still fire meanwhile
            log.warning("which files are due: not known yet (%s); asking again soon", error)
            self._next_scan = now + SCAN_RETRY_SECONDS
            return []
        self._next_scan = now + self.scan_seconds
        fire: list[str] = []
        for source in due:
            if source in arrived:
                continue
            at, times = self._fired.get(source, (-math.inf, 0))
            if now - at >= min(self.scan_seconds * 2**times, MAX_REFIRE_SECONDS):
                fire.append(source)
                self._fired[source] = (now, times + 1)
        # Files no longer due (loaded, or gone) start over when they are due again.
        self._fired = {s: v for s, v in self._fired.items() if s in due or s in arrived}
        return fire
