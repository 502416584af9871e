"""Optional per-table contract: a YAML file next to the data that pins types and rules.

``data/raw/<table>.contract.yaml`` applies to ``data/raw/<table>.csv`` and to the folder
``data/raw/<table>/``::

    columns:
      order_id: {type: bigint, required: true}
      Unit Price: {type: "decimal(12,2)"}        # original or normalized header
      order_date: {type: date, format: "%d/%m/%Y"}
    partition: ["month(order_date)"]              # or [] for none
    encoding: utf-8                               # or latin-1
    delimiter: ","                                # any single character; detected when absent
    max_reject_ratio: 0.05                        # fail when more rows are rejected (default 0.05)
    require_rows: true                            # a header-only file is an error
    thousands_separator: ","                      # "1,234.50" is 1234.50
    decimal_separator: "."
    primary_key: [order_id]                       # a keyed table: later rows update by key
    delete_column: op                             # a row whose op is D deletes its key
    delete_value: D                               # (the default)
    compact_at_small_files: 32                    # compact past this many small files
    expire_at_snapshots: 100                      # expire the older half past this many
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import IngestError
from .names import normalize_headers
from .types import ColumnType, parse_type

__all__ = ["ColumnRule", "Contract", "contract_path_for", "load_contract"]

CONTRACT_SUFFIX = ".contract.yaml"
#: Share of rejected rows a contract allows when it does not set max_reject_ratio.
DEFAULT_MAX_REJECT_RATIO = 0.05
#: The delete_column value that deletes a row's key, unless the contract says otherwise.
DEFAULT_DELETE_VALUE = "D"

_TOP_KEYS = (
    "columns",
    "partition",
    "encoding",
    "delimiter",
    "max_reject_ratio",
    "require_rows",
    "thousands_separator",
    "decimal_separator",
    "primary_key",
    "delete_column",
    "delete_value",
    "compact_at_small_files",
    "expire_at_snapshots",
)
_COLUMN_KEYS = ("type", "required", "format")
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
}
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_PARTITION_RE = re.compile(
    r"^\s*(?:(?P<fn>year|month|day|hour)\(\s*(?P<col1>[^()\s,]+)\s*\)"
    r"|(?P<fn2>bucket|truncate)\(\s*(?P<n>\d+)\s*,\s*(?P<col2>[^()\s,]+)\s*\)"
    r"|(?P<col3>[^()\s,]+))\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ColumnRule:
    """What the contract says about one column. ``type`` None: inferred from the data."""

    name: str
    type: ColumnType | None = None
    required: bool = False
    format: str | None = None


@dataclass(frozen=True)
class Contract:
    """A parsed, validated contract. ``None`` fields mean "not set": detect or do not check."""

    path: Path
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    partition: list[str] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO
    require_rows: bool = False
    thousands_separator: str | None = None
    decimal_separator: str = "."
    # A keyed table (keyed.py): the columns as the table names them (normalised headers).
    primary_key: list[str] | None = None
    delete_column: str | None = None
    delete_value: str = DEFAULT_DELETE_VALUE
    # When the table is compacted and expired after a load (table_health.py); None: the
    # install's thresholds.
    compact_at_small_files: int | None = None
    expire_at_snapshots: int | None = None


@dataclass(frozen=True)
class PartitionSpec:
    """One partition field split into its transform and column."""

    transform: str  # "identity", "year", "month", "day", "hour", "bucket[16]", "truncate[4]"
    column: str

    def render(self, column: str | None = None) -> str:
        col = column if column is not None else self.column
        if self.transform == "identity":
            return col
        if "[" in self.transform:
            fn, n = self.transform.rstrip("]").split("[")
            return f"{fn}({n}, {col})"
        return f"{self.transform}({col})"


def parse_partition(text: str) -> PartitionSpec | None:
    """``month(order_date)`` -> PartitionSpec("month", "order_date"); None when malformed."""
    m = _PARTITION_RE.match(text)
    if not m:
        return None
    if m.group("fn"):
        return PartitionSpec(m.group("fn").lower(), m.group("col1"))
    if m.group("fn2"):
        return PartitionSpec(f"{m.group('fn2').lower()}[{m.group('n')}]", m.group("col2"))
    return PartitionSpec("identity", m.group("col3"))


def contract_path_for(data_path: Path) -> Path:
    """The contract of ``data/raw/orders.csv`` or of the folder ``data/raw/orders/``."""
    if data_path.is_dir():
        return data_path.parent / (data_path.name + CONTRACT_SUFFIX)
    return data_path.with_name(data_path.stem + CONTRACT_SUFFIX)


def _display(path: Path) -> str:
    return path.as_posix()


def load_contract(path: Path) -> Contract | None:
    """Read and validate a contract; None when the file does not exist.

    Raises IngestError, naming the file, the line when known and what to change, when the
    YAML is malformed or a setting is unknown or invalid.
    """
    import yaml

    if not path.exists():
        return None
    name = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            name,
            f"the contract is not valid UTF-8 (byte offset {exc.start})",
            fix="save the contract as UTF-8",
        ) from None
    try:
        doc: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise IngestError(
            name,
            f"the contract is not valid YAML: {problem}",
            line=mark.line + 1 if mark is not None else None,
            fix="correct the YAML syntax (indentation, quotes, colons)",
        ) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise IngestError(
            name,
            "the contract must be a mapping of settings, e.g. 'columns:'",
            fix=f"use the keys {', '.join(_TOP_KEYS)}",
        )
    unknown = [str(k) for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise IngestError(
            name,
            f"unknown contract setting {unknown[0]!r}",
            fix=f"use only {', '.join(_TOP_KEYS)}",
        )

    columns = _parse_columns(name, doc.get("columns"))
    partition = doc.get("partition")
    if partition is not None:
        if isinstance(partition, str):
            partition = [partition]
        if not isinstance(partition, list) or not all(isinstance(p, str) for p in partition):
            raise IngestError(
                name,
                "'partition' must be a list of strings",
                fix='write e.g. partition: ["month(order_date)"] or partition: []',
            )
        for p in partition:
            if parse_partition(p) is None:
                raise IngestError(
                    name,
                    f"partition {p!r} is not a column or a transform of one",
                    fix="use a column name or year(col), month(col), day(col), hour(col), "
                    "bucket(n, col), truncate(n, col)",
                )

    encoding = doc.get("encoding")
    if encoding is not None:
        key = str(encoding).strip().lower()
        if key not in _ENCODINGS:
            raise IngestError(
                name, f"unsupported encoding {encoding!r}", fix="use utf-8 or latin-1"
            )
        encoding = _ENCODINGS[key]

    delimiter = doc.get("delimiter")
    if delimiter is not None:
        delimiter = _DELIMITER_NAMES.get(str(delimiter).lower(), str(delimiter))
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise IngestError(
                name,
                f"delimiter {doc.get('delimiter')!r} must be one character (not a quote or "
                "line break)",
                fix='write e.g. delimiter: ";" or delimiter: tab',
            )

    ratio = doc.get("max_reject_ratio")
    if ratio is not None:
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
            raise IngestError(
                name,
                f"max_reject_ratio must be a number from 0 to 1, got {ratio!r}",
                fix="write e.g. max_reject_ratio: 0.05 (5% of the rows)",
            )
        ratio = float(ratio)

    require_rows = doc.get("require_rows", False)
    if not isinstance(require_rows, bool):
        raise IngestError(
            name, "require_rows must be true or false", fix="write require_rows: true"
        )

    thousands = _separator(name, doc, "thousands_separator", None)
    decimal = _separator(name, doc, "decimal_separator", ".") or "."
    if decimal not in ".,":
        raise IngestError(name, "decimal_separator must be '.' or ','", fix='write "." or ","')
    if thousands is not None and thousands == decimal:
        raise IngestError(
            name,
            "thousands_separator and decimal_separator are the same character",
            fix="give them different characters, e.g. thousands ',' and decimal '.'",
        )
    if thousands is not None and delimiter is not None and thousands == delimiter:
        raise IngestError(
            name,
            f"thousands_separator {thousands!r} is also the delimiter",
            fix="quote such numbers in the file or use another delimiter",
        )

    primary_key, delete_column, delete_value = _parse_keys(name, doc)
    compact_at, expire_at = (_count(name, doc, key) for key in _THRESHOLD_KEYS)
    for key in primary_key or []:
        # A key is never empty: a row without one is quarantined, as a required column's.
        same = [c for c in columns if normalize_headers([c])[0] == key]
        for c in same or [key]:
            rule = columns.get(c, ColumnRule(name=c))
            columns[c] = ColumnRule(rule.name, rule.type, True, rule.format)

    return Contract(
        path=path,
        columns=columns,
        partition=list(partition) if partition is not None else None,
        encoding=encoding,
        delimiter=delimiter,
        max_reject_ratio=DEFAULT_MAX_REJECT_RATIO if ratio is None else ratio,
        require_rows=require_rows,
        thousands_separator=thousands,
        decimal_separator=decimal,
        primary_key=primary_key,
        delete_column=delete_column,
        delete_value=delete_value,
        compact_at_small_files=compact_at,
        expire_at_snapshots=expire_at,
    )


_THRESHOLD_KEYS = ("compact_at_small_files", "expire_at_snapshots")


def _count(name: str, doc: dict[str, Any], key: str) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise IngestError(
            name, f"{key} must be a whole number from 1, got {value!r}", fix=f"write e.g. {key}: 32"
        )
    return value


def _parse_keys(name: str, doc: dict[str, Any]) -> tuple[list[str] | None, str | None, str]:
    """primary_key, delete_column and delete_value, as the table names the columns."""
    raw = doc.get("primary_key")
    keys: list[str] | None = None
    if raw is not None:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw or not all(isinstance(k, str) for k in raw):
            raise IngestError(
                name,
                "'primary_key' must be a column or a list of columns",
                fix="write e.g. primary_key: [order_id] or primary_key: [region, order_id]",
            )
        keys = normalize_headers(raw)
        if len(set(keys)) != len(keys):
            raise IngestError(name, "'primary_key' names a column twice", fix="name each once")
    column = doc.get("delete_column")
    if column is not None:
        if not isinstance(column, str) or not column.strip():
            raise IngestError(
                name, "'delete_column' must be a column name", fix="write e.g. delete_column: op"
            )
        if keys is None:
            raise IngestError(
                name,
                "'delete_column' deletes rows by their key, and the contract has no primary_key",
                fix="add primary_key: [the key columns]",
            )
        column = normalize_headers([column])[0]
        if column in keys:
            raise IngestError(
                name, "'delete_column' cannot be a key column", fix="name another column"
            )
    value = doc.get("delete_value")
    if value is not None and column is None:
        raise IngestError(
            name, "'delete_value' applies only with a delete_column", fix="add delete_column: op"
        )
    if value is not None and (isinstance(value, bool) or not str(value)):
        raise IngestError(
            name, "'delete_value' must be a non-empty text", fix="write e.g. delete_value: D"
        )
    return keys, column, DEFAULT_DELETE_VALUE if value is None else str(value)


def _separator(name: str, doc: dict[str, Any], key: str, default: str | None) -> str | None:
    value = doc.get(key, default)
    if value is None:
        return None
    value = str(value)
    if len(value) != 1 or value.isalnum() or value in '"\r\n+-':
        raise IngestError(
            name,
            f"{key} must be one character that is not a digit, letter, sign or quote, "
            f"got {value!r}",
            fix=f'write e.g. {key}: ","',
        )
    return value


def _parse_columns(name: str, raw: Any) -> dict[str, ColumnRule]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise IngestError(
            name,
            "'columns' must map column names to their settings",
            fix="write e.g. columns: {order_id: {type: bigint, required: true}}",
        )
    rules: dict[str, ColumnRule] = {}
    for key, spec in raw.items():
        col = str(key)
        if isinstance(spec, str):  # shorthand: "order_id: bigint"
            spec = {"type": spec}
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise IngestError(
                name,
                f"column {col!r} must have a mapping of settings",
                fix=f"write e.g. {col}: {{type: bigint, required: true}}",
            )
        unknown = [str(k) for k in spec if k not in _COLUMN_KEYS]
        if unknown:
            raise IngestError(
                name,
                f"unknown setting {unknown[0]!r} for column {col!r}",
                fix=f"use only {', '.join(_COLUMN_KEYS)}",
            )
        ctype: ColumnType | None = None
        if spec.get("type") is not None:
            try:
                ctype = parse_type(str(spec["type"]))
            except ValueError as exc:
                raise IngestError(
                    name,
                    f"column {col!r}: {exc}",
                    fix="use boolean, bigint, decimal(p,s), double, date, timestamp or varchar",
                ) from None
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise IngestError(
                name,
                f"column {col!r}: required must be true or false",
                fix="write required: true",
            )
        fmt = spec.get("format")
        if fmt is not None:
            fmt = str(fmt)
            if ctype is None or ctype.kind not in ("date", "timestamp"):
                raise IngestError(
                    name,
                    f"column {col!r}: format applies to date and timestamp columns only",
                    fix=f"add type: date (or timestamp) to {col!r} or remove its format",
                )
            if "%" not in fmt:
                raise IngestError(
                    name,
                    f"column {col!r}: format {fmt!r} has no strftime codes",
                    fix='write e.g. format: "%d/%m/%Y"',
                )
        rules[col] = ColumnRule(name=col, type=ctype, required=required, format=fmt)
    return rules
