"""Validation: values checked against their columns' types, rows that become rejects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from loads import DATE, VARCHAR, contract, load, types, write

from lakehouse_loader.formats import NumberFormat
from lakehouse_loader.rejects import Reject
from lakehouse_loader.types import ColumnType
from lakehouse_loader.validate import convert


def test_convert_inferred_types() -> None:
    out = convert(
        pa.array(["1.5", None, " -2 "]),
        ColumnType("decimal", 3, 1),
        numbers=NumberFormat(),
        fmt=None,
        strict=False,
    )
    assert out.values.to_pylist() == [Decimal("1.5"), None, Decimal("-2.0")]
    ts = convert(
        pa.array(["2026-01-03T10:00:00+02:00", "2026-01-03 10:00:00.1234567Z"]),
        ColumnType("timestamp"),
        numbers=NumberFormat(),
        fmt=None,
        strict=False,
    )
    assert ts.values.to_pylist() == [
        dt.datetime(2026, 1, 3, 8, 0),
        dt.datetime(2026, 1, 3, 10, 0, 0, 123456),
    ]


def test_convert_flags_bad_values_with_reasons() -> None:
    out = convert(
        pa.array(["1", "abc", "99999999999999999999", None]),
        ColumnType("bigint"),
        numbers=NumberFormat(),
        fmt=None,
        strict=True,
    )
    assert out.bad is not None
    assert out.bad.to_pylist() == [False, True, True, False]
    assert out.reason("abc") == "'abc' is not an integer"
    assert out.reason("99999999999999999999") == "'99999999999999999999' is out of range for bigint"


def test_contract_boolean_words() -> None:
    out = convert(
        pa.array(["Yes", "n", "1", "0", "maybe"]),
        ColumnType("boolean"),
        numbers=NumberFormat(),
        fmt=None,
        strict=True,
    )
    assert out.values.to_pylist()[:4] == [True, False, True, False]
    assert out.bad is not None
    assert out.bad.to_pylist() == [False, False, False, False, True]


def test_date_format_is_strict() -> None:
    out = convert(
        pa.array(["03/01/2026", "3/1/2026", "31/02/2026", "2026-01-03", "03/01/26"]),
        ColumnType("date"),
        numbers=NumberFormat(),
        fmt="%d/%m/%Y",
        strict=True,
    )
    assert out.values.to_pylist()[:2] == [dt.date(2026, 1, 3), dt.date(2026, 1, 3)]
    assert out.bad is not None
    assert out.bad.to_pylist() == [False, False, True, True, True]
    assert (
        out.reason("2026-01-03") == "'2026-01-03' does not match the format %d/%m/%Y (DD/MM/YYYY)"
    )


# --- rejects of files ----------------------------------------------------------------------


@pytest.mark.usefixtures("reads")
def test_ragged_rows(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"
    plan, table, rejects = load(write(tmp_path, text))
    assert plan.data_rows == 4
    assert table.column("a").to_pylist() == [1, 10]
    assert rejects == [
        Reject(3, "4,5", "expected 3 fields, found 2"),
        Reject(4, "6,7,8,9", "expected 3 fields, found 4"),
    ]


@pytest.mark.usefixtures("reads")
def test_trailing_delimiter_reject_keeps_raw_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,\n1,2,\nx,4,\n")
    _, table, rejects = load(path, contract(tmp_path, "columns: {a: bigint}\nmax_reject_ratio: 1"))
    assert table.num_rows == 1
    assert rejects == [Reject(3, "x,4,", "column a: 'x' is not an integer", "a", "x")]


@pytest.mark.usefixtures("reads")
def test_date_format_from_contract(tmp_path: Path) -> None:
    path = write(tmp_path, "id,day\n1,03/01/2026\n2,2026-01-03\n3,31/01/2026\n4,31/02/2026\n")
    c = contract(tmp_path, 'columns: {day: {type: date, format: "%d/%m/%Y"}}\nmax_reject_ratio: 1')
    plan, table, rejects = load(path, c)
    assert types(plan)["day"] == DATE
    assert plan.partition == ["month(day)"]
    assert table.column("day").to_pylist() == [dt.date(2026, 1, 3), dt.date(2026, 1, 31)]
    assert [(r.line, r.raw, r.reason) for r in rejects] == [
        (
            3,
            "2,2026-01-03",
            "column day: '2026-01-03' does not match the format %d/%m/%Y (DD/MM/YYYY)",
        ),
        (
            5,
            "4,31/02/2026",
            "column day: '31/02/2026' does not match the format %d/%m/%Y (DD/MM/YYYY)",
        ),
    ]


@pytest.mark.usefixtures("reads")
def test_thousands_separator_with_contract(tmp_path: Path) -> None:
    text = "id;amount\n1;1,234.50\n2;12.00\n3;1,234,567.25\n"
    plan, _, _ = load(write(tmp_path, text))
    assert types(plan)["amount"] == VARCHAR
    c = contract(tmp_path, 'thousands_separator: ","\ncolumns: {amount: "decimal(12,2)"}')
    plan, table, rejects = load(write(tmp_path, text), c)
    assert table.column("amount").to_pylist() == [
        Decimal("1234.50"),
        Decimal("12.00"),
        Decimal("1234567.25"),
    ]
    assert rejects == []
    # inferred columns use the separator too
    c = contract(tmp_path, 'thousands_separator: ","')
    plan, table, _ = load(write(tmp_path, text), c)
    assert types(plan)["amount"] == ColumnType("decimal", 9, 2)


@pytest.mark.usefixtures("reads")
def test_required_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "order_id,customer,qty\n1,Ana,2\n,Bo,3\n3,,4\n4,Cy,\n")
    c = contract(
        tmp_path,
        "columns:\n  order_id: {type: bigint, required: true}\n"
        "  Customer: {required: true}\n  qty: {type: bigint}\nmax_reject_ratio: 1",
    )
    plan, table, rejects = load(path, c)
    assert [col.required for col in plan.columns] == [True, True, False]
    assert table.column("order_id").to_pylist() == [1, 4]
    assert table.column("qty").to_pylist() == [2, None]
    assert [(r.line, r.reason) for r in rejects] == [
        (3, "column order_id is required but empty"),
        (4, "column customer is required but empty"),
    ]


@pytest.mark.usefixtures("reads")
def test_contract_types_win_and_reject_what_does_not_fit(tmp_path: Path) -> None:
    path = write(
        tmp_path, "id,price,flag,at\n1,1.5,yes,2026-01-03T10:00:00+02:00\nx,1.234,maybe,soon\n"
    )
    c = contract(
        tmp_path,
        "columns:\n  id: bigint\n  price: decimal(5,2)\n  flag: boolean\n  at: timestamp\n"
        "max_reject_ratio: 1",
    )
    _, table, rejects = load(path, c)
    assert table.to_pylist() == [
        {"id": 1, "price": Decimal("1.50"), "flag": True, "at": dt.datetime(2026, 1, 3, 8, 0)}
    ]
    assert len(rejects) == 1
    assert rejects[0].line == 3
    assert rejects[0].reason == (
        "column id: 'x' is not an integer; column price: '1.234' does not fit decimal(5,2); "
        "column flag: 'maybe' is not a boolean (true/false/t/f/yes/no/y/n/1/0); "
        "column at: 'soon' is not a timestamp in the format YYYY-MM-DD HH:MM:SS"
    )


@pytest.mark.usefixtures("reads")
def test_integers_too_wide_for_a_contract_type_are_rejects(tmp_path: Path) -> None:
    wide = "1234567890" * 4  # 40 digits
    path = write(
        tmp_path,
        f"id,amount\n1,{'9' * 38}\n{2**63},1\n{wide},{wide}\n4,-{'9' * 39}\n",
    )
    c = contract(tmp_path, 'columns:\n  id: bigint\n  amount: "decimal(38,0)"\nmax_reject_ratio: 1')
    _, table, rejects = load(path, c)
    assert table.to_pylist() == [{"id": 1, "amount": Decimal("9" * 38)}]
    assert [(r.line, r.raw, r.reason) for r in rejects] == [
        (3, f"{2**63},1", f"column id: '{2**63}' is out of range for bigint"),
        (
            4,
            f"{wide},{wide}",
            f"column id: '{wide}' is out of range for bigint; "
            f"column amount: '{wide}' does not fit decimal(38,0)",
        ),
        (5, f"4,-{'9' * 39}", f"column amount: '-{'9' * 39}' does not fit decimal(38,0)"),
    ]
