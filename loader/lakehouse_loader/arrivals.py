"""Which files in the drop zone have just arrived and are complete: what an event-driven
watcher (a trigger polling data/raw/ every second or two) fires for, so that a file is
loaded within seconds of landing and nothing runs while nothing arrives.

A file has arrived when it is new or changed (its size or modification time differ from
what was last fired for it) and has settled: the same size and time on two polls in a row,
and not written for `settle_seconds`. A copy in progress is never read: it changes between
polls (and copies under a hidden name, as `lakehouse ingest` makes them, are not listed at
all). What was fired for is kept in a file, so a restarted watcher does not fire again for
everything there.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .drop_zone import listing

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
