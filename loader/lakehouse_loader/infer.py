"""Type inference: which type a column's values allow, batch after batch (pyarrow.compute).

Pass 1 (``scan``) updates one :class:`Inference` per column with every batch of the file,
so a type comes from **all** values, not a sample; ``plan.columns`` then takes the
contract's type where it pins one and the inferred one elsewhere. The spellings each type
accepts are those of ``formats``, shared with validation: an inferred column never
rejects a value.

Python loops never run over values: a batch is decided by one cast of its text where
that settles it (the fast path), by the regexes otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from .formats import (
    BOOLEAN_TEXTS,
    DATE_RE,
    OFFSET_RE,
    TS_RE,
    NumberFormat,
    all_true,
    blank_to_null,
    cast_iso_timestamps,
    digits_and_scale,
)
from .types import MAX_DECIMAL_PRECISION, MAX_DECIMAL_SCALE, ColumnType

__all__ = ["Inference"]

_CAST_SAMPLE = 64


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
        if "boolean" in c and not all_true(
            pc.match_substring_regex(values, r"(?i)^(?:true|false)$")
        ):
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
        if "boolean" in c and all_true(pc.is_in(column, value_set=BOOLEAN_TEXTS)):
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
        if kind == "boolean" and all_true(pc.is_in(column, value_set=BOOLEAN_TEXTS)):
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
        if "double" in c and not all_true(pc.match_substring_regex(values, dbl_re)):
            c -= {"bigint", "decimal", "double"}
            return
        normalized = self.numbers.normalize(values)
        if "decimal" in c:
            if all_true(pc.match_substring_regex(values, dec_re)):
                int_digits, scale = digits_and_scale(normalized)
                self.int_digits = max(self.int_digits, pc.max(int_digits).as_py() or 0)
                self.scale = max(self.scale, pc.max(scale).as_py() or 0)
            else:
                c -= {"bigint", "decimal"}
        if "bigint" in c:
            if not all_true(pc.match_substring_regex(values, int_re)):
                c.discard("bigint")
            else:
                try:
                    pc.cast(normalized, pa.int64())
                except pa.ArrowInvalid:
                    c.discard("bigint")

    def _temporal(self, values: pa.Array) -> None:
        c = self.candidates
        if not all_true(pc.match_substring_regex(values, TS_RE)):
            c -= {"date", "timestamp"}
            return
        is_date = pc.match_substring_regex(values, DATE_RE)
        if self.only_dates and not all_true(is_date):
            self.only_dates = False
            c.discard("date")
        has_offset = pc.match_substring_regex(values, OFFSET_RE)
        if pc.any(has_offset).as_py():
            self.offsets.add(True)
        if not all_true(has_offset):
            self.offsets.add(False)
        if len(self.offsets) > 1:
            c -= {"date", "timestamp"}
            return
        try:
            if self.only_dates:
                pc.cast(values, pa.date32())
            else:
                cast_iso_timestamps(values)
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
            if self.int_digits > MAX_DECIMAL_PRECISION:
                # No decimal holds such an integer part, and a double would keep only its
                # first 15-17 digits (ids, account numbers): kept as text, every digit.
                return ColumnType("varchar")
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
