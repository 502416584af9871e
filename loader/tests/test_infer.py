"""Type inference: of a column's values (Inference), and of files' columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from loads import BIGINT, VARCHAR, disproved, load, types, write

from lakehouse_loader.formats import NumberFormat
from lakehouse_loader.infer import Inference
from lakehouse_loader.types import ColumnType


def infer(*batches: list[str | None], numbers: NumberFormat | None = None) -> ColumnType:
    state = Inference(numbers=numbers or NumberFormat())
    for values in batches:
        state.update(pa.array(values, pa.string()))
    return state.result()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["true", "FALSE", "True", None], ColumnType("boolean")),
        (["yes", "no"], ColumnType("varchar")),
        (["1", "-2", "+3", "0"], ColumnType("bigint")),
        (["9223372036854775807"], ColumnType("bigint")),
        (["9223372036854775808"], ColumnType("decimal", 19, 0)),
        (["007", "12"], ColumnType("varchar")),  # leading zeros: codes, not numbers
        (["1.5", "-22.25", "3"], ColumnType("decimal", 4, 2)),
        ([".5", "0.125"], ColumnType("decimal", 3, 3)),
        (["1.1234567891"], ColumnType("double")),  # scale 10 > 9
        (["1" * 30 + ".12345678"], ColumnType("decimal", 38, 8)),
        (["1" * 31 + ".12345678"], ColumnType("double")),  # precision 39
        # Integers beyond bigint: decimal(p,0) up to 38 digits, text beyond (never double).
        (["9" * 19, "1"], ColumnType("decimal", 19, 0)),
        (["9" * 38, "-" + "9" * 38], ColumnType("decimal", 38, 0)),
        (["1" + "0" * 38], ColumnType("varchar")),  # 39 digits
        (["1", "-" + "9" * 40], ColumnType("varchar")),
        ([" +" + "4" * 40 + " "], ColumnType("varchar")),  # decided by the regexes
        (["1" * 39 + ".5"], ColumnType("varchar")),
        (["1e3", "2.5", "-1.5E-7"], ColumnType("double")),
        (["nan", "1.0"], ColumnType("varchar")),
        (["2026-01-03", "2025-12-31"], ColumnType("date")),
        (["2026-02-30"], ColumnType("varchar")),
        (["2026-01-03", "2026-01-03T10:11:12.123456"], ColumnType("timestamp")),
        (["2026-01-03 10:11", "2026-01-03T10:11:12Z"], ColumnType("varchar")),  # mixed offsets
        (["03/01/2026", "04/01/2026"], ColumnType("varchar")),
        (["2026-01-03", "03/01/2026"], ColumnType("varchar")),
        (["1", "abc"], ColumnType("varchar")),
        ([None, "", "   "], ColumnType("varchar")),
        ([" 12 ", "13"], ColumnType("bigint")),
        # Decimals a plain cast decides (the fast path) come to what the rules say.
        (["00.5"], ColumnType("varchar")),
        (["-05.5", "1.5"], ColumnType("varchar")),
        (["0.5", "-0.5"], ColumnType("decimal", 1, 1)),
        (["+1.5"], ColumnType("decimal", 2, 1)),
        (["5.", "10.25"], ColumnType("decimal", 4, 2)),
        (["99999999.999999999"], ColumnType("decimal", 17, 9)),  # a float rounds it to 1e8
        (["999999999999999.5", "-1"], ColumnType("decimal", 16, 1)),
    ],
)
def test_inference(values: list[str | None], expected: ColumnType) -> None:
    assert infer(values) == expected


def test_inference_uses_all_batches() -> None:
    assert infer(["1", "2"], ["3"]) == ColumnType("bigint")
    assert infer(["1", "2"], ["x"]) == ColumnType("varchar")
    assert infer(["1", "2"], ["2.50"]) == ColumnType("decimal", 3, 2)
    assert infer([None], [None, "2026-01-01"]) == ColumnType("date")


def test_thousands_separator_only_when_declared() -> None:
    assert infer(["1,234.50", "12.00"]) == ColumnType("varchar")
    grouped = NumberFormat(thousands=",")
    assert infer(["1,234.50", "12.00"], numbers=grouped) == ColumnType("decimal", 6, 2)
    assert infer(["1,234", "1,234,567"], numbers=grouped) == ColumnType("bigint")
    assert infer(["12,34"], numbers=grouped) == ColumnType("varchar")


@pytest.mark.parametrize(
    ("first", "later", "converted"),
    [
        (["12", "3"], ["45", None, "-6"], [45, None, -6]),
        (["12", "3"], ["007"], None),  # would be text
        (["12", "3"], ["-0"], None),
        (
            ["1.5", "22.25"],
            ["3.5", "-0.25", "7"],
            [Decimal("3.50"), Decimal("-0.25"), Decimal("7.00")],
        ),
        (["1.5", "22.25"], ["1.230"], None),  # three places, though the cast would drop one
        (["1.5", "22.25"], ["123.5"], None),  # precision 5
        (["1.5", "22.25"], ["+1.5"], None),  # decided by the regexes
        (["1.5", "22.25"], ["1e1"], None),  # double
        (["1.5", "22.25"], ["05.5"], None),  # text
        (["2026-01-03"], ["2026-02-01"], [dt.date(2026, 2, 1)]),
        (["2026-01-03"], ["2026-02-01 10:00"], None),  # timestamp
        (["2026-01-03 10:00"], ["2026-02-01"], [dt.datetime(2026, 2, 1)]),
        (["2026-01-03 10:00+01:00"], ["2026-02-01 10:00"], None),  # offsets mixed: text
        (["true", "false"], ["TRUE", "False"], [True, False]),
        (["true", "false"], [" true"], None),
        (["a"], ["b"], None),  # text needs no conversion
    ],
)
def test_a_later_batch_is_converted_only_when_it_cannot_change_the_type(
    first: list[str | None], later: list[str | None], converted: list[object] | None
) -> None:
    state = Inference()
    state.update(pa.array(first, pa.string()))
    ctype = state.result()
    values = state.cast_within(pa.array(later, pa.string()), ctype)
    assert (values.to_pylist() if values is not None else None) == converted
    if values is not None:  # then updating could not have changed the type indeed
        state.update(pa.array(later, pa.string()))
        assert state.result() == ctype


# --- inference on files --------------------------------------------------------------------


@pytest.mark.usefixtures("reads")
def test_all_null_column_is_varchar(tmp_path: Path) -> None:
    plan, table, _ = load(write(tmp_path, "id,empty\n1,\n2,\n"))
    assert types(plan)["empty"] == VARCHAR
    assert table.column("empty").to_pylist() == [None, None]


@pytest.mark.usefixtures("reads")
def test_mixed_types_are_varchar_without_rejects(tmp_path: Path) -> None:
    plan, table, rejects = load(write(tmp_path, "v\n1\n2.5\nabc\n2026-01-01\ntrue\n"))
    assert types(plan)["v"] == VARCHAR
    assert rejects == []
    assert table.column("v").to_pylist() == ["1", "2.5", "abc", "2026-01-01", "true"]


@pytest.mark.usefixtures("reads")
def test_mixed_date_formats_without_contract_are_text(tmp_path: Path) -> None:
    path = write(tmp_path, "id,day\n1,2026-01-03\n2,03/01/2026\n3,2026/01/03\n")
    plan, table, rejects = load(path)
    assert types(plan)["day"] == VARCHAR
    assert plan.partition == []
    assert rejects == []
    assert table.column("day").to_pylist() == ["2026-01-03", "03/01/2026", "2026/01/03"]


@pytest.mark.usefixtures("reads")
def test_inferred_columns_never_reject(tmp_path: Path) -> None:
    text = (
        "i,d,t,b\n"
        " 1 ,.5,2026-01-03T10,true\n"
        "+2,-.5,2026-01-03 10:00:00.5,TRUE\n"
        "-0,5.,2026-01-03,False\n"
        ",,,\n"
        "3,1.25,2026-01-04T10:00:00.1234567,tRuE\n"
    )
    plan, table, rejects = load(write(tmp_path, text))
    assert types(plan) == {
        "i": BIGINT,
        "d": ColumnType("decimal", 3, 2),
        "t": ColumnType("timestamp"),
        "b": ColumnType("boolean"),
    }
    assert rejects == []
    assert plan.data_rows == 4
    assert table.column("i").to_pylist() == [1, 2, 0, 3]
    assert table.column("b").to_pylist() == [True, True, False, True]
    assert table.column("t").to_pylist()[3] == dt.datetime(2026, 1, 4, 10, 0, 0, 123456)


WIDE = "1234567890" * 4  # 40 digits


def test_integers_beyond_bigint_keep_every_digit(
    tmp_path: Path, reads: str, first_block_size: int
) -> None:
    """19 to 38 digits are decimal(p,0), more are text: exact values either way, also when
    wider ones come far beyond the first block (of 64 KB: the one read is disproved)."""
    rows = [f"{i},{i},{i},{i}" for i in range(20_000)]
    rows[1] = f"1,{'9' * 19},{'-' + '9' * 38},1"
    rows[15_000] = f"15000,{10**25},{'1' * 38},{WIDE}"
    rows[15_001] = f"15001,{2**63},-1,-{WIDE}1"
    text = "id,a,b,c\n" + "\n".join(rows) + "\n"
    plan, table, rejects = load(write(tmp_path, text))
    if reads == "one read":
        assert (disproved[0] is not None) == (first_block_size < len(text))
    assert types(plan) == {
        "id": BIGINT,
        "a": ColumnType("decimal", 26, 0),
        "b": ColumnType("decimal", 38, 0),
        "c": VARCHAR,
    }
    assert rejects == []
    values = table.to_pylist()
    assert values[1] == {"id": 1, "a": Decimal("9" * 19), "b": Decimal("-" + "9" * 38), "c": "1"}
    assert values[15_000] == {
        "id": 15_000,
        "a": Decimal(10**25),
        "b": Decimal("1" * 38),
        "c": WIDE,
    }
    assert values[15_001] == {"id": 15_001, "a": Decimal(2**63), "b": Decimal(-1), "c": f"-{WIDE}1"}
    assert values[7] == {"id": 7, "a": Decimal(7), "b": Decimal(7), "c": "7"}
