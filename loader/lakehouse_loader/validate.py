"""Validation: where a value is checked against its column, and a row becomes a reject.

Every value of a typed column is converted with the rules of ``formats`` (:func:`convert`,
vectorized over a whole block); a row with a value that does not fit its column's type,
an empty required value, or the wrong number of fields becomes a :class:`~.rejects.Reject`
with its physical line, its raw text and the reason for each bad value
(``column qty: 'x' is not an integer``). Python loops run only over the rejected rows.

Contract types are strict: a value that does not fit is a reject. Inferred types never
reject: the inference saw every value (``strict=False``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from .formats import (
    CONTRACT_FALSE_WORDS,
    CONTRACT_TRUE_WORDS,
    DATE_RE,
    FALSE_WORDS,
    NAN_INF_RE,
    TRUE_WORDS,
    TS_RE,
    NumberFormat,
    blank_to_null,
    cast_iso_timestamps,
    digits_and_scale,
)
from .rejects import Reject
from .types import ColumnType

if TYPE_CHECKING:
    from .csv_reader import InvalidRow
    from .plan import FilePlan

__all__ = ["Checked", "Converted", "check_values", "convert", "wrong_field_count"]


def _cast_collecting_failures(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[int]]:
    """Cast, and where single values cannot be cast, null them and return their positions."""
    return _convert_collecting_failures(values, lambda chunk: pc.cast(chunk, target), target)


def _convert_collecting_failures(
    values: pa.Array, convert: Callable[[pa.Array], pa.Array], target: pa.DataType
) -> tuple[pa.Array, list[int]]:
    """Convert, and where single values cannot be converted, null them and return their
    positions.

    The regexes run first, so failures are rare (a 30th of February, an int64 overflow);
    they are found by bisection, a few conversions per bad value instead of a Python loop.
    """
    failures: list[int] = []
    pieces: list[pa.Array] = []

    def solve(offset: int, chunk: pa.Array) -> None:
        try:
            pieces.append(convert(chunk))
            return
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        if len(chunk) == 1:
            failures.append(offset)
            pieces.append(pa.nulls(1, target))
            return
        half = len(chunk) // 2
        solve(offset, chunk.slice(0, half))
        solve(offset + half, chunk.slice(half))

    solve(0, values)
    return pa.concat_arrays(pieces), failures


@dataclass(frozen=True)
class Converted:
    """A converted column: values (null where bad) and the positions of bad values."""

    values: pa.Array
    bad: pa.Array | None  # boolean mask, true where the value cannot be converted
    reason: Callable[[str], str]  # the raw value -> why it was rejected


def _mask_from_positions(length: int, positions: list[int]) -> pa.Array:
    flags = [False] * length
    for p in positions:
        flags[p] = True
    return pa.array(flags, pa.bool_())


def _or(a: pa.Array | None, b: pa.Array | None) -> pa.Array | None:
    if a is None:
        return b
    if b is None:
        return a
    return pc.or_(a, b)


def _strftime_codes_to_words(fmt: str) -> str:
    words = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MI", "%S": "SS", "%y": "YY"}
    for code, word in words.items():
        fmt = fmt.replace(code, word)
    return fmt


def _pad_single_digits(values: pa.Array) -> pa.Array:
    # "3/1/2026" -> "03/01/2026", so that unpadded days and months round-trip through strftime.
    for _ in range(2):
        values = pc.replace_substring_regex(values, r"(^|\D)(\d)(\D|$)", r"\10\2\3")
    return values


def convert(
    column: pa.Array,
    ctype: ColumnType,
    *,
    numbers: NumberFormat,
    fmt: str | None,
    strict: bool,
    direct: bool = False,
) -> Converted:
    """Convert one text column to ``ctype``.

    strict=True is for contract types (the values must fit, bad ones become rejects);
    strict=False for inferred types, where the inference already saw every value.
    direct=True: every value is known to cast as it is (see ``Inference.direct``).
    """
    if ctype.kind == "varchar":
        return Converted(column, None, lambda v: "")
    if direct:
        # Pass 1 cast every value of this column already: nothing can fail here.
        if column.type == ctype.arrow():
            return Converted(column, None, lambda v: "")  # converted by the CSV reader
        if ctype.kind == "boolean":
            return Converted(pc.equal(pc.utf8_lower(column), "true"), None, lambda v: "")
        return Converted(pc.cast(column, ctype.arrow()), None, lambda v: "")
    values = blank_to_null(column)
    kind = ctype.kind
    arrow_type = ctype.arrow()
    null = pa.scalar(None, pa.string())
    if kind == "boolean":
        trues = CONTRACT_TRUE_WORDS if strict else TRUE_WORDS
        falses = CONTRACT_FALSE_WORDS if strict else FALSE_WORDS
        lower = pc.utf8_lower(values)
        ok = pc.is_in(lower, value_set=pa.array(trues + falses))
        out = pc.if_else(
            ok, pc.is_in(lower, value_set=pa.array(trues)), pa.scalar(None, pa.bool_())
        )
        bad = pc.and_not(pc.is_valid(values), ok)
        words = "/".join(f"{t}/{f}" for t, f in zip(trues, falses, strict=True))
        return Converted(out, bad, lambda v: f"{v!r} is not a boolean ({words})")

    if kind in ("bigint", "decimal", "double"):
        int_re, dec_re, dbl_re = numbers.patterns(strict_zeros=False)
        pattern = {"bigint": int_re, "decimal": dec_re, "double": dbl_re}[kind]
        ok = pc.match_substring_regex(values, pattern)
        if kind == "double":
            ok = pc.or_(ok, pc.match_substring_regex(values, NAN_INF_RE))
        normalized = pc.if_else(ok, numbers.normalize(values), null)
        fit: pa.Array | None = None
        if kind == "decimal":
            assert ctype.precision is not None and ctype.scale is not None
            int_digits, scale = digits_and_scale(normalized)
            fit = pc.and_(
                pc.less_equal(int_digits, ctype.precision - ctype.scale),
                pc.less_equal(scale, ctype.scale),
            )
            fit = pc.fill_null(fit, True)
            normalized = pc.if_else(fit, normalized, null)
        out, failures = _cast_collecting_failures(normalized, arrow_type)
        bad = pc.and_not(pc.is_valid(values), pc.fill_null(ok, False))
        if fit is not None:
            bad = pc.or_(bad, pc.invert(fit))
        if failures:
            bad = pc.or_(bad, _mask_from_positions(len(values), failures))

        def number_reason(v: str) -> str:
            word = {"bigint": "an integer", "decimal": "a decimal number", "double": "a number"}
            if not re.match(pattern, v.strip()) and not (
                kind == "double" and re.match(r"(?i)^[+-]?(nan|inf|infinity)$", v.strip())
            ):
                return f"{v!r} is not {word[kind]}"
            if kind == "bigint":
                return f"{v!r} is out of range for bigint"
            return f"{v!r} does not fit {ctype.trino()}"

        return Converted(out, bad, number_reason)

    # date and timestamp
    if fmt is not None:
        unit = "s" if kind == "date" else "us"
        parsed = pc.strptime(values, format=fmt, unit=unit, error_is_null=True)
        round_trip = pc.strftime(parsed, format=fmt)
        ok = pc.fill_null(pc.equal(round_trip, _pad_single_digits(values)), False)
        parsed = pc.if_else(ok, parsed, pa.scalar(None, parsed.type))
        out = pc.cast(parsed, arrow_type)
        bad = pc.and_not(pc.is_valid(values), ok)
        shown = _strftime_codes_to_words(fmt)
        return Converted(out, bad, lambda v: f"{v!r} does not match the format {fmt} ({shown})")

    pattern = DATE_RE if kind == "date" else TS_RE
    ok = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    candidates = pc.if_else(ok, values, null)
    if kind == "date":
        out, failures = _cast_collecting_failures(candidates, pa.date32())
    else:
        out, failures = _convert_collecting_failures(
            candidates, cast_iso_timestamps, pa.timestamp("us")
        )
    bad = pc.and_not(pc.is_valid(values), ok)
    if failures:
        bad = pc.or_(bad, _mask_from_positions(len(values), failures))
    expected = "YYYY-MM-DD" if kind == "date" else "YYYY-MM-DD HH:MM:SS"

    def temporal_reason(v: str) -> str:
        if re.match(pattern, v.strip()):
            return f"{v!r} is not a valid {kind}"
        return f"{v!r} is not a {kind} in the format {expected}"

    return Converted(out, bad, temporal_reason)


def _any_true(mask: pa.Array | None) -> bool:
    return mask is not None and bool(pc.any(mask).as_py())


def _combine(masks: list[pa.Array | None]) -> pa.Array | None:
    result: pa.Array | None = None
    for m in masks:
        result = _or(result, m)
    return result


@dataclass(frozen=True)
class Checked:
    """A block's columns checked against their types."""

    values: list[pa.Array]  # each column converted to its type, null where a value is bad
    rejected: pa.Array | None  # true for the rows rejected; None: no row is
    rejects: list[tuple[int, Reject]]  # (row in the block, its reject), in row order


def check_values(
    columns: list[pa.Array],
    plan: FilePlan,
    numbers: NumberFormat,
    blank: pa.Array,
    direct: Collection[int],
    line_of_row: Callable[[int], int],
) -> Checked:
    """Converts the block's text `columns` (those of plan.columns, in order) to their
    types; the rows with a bad value or an empty required one, except `blank` rows, become
    rejects on the line `line_of_row` gives. `direct`: the positions whose text casts as
    it is."""
    converted: list[pa.Array] = []
    bad_masks: list[pa.Array | None] = []
    reasons: list[Any] = []
    for k, col in enumerate(plan.columns):
        conv = convert(
            columns[k],
            col.type,
            numbers=numbers,
            fmt=col.format,
            strict=col.from_contract,
            direct=col.position in direct,
        )
        converted.append(conv.values)
        bad = conv.bad
        if col.required:
            empty = (
                pc.is_null(conv.values) if col.type.kind != "varchar" else pc.is_null(columns[k])
            )
            bad = empty if bad is None else pc.or_(bad, empty)
        bad_masks.append(bad)
        reasons.append(conv.reason)
    reject_mask = _combine(bad_masks)
    if reject_mask is not None:
        reject_mask = pc.and_not(pc.fill_null(reject_mask, False), blank)
    if not _any_true(reject_mask):
        return Checked(converted, None, [])
    assert reject_mask is not None
    rejects: list[tuple[int, Reject]] = []
    bad_index = pc.indices_nonzero(reject_mask)
    bad_rows = bad_index.to_pylist()
    # Only the rejected rows go to Python, a column at a time.
    raw_values = [columns[k].take(bad_index).to_pylist() for k in range(len(plan.columns))]
    bad_flags = [m.take(bad_index).to_pylist() if m is not None else None for m in bad_masks]
    for i, row in enumerate(bad_rows):
        texts = [_text(values[i]) for values in raw_values]
        why = []
        first: tuple[str, str | None] | None = None
        for k, col in enumerate(plan.columns):
            flags = bad_flags[k]
            if flags is None or not flags[i]:
                continue
            value = texts[k]
            if value is None or (col.type.kind != "varchar" and not value.strip()):
                why.append(f"column {col.name} is required but empty")
                value = None
            else:
                why.append(f"column {col.name}: {reasons[k](value)}")
            first = first or (col.name, value)
        column, value = first if first is not None else (None, None)
        line, raw = line_of_row(row), _raw_text(plan, texts)
        rejects.append((row, Reject(line, raw, "; ".join(why), column, value)))
    return Checked(converted, reject_mask, rejects)


def wrong_field_count(line: int, row: InvalidRow) -> Reject:
    """The reject of a row the reader skipped for its number of fields."""
    return Reject(line, row.text, f"expected {row.expected} fields, found {row.actual}")


def _text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


def _quote(value: str | None, delimiter: str) -> str:
    if value is None:
        return ""
    if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _raw_text(plan: FilePlan, texts: list[str | None]) -> str:
    """The fields of a row re-joined with the delimiter, dropped empty columns included."""
    by_position: dict[int, str | None] = {c.position: texts[k] for k, c in enumerate(plan.columns)}
    fields = [_quote(by_position.get(i), plan.delimiter) for i in range(plan.field_count)]
    return plan.delimiter.join(fields)
