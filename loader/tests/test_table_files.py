"""Rows shaped to their table before the commit (no services needed)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from lakehouse_loader.errors import IngestError
from lakehouse_loader.staging import remove_stale
from lakehouse_loader.table_files import _to_table_schema


@pytest.mark.parametrize(
    ("values", "file_type", "table_type", "expected"),
    [
        # Whole-number amounts in a later file, into the table's decimal column.
        ([12, None], pa.int64(), pa.decimal128(12, 2), [Decimal("12.00"), None]),
        ([3], pa.int64(), pa.float64(), [3.0]),
        ([Decimal("1.5")], pa.decimal128(5, 1), pa.decimal128(7, 2), [Decimal("1.50")]),
        ([date(2026, 1, 31)], pa.date32(), pa.timestamp("us"), [datetime(2026, 1, 31)]),
        ([True], pa.bool_(), pa.string(), ["true"]),
    ],
)  # fmt: skip
def test_a_narrower_type_is_cast_to_the_tables(
    values: list[object], file_type: pa.DataType, table_type: pa.DataType, expected: list[object]
) -> None:
    rows = pa.table({"v": pa.array(values, file_type)})
    shaped = _to_table_schema(rows, pa.schema([pa.field("v", table_type)]), "data/raw/t.csv")
    assert shaped.schema.field("v").type == table_type
    assert shaped.column("v").to_pylist() == expected


def test_a_value_too_large_for_the_tables_decimal_fails_naming_the_column() -> None:
    rows = pa.table({"amount": pa.array([1, 123456], pa.int64())})
    with pytest.raises(IngestError) as caught:
        _to_table_schema(rows, pa.schema([("amount", pa.decimal128(5, 2))]), "data/raw/t.csv")
    message = str(caught.value)
    assert message.startswith("data/raw/t.csv, column amount:")
    assert "none of the file's rows were committed" in message and "Fix:" in message


def test_columns_follow_the_table_and_a_missing_one_is_null() -> None:
    rows = pa.table({"b": pa.array(["x", "y"]), "a": pa.array([1, 2])})
    target = pa.schema([("a", pa.int64()), ("c", pa.string()), ("b", pa.string())])
    shaped = _to_table_schema(rows, target, "data/raw/t.csv")
    assert shaped.column_names == ["a", "c", "b"]
    assert shaped.column("c").to_pylist() == [None, None]
    assert shaped.column("b").to_pylist() == ["x", "y"]


def test_staging_folders_of_killed_loads_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])  # a process that is gone once waited for
    dead.wait()
    stale = tmp_path / f"lakehouse-load-{dead.pid}-abc"
    live = tmp_path / f"lakehouse-load-{os.getpid()}-def"
    other = tmp_path / "something-else"
    for folder in (stale, live, other):
        folder.mkdir()
    remove_stale()
    assert not stale.exists()
    assert live.exists()
    assert other.exists()
