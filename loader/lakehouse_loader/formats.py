"""How values are written in the CSV text: the spellings each column type accepts.

Type inference (``infer``) and validation (``validate``) read values by these same rules, so
an inferred column never rejects a value its inference saw. The rules, as documented for
users:

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
  decimal places, p and s covering every value; more becomes double, except more than 38
  digits before the point: varchar (a double would lose digits of such an id). Integers
  beyond bigint are decimal(p,0).
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

Every function works on a whole Arrow string array at a time (pyarrow.compute only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

TRUE_WORDS = ("true",)
FALSE_WORDS = ("false",)
CONTRACT_TRUE_WORDS = ("true", "t", "yes", "y", "1")
CONTRACT_FALSE_WORDS = ("false", "f", "no", "n", "0")
#: The spellings of booleans the CSV reader converts itself (pass 1 sends others elsewhere).
BOOLEAN_TRUE = ("true", "True", "TRUE")
BOOLEAN_FALSE = ("false", "False", "FALSE")
BOOLEAN_TEXTS = pa.array(BOOLEAN_TRUE + BOOLEAN_FALSE)

DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
TS_RE = (
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
OFFSET_RE = r"[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
NAN_INF_RE = r"(?i)^[+-]?(?:nan|inf|infinity)$"
_LONG_FRACTION_RE = r"(\.\d{6})\d+"


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


def all_true(mask: pa.Array) -> bool:
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


def cast_iso_timestamps(values: pa.Array) -> pa.Array:
    """ISO timestamps (dates allowed) to timestamp[us]; offsets converted to UTC. Raises."""
    values = pc.replace_substring_regex(values, _LONG_FRACTION_RE, r"\1")
    has_offset = pc.match_substring_regex(values, OFFSET_RE)
    if not pc.any(has_offset).as_py():
        return pc.cast(values, pa.timestamp("us"))
    null = pa.scalar(None, pa.string())
    local = pc.cast(pc.if_else(has_offset, null, values), pa.timestamp("us"))
    utc = pc.cast(pc.if_else(has_offset, values, null), pa.timestamp("us", "UTC"))
    utc_naive = pc.cast(pc.cast(utc, pa.int64()), pa.timestamp("us"))
    return pc.if_else(has_offset, utc_naive, local)
