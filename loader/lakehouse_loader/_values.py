"""Vectorized type inference and conversion of CSV text columns (pyarrow.compute only).

Every function works on a whole Arrow string array at a time; Python loops run only over the
values that turn out to be bad (to word their reject reasons).

The rules, as documented for users:

* Empty fields are null for every type, varchar included. Values of typed columns are
  trimmed of surrounding whitespace first, so a whitespace-only value is null too; varchar
  values are kept exactly as written.
* boolean: ``true``/``false`` in any case. With a contract type ``boolean`` also
  ``t/f``, ``yes/no``, ``y/n`` and ``1/0``. (Inference does not take yes/no or 1/0: such
  columns are more often text or integer codes.)
* bigint: optional sign and digits that fit int64. A number with a leading zero (``007``)
  is kept as varchar when inferred (zip codes, account numbers); a contract may still
  declare such a column bigint.
* decimal(p,s): plain decimals (``-12.50``, ``.5``) with at most 38 digits and at most 9
  decimal places, p and s covering every value; more becomes double.
* double: also exponent notation (``1.5e-3``). ``nan``/``inf`` are accepted only when a
  contract declares the column double; inference treats them as text.
* date: ISO ``YYYY-MM-DD``, a real calendar date. Other formats only with a contract
  ``format`` (strftime codes), which every value must then match exactly.
* timestamp: ISO date, ``T`` or space, ``HH[:MM[:SS[.fraction]]]``; fractions beyond
  microseconds are truncated. A value with an offset (``Z``, ``+02:00``, ``-0500``) is
  converted to UTC and stored without zone. Inference needs all values of a column with an
  offset or all without (a mix is varchar); a column mixing dates and timestamps is
  timestamp (dates are midnight).
* Anything else, a column of nulls only and a column mixing types: varchar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .types import MAX_DECIMAL_PRECISION, MAX_DECIMAL_SCALE, ColumnType

TRUE_WORDS = ("true",)
FALSE_WORDS = ("false",)
CONTRACT_TRUE_WORDS = ("true", "t", "yes", "y", "1")
CONTRACT_FALSE_WORDS = ("false", "f", "no", "n", "0")

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TS_RE = (
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_OFFSET_RE = r"[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_LONG_FRACTION_RE = r"(\.\d{6})\d+"
_NAN_INF_RE = r"(?i)^[+-]?(?:nan|inf|infinity)$"
#: The spellings of booleans the CSV reader converts itself (pass 1 sends others elsewhere).
BOOLEAN_TRUE = ("true", "True", "TRUE")
BOOLEAN_FALSE = ("false", "False", "FALSE")
BOOLEAN_TEXTS = pa.array(BOOLEAN_TRUE + BOOLEAN_FALSE)
_CAST_SAMPLE = 64


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are written: the thousands separator (or None) and decimal separator."""

    thousands: str | None = None
    decimal: str = "."

    def patterns(self, *, strict_zeros: bool) -> tuple[str, str, str]:
        """Regexes (int, decimal, double). strict_zeros: no leading zeros (inference)."""
        d = re.escape(self.decimal)
        lead = r"(?:0|[1-9]\d*)" if strict_zeros else r"\d+"
        if self.thousands is not None:
            t = re.escape(self.thousands)
            first = r"[1-9]\d{0,2}" if strict_zeros else r"\d{1,3}"
            lead = rf"(?:{first}(?:{t}\d{{3}})+|{lead})"
        integer = rf"^[+-]?{lead}$"
        decimal = rf"^[+-]?(?:{lead}(?:{d}\d*)?|{d}\d+)$"
        double = rf"^[+-]?(?:{lead}(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?$"
        return integer, decimal, double

    def normalize(self, values: pa.Array) -> pa.Array:
        """Remove thousands separators and a leading '+', make the decimal separator '.'."""
        out = values
        if self.thousands is not None:
            out = pc.replace_substring(out, self.thousands, "")
        if self.decimal != ".":
            out = pc.replace_substring(out, self.decimal, ".")
        return pc.replace_substring_regex(out, r"^\+", "")


def blank_to_null(values: pa.Array) -> pa.Array:
    """Trim whitespace; empty or whitespace-only values become null."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _all(mask: pa.Array) -> bool:
    """True when every non-null entry of a boolean mask is true."""
    return bool(pc.all(mask).as_py() is not False)


def digits_and_scale(normalized: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Integer digits (without sign and leading zeros) and decimal places of plain decimals."""
    core = pc.utf8_ltrim(normalized, characters="+-0")
    length = pc.utf8_length(core)
    dot = pc.find_substring(core, ".")
    has_dot = pc.greater_equal(dot, 0)
    int_digits = pc.if_else(has_dot, dot, length)
    scale = pc.if_else(has_dot, pc.subtract(pc.subtract(length, dot), 1), 0)
    return int_digits, scale


# The fast path's helpers, for text that casts to a number as it is. Each costs a fraction
# of a regex over every value, which was half of the inference of a decimal column.


def _plain_number_text(column: pa.Array) -> bool:
    """Only digits, '.' and '-' in all of the column's text (its bytes checked at once)."""
    _, offsets_buffer, data = column.buffers()
    width = pa.int64() if pa.types.is_large_string(column.type) else pa.int32()
    offsets = pa.Array.from_buffers(
        width, len(column) + 1, [None, offsets_buffer], offset=column.offset
    )
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    text = bytes(memoryview(data)[start:end]) if end > start else b""
    return not text.translate(None, b"0123456789.-")


def _any_integer_leading_zero(column: pa.Array) -> bool:
    """An integer like 007 or -0 (kept as text when inferred)."""
    return bool(
        pc.any(
            pc.or_(
                pc.and_(pc.starts_with(column, "0"), pc.greater(pc.binary_length(column), 1)),
                pc.starts_with(column, "-0"),
            )
        ).as_py()
    )


def _any_leading_zero(column: pa.Array) -> bool:
    """A value like 007 or -05.5 (0.5 and -0.5 are fine)."""
    if not any(pc.any(pc.starts_with(column, zero)).as_py() for zero in ("0", "-0")):
        return False  # the common case, decided by the cheapest test
    length = pc.binary_length(column)
    zero = pc.and_not(pc.starts_with(column, "0"), pc.starts_with(column, "0."))
    minus_zero = pc.and_not(pc.starts_with(column, "-0"), pc.starts_with(column, "-0."))
    return bool(
        pc.any(
            pc.or_(pc.and_(zero, pc.greater(length, 1)), pc.and_(minus_zero, pc.greater(length, 2)))
        ).as_py()
    )


def _most_decimal_places(column: pa.Array) -> int:
    dot = pc.find_substring(column, ".")
    places = pc.subtract(pc.subtract(pc.binary_length(column), dot), 1)
    return int(pc.max(pc.if_else(pc.less(dot, 0), 0, places)).as_py() or 0)


def _most_integer_digits(column: pa.Array, floats: pa.Array, places: int) -> int:
    """Digits before the point (none in 0.5), from the values as floats while they have at
    most 15 significant digits (then a float cannot round up to the next power of ten)."""
    low, high = (v.as_py() for v in pc.min_max(floats).values())
    biggest = max(abs(low or 0.0), abs(high or 0.0))
    if biggest < 10 ** (15 - min(places, 15)):
        return len(str(int(biggest))) if biggest >= 1 else 0
    return int(pc.max(digits_and_scale(column)[0]).as_py() or 0)


def cast_collecting_failures(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[int]]:
    """Cast, and where single values cannot be cast, null them and return their positions."""
    return convert_collecting_failures(values, lambda chunk: pc.cast(chunk, target), target)


def convert_collecting_failures(
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


#: Which fast-path casts of a batch (Inference.last_cast) let it be cast to a column type.
_DIRECT_CASTS = {
    "bigint": ("bigint",),
    "decimal": ("bigint", "number"),
    "double": ("bigint", "number"),
    "date": ("date",),
    "timestamp": ("date", "timestamp"),
    "boolean": ("boolean",),
}


@dataclass
class Inference:
    """Accumulates what the values of one column allow, batch after batch."""

    numbers: NumberFormat = field(default_factory=NumberFormat)
    candidates: set[str] = field(
        default_factory=lambda: {"boolean", "bigint", "decimal", "double", "date", "timestamp"}
    )
    non_null: int = 0
    int_digits: int = 0
    scale: int = 0
    offsets: set[bool] = field(default_factory=set)
    only_dates: bool = True
    #: Every batch was decided by a plain cast of the text: pass 2 may cast it directly.
    direct: bool = True
    #: The kind the last batch's text casts to as it is (None: it needed the regexes).
    last_cast: str | None = None

    def update(self, column: pa.Array) -> None:
        self.last_cast = None
        if not self.candidates and self.non_null:
            return
        if self._update_by_cast(column):
            return
        self.direct = False
        values = pc.drop_null(blank_to_null(column))
        if len(values) == 0:
            return
        self.non_null += len(values)
        c = self.candidates
        if "boolean" in c and not _all(pc.match_substring_regex(values, r"(?i)^(?:true|false)$")):
            c.discard("boolean")
        if c & {"bigint", "decimal", "double"}:
            self._numbers(values)
        if c & {"date", "timestamp"}:
            self._temporal(values)

    def _update_by_cast(self, column: pa.Array) -> bool:
        """Fast path: decide the batch with one cast of the untrimmed text; False: undecided.

        Casts are much cheaper than regexes. Anything unusual (whitespace, signs, leading
        zeros, exponents, offsets, other number formats) goes to the regex path instead.
        """
        c = self.candidates
        if not c or self.numbers != NumberFormat():
            return False
        count = len(column) - column.null_count
        if count == 0:
            return True
        ints = self._try_cast(column, pa.int64()) if "bigint" in c else None
        if ints is not None:
            if _any_integer_leading_zero(column):
                return False
            low_high = pc.min_max(ints)
            digits = max(len(str(abs(v.as_py()))) for v in low_high.values())
            self.int_digits = max(self.int_digits, digits)
            c -= {"boolean", "date", "timestamp"}
            self.non_null += count
            self.last_cast = "bigint"
            return True
        floats = self._try_cast(column, pa.float64()) if c & {"decimal", "double"} else None
        if floats is not None:
            if not _plain_number_text(column) or _any_leading_zero(column):
                return False  # exponent, nan/inf, sign or leading zero: the regex path decides
            c -= {"boolean", "bigint", "date", "timestamp"}
            places = _most_decimal_places(column)
            self.scale = max(self.scale, places)
            self.int_digits = max(self.int_digits, _most_integer_digits(column, floats, places))
            self.non_null += count
            self.last_cast = "number"
            return True
        if "date" in c and self.only_dates and self._try_cast(column, pa.date32()) is not None:
            c -= {"boolean", "bigint", "decimal", "double"}
            self.offsets.add(False)
            self.non_null += count
            self.last_cast = "date"
            return True
        if "timestamp" in c and self._try_cast(column, pa.timestamp("us")) is not None:
            c -= {"boolean", "bigint", "decimal", "double", "date"}
            self.only_dates = False
            self.offsets.add(False)
            if len(self.offsets) > 1:
                return False
            self.non_null += count
            self.last_cast = "timestamp"
            return True
        if "boolean" in c and _all(pc.is_in(column, value_set=BOOLEAN_TEXTS)):
            c &= {"boolean"}
            self.non_null += count
            self.last_cast = "boolean"
            return True
        return False

    def cast_within(self, column: pa.Array, ctype: ColumnType) -> pa.Array | None:
        """The batch converted to `ctype`, the type inferred from the values so far, when
        its text casts as it is the way the fast path of `update` accepts, within `ctype`:
        then updating with it could not change the type (pass 1 and 2 in one read, where
        this cast is the conversion too). None: undecided, `update` with the batch instead.
        """
        if self.numbers != NumberFormat() or self.result() != ctype:
            return None
        kind = ctype.kind
        if kind == "bigint":
            ints = self._try_cast(column, pa.int64())
            return ints if ints is not None and not _any_integer_leading_zero(column) else None
        if kind in ("decimal", "double"):
            values = self._try_cast(column, ctype.arrow())
            if values is None or not _plain_number_text(column) or _any_leading_zero(column):
                return None
            # The cast drops zeros beyond the scale (1.230 into 2 places); inference would not.
            if kind == "decimal" and _most_decimal_places(column) > (ctype.scale or 0):
                return None
            return values
        if kind == "date":
            return self._try_cast(column, pa.date32())
        if kind == "timestamp" and self.offsets == {False}:
            return self._try_cast(column, pa.timestamp("us"))
        if kind == "boolean" and _all(pc.is_in(column, value_set=BOOLEAN_TEXTS)):
            return pc.equal(pc.utf8_lower(column), "true")
        return None

    def casts_directly_to(self, ctype: ColumnType) -> bool:
        """The last batch's text casts to `ctype` as it is (pass 1 and 2 in one read)."""
        return self.last_cast is not None and self.last_cast in _DIRECT_CASTS.get(ctype.kind, ())

    @staticmethod
    def _try_cast(column: pa.Array, target: pa.DataType) -> pa.Array | None:
        # A failing cast costs as much as converting the whole array, so a small sample
        # goes first: most columns that are not of the type fail there.
        try:
            pc.cast(column.slice(0, _CAST_SAMPLE), target)
            return pc.cast(column, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None

    def _numbers(self, values: pa.Array) -> None:
        c = self.candidates
        int_re, dec_re, dbl_re = self.numbers.patterns(strict_zeros=True)
        if "double" in c and not _all(pc.match_substring_regex(values, dbl_re)):
            c -= {"bigint", "decimal", "double"}
            return
        normalized = self.numbers.normalize(values)
        if "decimal" in c:
            if _all(pc.match_substring_regex(values, dec_re)):
                int_digits, scale = digits_and_scale(normalized)
                self.int_digits = max(self.int_digits, pc.max(int_digits).as_py() or 0)
                self.scale = max(self.scale, pc.max(scale).as_py() or 0)
            else:
                c -= {"bigint", "decimal"}
        if "bigint" in c:
            if not _all(pc.match_substring_regex(values, int_re)):
                c.discard("bigint")
            else:
                try:
                    pc.cast(normalized, pa.int64())
                except pa.ArrowInvalid:
                    c.discard("bigint")

    def _temporal(self, values: pa.Array) -> None:
        c = self.candidates
        if not _all(pc.match_substring_regex(values, _TS_RE)):
            c -= {"date", "timestamp"}
            return
        is_date = pc.match_substring_regex(values, _DATE_RE)
        if self.only_dates and not _all(is_date):
            self.only_dates = False
            c.discard("date")
        has_offset = pc.match_substring_regex(values, _OFFSET_RE)
        if pc.any(has_offset).as_py():
            self.offsets.add(True)
        if not _all(has_offset):
            self.offsets.add(False)
        if len(self.offsets) > 1:
            c -= {"date", "timestamp"}
            return
        try:
            if self.only_dates:
                pc.cast(values, pa.date32())
            else:
                _cast_iso_timestamps(values)
        except pa.ArrowInvalid:
            c -= {"date", "timestamp"}

    def result(self) -> ColumnType:
        c = self.candidates
        if self.non_null == 0:
            return ColumnType("varchar")
        if "boolean" in c:
            return ColumnType("boolean")
        if "bigint" in c:
            return ColumnType("bigint")
        if "decimal" in c:
            precision = max(self.int_digits + self.scale, 1)
            if self.scale <= MAX_DECIMAL_SCALE and precision <= MAX_DECIMAL_PRECISION:
                return ColumnType("decimal", precision, self.scale)
            return ColumnType("double")
        if "double" in c:
            return ColumnType("double")
        if "date" in c and self.only_dates:
            return ColumnType("date")
        if "timestamp" in c:
            return ColumnType("timestamp")
        return ColumnType("varchar")


def _cast_iso_timestamps(values: pa.Array) -> pa.Array:
    """ISO timestamps (dates allowed) to timestamp[us]; offsets converted to UTC. Raises."""
    values = pc.replace_substring_regex(values, _LONG_FRACTION_RE, r"\1")
    has_offset = pc.match_substring_regex(values, _OFFSET_RE)
    if not pc.any(has_offset).as_py():
        return pc.cast(values, pa.timestamp("us"))
    null = pa.scalar(None, pa.string())
    local = pc.cast(pc.if_else(has_offset, null, values), pa.timestamp("us"))
    utc = pc.cast(pc.if_else(has_offset, values, null), pa.timestamp("us", "UTC"))
    utc_naive = pc.cast(pc.cast(utc, pa.int64()), pa.timestamp("us"))
    return pc.if_else(has_offset, utc_naive, local)


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
            ok = pc.or_(ok, pc.match_substring_regex(values, _NAN_INF_RE))
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
        out, failures = cast_collecting_failures(normalized, arrow_type)
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

    pattern = _DATE_RE if kind == "date" else _TS_RE
    ok = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    candidates = pc.if_else(ok, values, null)
    if kind == "date":
        out, failures = cast_collecting_failures(candidates, pa.date32())
    else:
        out, failures = convert_collecting_failures(
            candidates, _cast_iso_timestamps, pa.timestamp("us")
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


def any_true(mask: pa.Array | None) -> bool:
    return mask is not None and bool(pc.any(mask).as_py())


def combine(masks: list[pa.Array | None]) -> pa.Array | None:
    result: pa.Array | None = None
    for m in masks:
        result = _or(result, m)
    return result


def to_pylist(values: pa.Array) -> list[Any]:
    return list(values.to_pylist())
