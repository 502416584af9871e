"""Type inference and conversion of text columns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from lakehouse_loader._values import Inference, NumberFormat, convert
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
