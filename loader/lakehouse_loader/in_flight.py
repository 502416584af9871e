"""Which files a DAG run has taken on and not yet finished: so that a later run (the drop
zone's watch fires again for files still due, and runs overlap) leaves them to the run
that has them instead of queueing each one again behind the same loads (with 200 files
waiting, every overlapping run mapped all 200 once more: each a no-op load, but a slot).

A claim is one small JSON file per source in a folder of the install's state, which every
Airflow process sees (natively the state folder, in docker mode the shared state volume).
A claim counts while its run is queued or running (Airflow is asked): a run that ended,
however, leaves claims that no longer hold, so nothing is lost when a worker dies.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path


class InFlight:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, source: str) -> Path:
        return self.folder / (hashlib.sha256(source.encode()).hexdigest()[:32] + ".json")

    def claim(self, sources: Iterable[str], run_id: str) -> None:
        """Marks `sources` as taken on by `run_id` (written whole, then renamed into place)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for source in sources:
            path = self._path(source)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(
                json.dumps({"source": source, "run_id": run_id, "claimed_at": time.time()})
            )
            temporary.replace(path)

    def release(self, source: str, run_id: str) -> None:
        """The run's load of `source` is over: its claim goes, unless another run's replaced it."""
        path = self._path(source)
        if self._read(path).get("run_id") == run_id:
            path.unlink(missing_ok=True)

    def held(self, run_active: Callable[[str], bool], own_run: str) -> set[str]:
        """The sources other runs that are still active have taken on. Claims of runs that
        ended are removed on the way."""
        if not self.folder.is_dir():
            return set()
        answers: dict[str, bool] = {}
        held: set[str] = set()
        for path in self.folder.glob("*.json"):
            claim = self._read(path)
            run_id = str(claim.get("run_id", ""))
            if run_id == own_run:
                continue
            if run_id not in answers:
                answers[run_id] = bool(run_id) and run_active(run_id)
            if answers[run_id]:
                held.add(str(claim.get("source")))
            else:
                path.unlink(missing_ok=True)
        return held

    @staticmethod
    def _read(path: Path) -> dict[str, object]:
        try:
            value = json.loads(path.read_text())
        except (OSError, ValueError):  # gone meanwhile, or cut short by a crash
            return {}
        return value if isinstance(value, dict) else {}
