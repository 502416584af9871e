"""Logical column types, known to both Arrow (the batches) and Trino (the Iceberg tables)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["MAX_DECIMAL_PRECISION", "MAX_DECIMAL_SCALE", "ColumnType", "Kind", "parse_type"]

Kind = Literal["boolean", "bigint", "decimal", "double", "date", "timestamp", "varchar"]
KINDS: tuple[str, ...] = get_args(Kind)

#: Largest precision of an Iceberg/Trino decimal.
MAX_DECIMAL_PRECISION = 38
#: Largest scale the inference gives a decimal column; more decimal places become double.
MAX_DECIMAL_SCALE = 9

_DECIMAL_RE = re.compile(r"^decimal\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")


@dataclass(frozen=True)
class ColumnType:
    """One logical type. ``precision`` and ``scale`` are set for decimals only."""

    kind: Kind
    precision: int | None = None
    scale: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column type {self.kind!r}")
        if self.kind == "decimal":
            p, s = self.precision, self.scale
            if p is None or s is None or not (1 <= p <= MAX_DECIMAL_PRECISION) or not 0 <= s <= p:
                raise ValueError(
                    f"decimal needs 1 <= precision <= {MAX_DECIMAL_PRECISION} and "
                    f"0 <= scale <= precision, got decimal({p},{s})"
                )
        elif self.precision is not None or self.scale is not None:
            raise ValueError(f"{self.kind} takes no precision or scale")

    def arrow(self) -> pa.DataType:
        """The Arrow type of the column in the accepted batches."""
        import pyarrow as pa

        if self.kind == "boolean":
            return pa.bool_()
        if self.kind == "bigint":
            return pa.int64()
        if self.kind == "decimal":
            return pa.decimal128(self.precision, self.scale)
        if self.kind == "double":
            return pa.float64()
        if self.kind == "date":
            return pa.date32()
        if self.kind == "timestamp":
            return pa.timestamp("us")
        return pa.string()

    def trino(self) -> str:
        """The Trino type of the column in the Iceberg table."""
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind == "timestamp":
            return "timestamp(6)"
        return self.kind


def parse_type(text: str) -> ColumnType:
    """Parse a type as written in a contract: ``bigint``, ``decimal(12,2)``, ``timestamp`` ...

    Raises ValueError with a readable message for anything else.
    """
    t = text.strip().lower()
    if t in ("timestamp(6)", "timestamp"):
        return ColumnType("timestamp")
    m = _DECIMAL_RE.match(t)
    if m:
        precision = int(m.group(1))
        scale = int(m.group(2) or 0)
        return ColumnType("decimal", precision, scale)
    if t == "decimal":
        raise ValueError("decimal needs a precision and scale, e.g. decimal(12,2)")
    if t in KINDS:
        return ColumnType(t)  # type: ignore[arg-type]
    raise ValueError(
        f"unknown type {text!r}; use one of boolean, bigint, decimal(p,s), double, date, "
        "timestamp, varchar"
    )
