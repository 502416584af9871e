"""The plan of a file: everything a read needs to load it, decided by pass 1.

:func:`plan_file` sniffs the file (``sniff``: encoding, delimiter, header), streams every
row as text (``scan``: the types ``infer`` sees, the data rows, line breaks inside values)
and decides its columns: the contract's type where it pins one, the inferred type
elsewhere. A large file can be planned from its first block only (a provisional plan),
which its one read then checks on every row (``read.FileReading``).

File rules decided here:

* A trailing delimiter on every line makes an empty last header: that column is dropped
  when all its values are empty too, and kept as ``column_<n>`` otherwise.
* Without a contract a header-only file is a valid load of 0 rows.
* A table with a date or timestamp column is partitioned by the month of the first one,
  unless the contract says otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from . import scan
from .contract import ColumnRule, Contract, parse_partition
from .errors import IngestError
from .infer import Inference
from .sniff import sniff
from .types import ColumnType

__all__ = ["SINGLE_PASS_FROM", "Column", "FilePlan", "plan_file"]

#: Files larger than this are read once, on the types of their first block, when a load
#: asks for it (plan_file's from_first_block): pass 1 costs a quarter of a large load.
SINGLE_PASS_FROM = 32 << 20


@dataclass(frozen=True)
class Column:
    """One column of the file: its header, SQL name, type and whether it may be empty."""

    source_name: str  # header as in the file
    name: str  # normalized
    type: ColumnType
    required: bool
    format: str | None = None  # strftime format of a date/timestamp column, from the contract
    position: int = 0  # 0-based field position in the file
    from_contract: bool = False  # type pinned by the contract: bad values are rejects


@dataclass(frozen=True)
class FilePlan:
    """Everything pass 2 needs to read the file again, plus what pass 1 found out."""

    path: Path
    encoding: str  # "utf-8" or "latin-1"
    delimiter: str
    columns: list[Column]
    data_rows: int  # data rows in the file (blank lines excluded), counted in pass 1
    partition: list[str]  # e.g. ["month(order_date)"]
    display_name: str = ""
    header_lines: int = 1  # physical lines up to and including the header
    field_count: int = 0  # fields per line, including dropped empty trailing columns
    block_size: int = scan.INITIAL_BLOCK_SIZE
    has_body: bool = True  # something follows the header
    multiline: bool = False  # some quoted value contains a line break
    direct_cast: tuple[int, ...] = ()  # field positions whose text casts as it is
    irregular_lines: bool = False  # ragged or whitespace-only lines exist
    thousands_separator: str | None = None
    decimal_separator: str = "."
    max_reject_ratio: float | None = None
    file_size: int = 0
    file_mtime_ns: int = 0
    contract: Contract | None = field(default=None, repr=False)
    sha256: str | None = None  # of the bytes pass 1 read, when asked for
    #: What the first block's values showed, per field, when the plan comes from it alone
    #: (provisional): its read goes on from there.
    first_block: tuple[Inference, ...] = field(default=(), repr=False, compare=False)

    @property
    def provisional(self) -> bool:
        """Types (and the facts above) from the first block only; data_rows and sha256
        unknown. read_file verifies them as it reads the whole file (see FileReading)."""
        return bool(self.first_block)


def plan_file(
    path: Path,
    contract: Contract | None = None,
    display_name: str | None = None,
    *,
    hash_file: bool = False,
    from_first_block: bool = False,
) -> FilePlan:
    """Pass 1: stream the whole file and decide how to load it; with `hash_file`, its
    SHA-256 is computed meanwhile (on the thread that counts its lines).

    With `from_first_block`, a file larger than SINGLE_PASS_FROM gets a provisional plan
    from its first block instead: :func:`~.read.read_file` then reads it only once, checking the
    plan on every row, and raises PlanDisproved when a later value breaks it.

    Raises IngestError (with a fix) for files that cannot be loaded: empty, binary, not
    UTF-8, missing contract columns, header-only when the contract requires rows.
    """
    file = sniff(path, contract, display_name)
    name, ref = file.name, file.contract_ref
    field_count = file.field_count

    # Pass 1 proper: stream every row as text.
    infer = [rule is None or rule.type is None for rule in file.rules]

    def scan_file(first_block: bool) -> scan.ScanResult:
        if not file.has_body:  # nothing after the header (pyarrow cannot even skip it then)
            # file.head: all of the file
            sha256 = hashlib.sha256(file.head).hexdigest() if hash_file else None
            return scan.ScanResult([Inference() for _ in infer], 0, False, False, 0, sha256)
        return scan.scan_file(file, infer=infer, hash_file=hash_file, first_block=first_block)

    provisional = file.has_body and from_first_block and file.size > SINGLE_PASS_FROM
    found = scan_file(provisional)
    columns = _columns(file.headers, file.normalized, file.rules, found.inference)
    if provisional and (found.data_rows == 0 or not columns):
        provisional = False  # the first block shows too little: read the whole file first
        found = scan_file(provisional)
        columns = _columns(file.headers, file.normalized, file.rules, found.inference)
    if not columns:
        raise IngestError(
            name,
            "the file has no named column with any value",
            line=file.header_line,
            fix="add a header line with the column names",
        )

    if contract and contract.require_rows and found.data_rows == 0:
        raise IngestError(
            name,
            "the file has a header but no data rows, and the contract requires rows",
            fix=f"export the file again with its rows, or set require_rows: false in {ref}",
        )

    partition = _partition(name, columns, contract, ref)
    return FilePlan(
        path=file.path,
        encoding=file.encoding,
        delimiter=file.delimiter,
        columns=columns,
        data_rows=0 if provisional else found.data_rows,
        partition=partition,
        display_name=name,
        header_lines=file.header_lines,
        field_count=field_count,
        block_size=found.block_size,
        multiline=found.multiline,
        direct_cast=direct_cast(columns, field_count, found.inference),
        has_body=file.has_body,
        irregular_lines=found.irregular_lines,
        thousands_separator=file.numbers.thousands,
        decimal_separator=file.numbers.decimal,
        max_reject_ratio=contract.max_reject_ratio if contract else None,
        file_size=file.size,
        file_mtime_ns=file.mtime_ns,
        contract=contract,
        sha256=found.sha256,
        first_block=tuple(found.inference) if provisional else (),
    )


def _columns(
    headers: list[str],
    normalized: list[str],
    rules: list[ColumnRule | None],
    inference: list[Inference],
) -> list[Column]:
    """The columns to load: contract types or inferred ones; an empty trailing column with
    no name and no value is dropped."""
    columns: list[Column] = []
    for i, (source, norm) in enumerate(zip(headers, normalized, strict=True)):
        rule = rules[i]
        inferred = inference[i]
        is_trailing_empty = (
            not source.strip()
            and i >= _last_named(headers)
            and inferred.non_null == 0
            and rule is None
        )
        if is_trailing_empty:
            continue
        if rule is not None and rule.type is not None:
            ctype, from_contract = rule.type, True
        else:
            ctype, from_contract = inferred.result(), False
        columns.append(
            Column(
                source_name=source,
                name=norm,
                type=ctype,
                required=rule.required if rule else False,
                format=rule.format if rule else None,
                position=i,
                from_contract=from_contract,
            )
        )
    return columns


def direct_cast(
    columns: list[Column], field_count: int, inference: list[Inference]
) -> tuple[int, ...]:
    """Positions of the inferred columns whose every value casts as it is."""
    # One-column files keep whitespace-only lines as values: always convert them with care.
    return tuple(
        c.position
        for c in columns
        if field_count > 1
        and not c.from_contract
        and c.type.kind != "varchar"
        and inference[c.position].direct
    )


def _last_named(headers: list[str]) -> int:
    """Position after the last non-empty header."""
    for i in range(len(headers) - 1, -1, -1):
        if headers[i].strip():
            return i + 1
    return 0


def _partition(
    name: str, columns: list[Column], contract: Contract | None, contract_ref: str
) -> list[str]:
    if contract is not None and contract.partition is not None:
        result = []
        for text in contract.partition:
            spec = parse_partition(text)
            assert spec is not None  # validated by load_contract
            match = next(
                (c for c in columns if spec.column in (c.name, c.source_name)),
                None,
            )
            if match is None:
                raise IngestError(
                    name,
                    f"the partition {text!r} names a column that is not in the file",
                    fix=f"correct the partition in {contract_ref}",
                )
            if spec.transform in ("year", "month", "day", "hour") and match.type.kind not in (
                "date",
                "timestamp",
            ):
                raise IngestError(
                    name,
                    f"the partition {text!r} needs a date or timestamp column, "
                    f"but {match.name} is {match.type.trino()}",
                    fix=f"declare the column's type in {contract_ref} or partition otherwise",
                )
            result.append(spec.render(match.name))
        return result
    for c in columns:
        if c.type.kind in ("date", "timestamp"):
            return [f"month({c.name})"]
    return []
