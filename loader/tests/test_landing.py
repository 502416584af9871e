"""The S3 landing zone (landing.py): objects under landing/ move into data/raw/ whole, under
the drop zone's names, and leave the landing zone; what is not a CSV file stays. pyarrow's
local file system stands in for the object store here (the same FileSystem interface the
loader uses for S3, as the local catalog of conftest.py does); the integration tests
upload to SeaweedFS."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs
import pytest

from lakehouse_loader.landing import Landing, drop_zone_name


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("orders.csv", "orders.csv"),
        ("orders/jan.csv", "orders/jan.csv"),
        ("orders/2026/01/feb.CSV", "orders/2026__01__feb.CSV"),
        ("orders/notes.txt", None),
        ("orders/.jan.csv", None),
        ("orders/~jan.csv", None),
        (".hidden/jan.csv", None),
        ("orders/", None),
    ],
)
def test_where_a_landing_object_goes_in_the_drop_zone(key: str, name: str | None) -> None:
    assert drop_zone_name(key) == name


def test_objects_move_into_the_drop_zone_whole_and_leave_the_landing_zone(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    landing = store / "lakehouse" / "landing"
    (landing / "uploads" / "2026").mkdir(parents=True)
    (landing / "uploads" / "2026" / "a.csv").write_text("id,v\n1,2\n", encoding="utf-8")
    (landing / "events.csv").write_text("id\n7\n", encoding="utf-8")
    (landing / "uploads" / "readme.md").write_text("not data", encoding="utf-8")
    raw = tmp_path / "data" / "raw"
    fs = pafs.SubTreeFileSystem(str(store), pafs.LocalFileSystem())
    moved = Landing(fs, "lakehouse", raw).move()
    assert sorted(moved) == ["events.csv", "uploads/2026__a.csv"]
    assert (raw / "uploads" / "2026__a.csv").read_text(encoding="utf-8") == "id,v\n1,2\n"
    assert (raw / "events.csv").read_text(encoding="utf-8") == "id\n7\n"
    assert sorted(p.name for p in raw.rglob("*")) == ["2026__a.csv", "events.csv", "uploads"]
    assert not (landing / "events.csv").exists()
    assert not (landing / "uploads" / "2026" / "a.csv").exists()
    assert (landing / "uploads" / "readme.md").exists()  # not a CSV file: left there
    assert Landing(fs, "lakehouse", raw).move() == []


def test_no_landing_zone_yet_is_nothing_to_move(tmp_path: Path) -> None:
    (tmp_path / "store" / "lakehouse").mkdir(parents=True)
    fs = pafs.SubTreeFileSystem(str(tmp_path / "store"), pafs.LocalFileSystem())
    assert Landing(fs, "lakehouse", tmp_path / "raw").move() == []
