"""The drop zone's arrivals (arrivals.py): a file is fired for once it is complete, once
per content, and not again after a restart."""

from __future__ import annotations

import os
from pathlib import Path

from lakehouse_loader.arrivals import Arrivals

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
