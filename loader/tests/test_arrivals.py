"""The drop zone's arrivals and watch (arrivals.py): a file is fired for once it is
complete, once per content, and not again after a restart; files the ledger still has due
are fired for again ever more seldom; idle, nothing is fired for."""

from __future__ import annotations

import os
from pathlib import Path

from lakehouse_loader.arrivals import Arrivals, DropZoneWatch

NOW = 1_900_000_000.0


def put(raw: Path, name: str, text: str, written: float) -> None:
    path = raw / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (written, written))


def test_a_file_is_fired_for_once_it_has_settled_and_only_once(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    arrivals = Arrivals(tmp_path / "state" / "arrivals.json")
    put(raw, "orders.csv", "id\n1\n", NOW - 10)
    assert arrivals.poll(raw, NOW) == []  # first seen: one more poll to be sure it is still
    assert arrivals.poll(raw, NOW + 1) == ["orders.csv"]
    assert arrivals.poll(raw, NOW + 2) == []
    # New content under the same name arrives again.
    put(raw, "orders.csv", "id\n1\n2\n", NOW + 3)
    assert arrivals.poll(raw, NOW + 3.5) == []  # written half a second ago
    assert arrivals.poll(raw, NOW + 6) == ["orders.csv"]


def test_a_file_still_being_written_is_not_fired_for(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    arrivals = Arrivals(tmp_path / "arrivals.json")
    for second in range(5):  # a slow copy: a line more every second
        put(raw, "slow.csv", "id\n" + "1\n" * (second + 1), NOW + second)
        assert arrivals.poll(raw, NOW + second + 0.5) == []
    assert arrivals.poll(raw, NOW + 10) == ["slow.csv"]
    put(raw, ".slow2.csv.partial", "id\n1\n", NOW)  # a copy under a hidden name: not listed
    put(raw, "batch/part-1.csv", "id\n1\n", NOW)
    assert arrivals.poll(raw, NOW + 11) == []
    assert arrivals.poll(raw, NOW + 12) == ["batch/part-1.csv"]


def test_a_restarted_watcher_does_not_fire_again_and_a_returning_file_is_new(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    state = tmp_path / "arrivals.json"
    put(raw, "a.csv", "id\n1\n", NOW - 10)
    put(raw, "b.csv", "id\n2\n", NOW - 10)
    first = Arrivals(state)
    first.poll(raw, NOW)
    assert first.poll(raw, NOW + 1) == ["a.csv", "b.csv"]
    again = Arrivals(state)
    again.poll(raw, NOW + 2)
    assert again.poll(raw, NOW + 3) == []
    (raw / "a.csv").unlink()
    put(raw, "c.csv", "id\n3\n", NOW)
    again.poll(raw, NOW + 4)
    assert again.poll(raw, NOW + 5) == ["c.csv"]  # and a.csv is forgotten
    put(raw, "a.csv", "id\n1\n", NOW - 10)
    again.poll(raw, NOW + 6)
    assert again.poll(raw, NOW + 7) == ["a.csv"]
    state.write_text("not json", encoding="utf-8")  # unreadable: starts from nothing
    fresh = Arrivals(state)
    fresh.poll(raw, NOW + 8)
    assert fresh.poll(raw, NOW + 9) == ["a.csv", "b.csv", "c.csv"]


class Ledger:
    """A stand-in for the ledger's answer (which files are due), counting the questions."""

    def __init__(self) -> None:
        self.due: list[str] = []
        self.asked = 0
        self.down = False

    def __call__(self) -> list[str]:
        self.asked += 1
        if self.down:
            raise ConnectionError("trino: connection refused")
        return list(self.due)


def watch_of(tmp_path: Path, ledger: Ledger) -> tuple[Path, DropZoneWatch]:
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    return raw, DropZoneWatch(raw, Arrivals(tmp_path / "arrivals.json"), ledger)


def test_the_watch_fires_for_arrivals_at_once_as_source_names(tmp_path: Path) -> None:
    ledger = Ledger()
    raw, watch = watch_of(tmp_path, ledger)
    assert watch.step(NOW) == []  # the first scan: nothing due
    put(raw, "orders.csv", "id\n1\n", NOW - 5)
    put(raw, "events/a.csv", "id\n1\n", NOW - 5)
    assert watch.step(NOW + 1) == []
    assert watch.step(NOW + 2) == ["data/raw/events/a.csv", "data/raw/orders.csv"]
    assert watch.step(NOW + 3) == []
    assert ledger.asked == 1  # one question a minute, however often it polls


def fired_for_once(tmp_path: Path, name: str) -> tuple[Ledger, DropZoneWatch, list[str]]:
    """A watch that has seen `name` arrive, and what it fired for then (at NOW + 1)."""
    ledger = Ledger()
    raw, watch = watch_of(tmp_path, ledger)
    put(raw, name, "id\n1\n", NOW - 100)
    watch.step(NOW)
    return ledger, watch, watch.step(NOW + 1)


def test_idle_the_watch_fires_for_nothing_and_asks_the_ledger_once_a_minute(
    tmp_path: Path,
) -> None:
    # Fired for once, then loaded: the ledger has nothing due.
    ledger, watch, _ = fired_for_once(tmp_path, "loaded.csv")
    fired = [watch.step(NOW + 2 + second) for second in range(3600)]
    assert [files for files in fired if files] == []
    assert ledger.asked == 61


def test_a_due_file_is_fired_for_again_ever_more_seldom_until_it_is_loaded(
    tmp_path: Path,
) -> None:
    ledger, watch, arrived = fired_for_once(tmp_path, "flaky.csv")
    assert arrived == ["data/raw/flaky.csv"]
    ledger.due = ["data/raw/flaky.csv"]  # its load failed: the object store was down
    fired_at = [NOW + 2 + s for s in range(4000) if watch.step(NOW + 2 + s)]
    gaps = [round(b - a) for a, b in zip([NOW + 1, *fired_at], fired_at, strict=False)]
    # The ledger is asked on the minute: the first scan a minute after the arrival misses
    # it by a second. Then twice the wait each time, up to 32 minutes.
    assert gaps == [119, 120, 240, 480, 960, 1920]
    ledger.due = []  # loaded at last
    assert not any(watch.step(NOW + 4002 + s) for s in range(600))


def test_files_due_at_start_are_fired_for_and_an_unreachable_ledger_is_asked_again_soon(
    tmp_path: Path,
) -> None:
    ledger = Ledger()
    ledger.down = True
    _, watch = watch_of(tmp_path, ledger)
    assert watch.step(NOW) == []
    assert watch.step(NOW + 5) == []
    ledger.down = False
    ledger.due = ["data/raw/missed.csv"]  # landed while nothing watched
    assert watch.step(NOW + 10) == ["data/raw/missed.csv"]
    assert ledger.asked == 2


def test_files_moved_in_from_the_landing_zone_are_fired_for_at_once_and_once(
    tmp_path: Path,
) -> None:
    ledger = Ledger()
    raw, watch = watch_of(tmp_path, ledger)
    landed: list[str] = []

    def land() -> list[str]:
        moved = list(landed)
        for name in moved:
            put(raw, name, "id\n1\n", NOW + 1)  # written this very second: whole regardless
        landed.clear()
        return moved

    watch.land = land
    watch.step(NOW)
    landed.append("uploads/a.csv")
    assert watch.step(NOW + 1) == ["data/raw/uploads/a.csv"]
    assert watch.step(NOW + 2) == []
    assert watch.step(NOW + 5) == []  # not again once it has settled


def test_an_unreachable_landing_zone_leaves_the_drop_zone_watched(tmp_path: Path) -> None:
    raw, watch = watch_of(tmp_path, Ledger())

    def land() -> list[str]:
        raise ConnectionError("seaweedfs-s3: connection refused")

    watch.land = land
    put(raw, "orders.csv", "id\n1\n", NOW - 10)
    watch.step(NOW)
    assert watch.step(NOW + 1) == ["data/raw/orders.csv"]
