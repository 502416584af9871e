"""Schema-change decisions of the registration stage (no services needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse_loader.errors import IngestError
from lakehouse_loader.ingest import table_for
from lakehouse_loader.register import plan_change, widens


@pytest.mark.parametrize(
    ("file_type", "table_type"),
    [
        ("bigint", "bigint"),
        ("bigint", "decimal(38,2)"),
        ("bigint", "double"),
        ("decimal(5,2)", "decimal(12,2)"),
        ("decimal(5,2)", "double"),
        ("date", "timestamp(6)"),
        ("boolean", "varchar"),
        ("timestamp(6)", "varchar"),
    ],
)
def test_widening_that_keeps_every_value(file_type: str, table_type: str) -> None:
    assert widens(file_type, table_type)


@pytest.mark.parametrize(
    ("file_type", "table_type"),
    [
        ("varchar", "bigint"),
        ("double", "bigint"),
        ("decimal(5,3)", "decimal(12,2)"),
        ("decimal(30,2)", "decimal(12,2)"),
        ("timestamp(6)", "date"),
        ("boolean", "bigint"),
    ],
)
def test_changes_that_could_lose_values_are_refused(file_type: str, table_type: str) -> None:
    assert not widens(file_type, table_type)


def test_a_new_table_is_created() -> None:
    change = plan_change(None, [("a", "bigint")], "t", "data/raw/t.csv")
    assert change.create and change.add_columns == []
    assert change.widen_columns == []


def test_new_columns_are_added_and_narrower_types_accepted() -> None:
    existing = {"id": "bigint", "amount": "decimal(12,2)"}
    change = plan_change(
        existing, [("id", "bigint"), ("amount", "bigint"), ("channel", "varchar")], "t", "f.csv"
    )
    assert change.add_columns == [("channel", "varchar")]
    assert change.widen_columns == []


def test_an_incompatible_type_names_the_file_column_and_fix() -> None:
    with pytest.raises(IngestError) as caught:
        plan_change({"id": "bigint"}, [("id", "varchar")], "orders", "data/raw/orders/may.csv")
    message = str(caught.value)
    assert message.startswith("data/raw/orders/may.csv, column id:")
    assert "holds varchar values, but table orders stores it as bigint" in message
    assert "Fix:" in message


def test_table_names_come_from_the_file_or_its_folder(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "Sales 2026").mkdir(parents=True)
    assert table_for(raw / "orders.csv", raw) == "orders"
    assert table_for(raw / "Sales 2026" / "jan.csv", raw) == "sales_2026"


def test_a_decimal_needing_more_digits_widens_the_column_in_place() -> None:
    change = plan_change({"price": "decimal(5,2)"}, [("price", "decimal(7,2)")], "t", "f.csv")
    assert change.widen_columns == [("price", "decimal(7,2)")]


def test_a_wider_decimal_with_fewer_decimals_widens_to_keep_both() -> None:
    change = plan_change({"price": "decimal(5,2)"}, [("price", "decimal(6,1)")], "t", "f.csv")
    assert change.widen_columns == [("price", "decimal(7,2)")]
