"""The drop zone's rule: which files under data/raw/ are CSV files to load.

tests/unit/drop-zone.test.ts runs this listing and the CLI's on one tree and compares.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse_loader.__main__ import main
from lakehouse_loader.drop_zone import csv_files, is_csv_name, listing


@pytest.mark.parametrize(
    ("name", "loads"),
    [
        ("orders.csv", True),
        ("ORDERS.CSV", True),
        ("Orders.Csv", True),
        ("é.csv", True),
        ("orders.txt", False),
        ("orders.csv.partial", False),
        (".orders.csv", False),  # hidden
        (".#orders.csv", False),  # Emacs's lock
        ("~$orders.csv", False),  # Office's lock
        ("orders.c\u017fv", False),  # long s is not s, whatever its upper case
    ],
)
def test_names(name: str, loads: bool) -> None:
    assert is_csv_name(name) is loads


def _tree(raw: Path, files: list[str]) -> None:
    for file in files:
        (raw / file).parent.mkdir(parents=True, exist_ok=True)
        (raw / file).write_text("a\n1\n")


def test_one_folder_deep_visible_files_in_code_point_order(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _tree(
        raw,
        [
            "b.CSV",
            "a.csv",
            "a/b.csv",
            "a/c/d.csv",  # too deep
            ".git/x.csv",  # a hidden folder
            "~old/x.csv",
            "😀.csv",
            "ﬀ.csv",
        ],
    )
    (raw / "link.csv").symlink_to(raw / "a.csv")
    (raw / "broken.csv").symlink_to(raw / "missing.csv")
    assert listing(raw) == ["a.csv", "a/b.csv", "b.CSV", "link.csv", "ﬀ.csv", "😀.csv"]
    assert csv_files(raw) == [raw / name for name in listing(raw)]


def test_no_drop_zone_lists_nothing(tmp_path: Path) -> None:
    assert listing(tmp_path / "raw") == []


def test_list_command_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(tmp_path / "raw", ["x.csv", "t/y.CSV", ".z.csv"])
    assert main(["list", "--raw-dir", str(tmp_path / "raw")]) == 0
    assert json.loads(capsys.readouterr().out) == ["t/y.CSV", "x.csv"]
