"""A table's schema for a load: new tables, added and widened columns (no services needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyiceberg import types as t
from pyiceberg.schema import Schema
from pyiceberg.types import IcebergType, NestedField

from lakehouse_loader.contract import parse_partition
from lakehouse_loader.errors import IngestError
from lakehouse_loader.plan import Column, FilePlan
from lakehouse_loader.sources import table_for
from lakehouse_loader.table_schema import (
    held_to_table,
    lineage_types,
    new_table,
    plan_change,
    promotion,
    widens,
)
from lakehouse_loader.types import KINDS, ColumnType, parse_type


def _schema(**columns: IcebergType) -> Schema:
    return Schema(
        *(
            NestedField(i, name, kind, required=False)
            for i, (name, kind) in enumerate(columns.items(), start=1)
        )
    )


@pytest.mark.parametrize(
    ("file_type", "table_type"),
    [
        ("bigint", t.LongType()),
        ("bigint", t.DecimalType(38, 2)),
        ("bigint", t.DoubleType()),
        ("decimal(5,2)", t.DecimalType(12, 2)),
        ("decimal(5,2)", t.DoubleType()),
        ("date", t.TimestampType()),
        ("boolean", t.StringType()),
        ("timestamp", t.StringType()),
    ],
)
def test_widening_that_keeps_every_value(file_type: str, table_type: IcebergType) -> None:
    assert widens(parse_type(file_type), table_type)


@pytest.mark.parametrize(
    ("file_type", "table_type"),
    [
        ("varchar", t.LongType()),
        ("double", t.LongType()),
        ("decimal(5,3)", t.DecimalType(12, 2)),
        ("decimal(30,2)", t.DecimalType(12, 2)),
        ("timestamp", t.DateType()),
        ("boolean", t.LongType()),
    ],
)
def test_changes_that_could_lose_values_are_refused(
    file_type: str, table_type: IcebergType
) -> None:
    assert not widens(parse_type(file_type), table_type)


@pytest.mark.parametrize(
    ("file_type", "table_type", "wider"),
    [
        ("bigint", t.IntegerType(), t.LongType()),
        ("double", t.FloatType(), t.DoubleType()),
        ("decimal(7,2)", t.DecimalType(5, 2), t.DecimalType(7, 2)),
        # More integer digits and fewer decimals: wide enough for both, the table's scale.
        ("decimal(6,1)", t.DecimalType(5, 2), t.DecimalType(7, 2)),
        # Iceberg cannot change a decimal's scale, nor go past 38 digits.
        ("decimal(6,3)", t.DecimalType(6, 2), None),
        ("decimal(38,0)", t.DecimalType(10, 2), None),
        ("varchar", t.LongType(), None),
    ],
)
def test_promotions_are_the_ones_iceberg_allows(
    file_type: str, table_type: IcebergType, wider: IcebergType | None
) -> None:
    assert promotion(parse_type(file_type), table_type) == wider


def test_new_columns_are_added_and_narrower_types_accepted() -> None:
    existing = _schema(id=t.LongType(), amount=t.DecimalType(12, 2))
    columns = [("id", parse_type("bigint")), ("amount", parse_type("bigint"))]
    change = plan_change(existing, [*columns, ("channel", parse_type("varchar"))], "t", "f.csv")
    assert change.add_columns == [("channel", t.StringType())]
    assert change.widen_columns == []
    assert plan_change(existing, columns, "t", "f.csv").__bool__() is False


def test_an_incompatible_type_names_the_file_column_and_fix() -> None:
    with pytest.raises(IngestError) as caught:
        plan_change(
            _schema(id=t.LongType()), [("id", parse_type("varchar"))], "orders", "data/raw/o/m.csv"
        )
    message = str(caught.value)
    assert message.startswith("data/raw/o/m.csv, column id:")
    assert "holds varchar values, but table orders stores it as bigint" in message
    assert "Fix:" in message


def test_a_decimal_needing_more_digits_widens_the_column() -> None:
    existing = _schema(price=t.DecimalType(5, 2))
    change = plan_change(existing, [("price", parse_type("decimal(6,1)"))], "t", "f.csv")
    assert change.widen_columns == [("price", t.DecimalType(7, 2))]


def test_a_new_table_has_the_files_columns_then_the_lineage_and_its_partitions() -> None:
    columns = [(kind, ColumnType(kind)) for kind in KINDS if kind != "decimal"]
    columns.append(("amount", ColumnType("decimal", 12, 2)))
    schema, spec = new_table(columns, ["month(date)", "bucket(16, bigint)", "varchar"])
    assert [f.name for f in schema.fields] == [name for name, _ in columns] + list(lineage_types())
    assert [f.field_id for f in schema.fields] == list(range(1, len(columns) + 3))
    assert schema.find_type("amount") == t.DecimalType(12, 2)
    assert schema.find_type("_ingested_at") == t.TimestamptzType()
    assert [(f.name, str(f.transform)) for f in spec.fields] == [
        ("date_month", "month"),
        ("bigint_bucket", "bucket[16]"),
        ("varchar", "identity"),
    ]


def test_every_partition_transform_a_contract_allows_makes_a_spec() -> None:
    for text in ("month(d)", "year(d)", "day(d)", "hour(d)", "bucket(16, d)", "truncate(4, d)"):
        assert parse_partition(text) is not None
        _, spec = new_table([("d", ColumnType("timestamp"))], [text])
        assert len(spec.fields) == 1


def test_table_names_come_from_the_file_or_its_folder(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "Sales 2026").mkdir(parents=True)
    assert table_for(raw / "orders.csv", raw) == "orders"
    assert table_for(raw / "Sales 2026" / "jan.csv", raw) == "sales_2026"


def _plan(**types: str) -> FilePlan:
    columns = [
        Column(name, name, parse_type(kind), required=False, position=i)
        for i, (name, kind) in enumerate(types.items())
    ]
    positions = tuple(range(len(columns)))
    return FilePlan(Path("f.csv"), "utf-8", ",", columns, 1, [], direct_cast=positions)


def test_the_table_holds_the_file_to_its_types_where_values_may_not_fit() -> None:
    table = _schema(
        id=t.LongType(),
        price=t.DecimalType(6, 1),
        total=t.DecimalType(12, 2),
        day=t.TimestampType(),
    )
    plan = _plan(id="varchar", price="decimal(3,2)", total="bigint", day="date", extra="varchar")
    held = held_to_table(plan, table)
    pinned = {c.name: (c.type.trino(), c.from_contract) for c in held.columns}
    assert pinned == {
        # Text in a bigint column, more decimals than the table's, whole numbers into a
        # decimal: read as the table's type, values that do not fit are rejects.
        "id": ("bigint", True),
        "price": ("decimal(6,1)", True),
        "total": ("decimal(12,2)", True),
        # Every date fits a timestamp; a column the table lacks is added.
        "day": ("date", False),
        "extra": ("varchar", False),
    }
    assert held.direct_cast == (3, 4)


def test_values_the_table_can_widen_for_are_not_held_to_its_type() -> None:
    plan = _plan(price="decimal(7,2)")
    assert held_to_table(plan, _schema(price=t.DecimalType(5, 2))) is plan
    assert held_to_table(plan, None) is plan
