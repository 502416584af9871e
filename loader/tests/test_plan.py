"""The plan: which columns a file has, header-only files, the partition."""

from __future__ import annotations

from pathlib import Path

import pytest
from loads import VARCHAR, contract, error_of, load, types, write

pytestmark = pytest.mark.usefixtures("reads")


def test_trailing_delimiter_drops_the_empty_column(tmp_path: Path) -> None:
    plan, table, _ = load(write(tmp_path, "a,b,\n1,2,\n3,4,\n"))
    assert [c.name for c in plan.columns] == ["a", "b"]
    assert table.to_pylist() == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    # With a value under the empty header, the column stays.
    plan, table, _ = load(write(tmp_path, "a,b,\n1,2,\n3,4,x\n", "kept.csv"))
    assert [c.name for c in plan.columns] == ["a", "b", "column_3"]
    assert table.column("column_3").to_pylist() == [None, "x"]


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n")
    plan, table, _ = load(path)
    assert plan.data_rows == 0
    assert table.num_rows == 0
    assert types(plan) == {"id": VARCHAR, "name": VARCHAR}
    message = error_of(path, contract(tmp_path, "require_rows: true"))
    assert "the file has a header but no data rows" in message
    assert "Fix: " in message


def test_contract_partition(tmp_path: Path) -> None:
    path = write(tmp_path, "Order Date,Region\n2026-01-03,eu\n")
    plan, _, _ = load(path, contract(tmp_path, 'partition: ["day(order_date)", "Region"]'))
    assert plan.partition == ["day(order_date)", "region"]
    message = error_of(path, contract(tmp_path, 'partition: ["month(region)"]'))
    assert "needs a date or timestamp column, but region is varchar" in message
    plan, _, _ = load(path, contract(tmp_path, "partition: []"))
    assert plan.partition == []
