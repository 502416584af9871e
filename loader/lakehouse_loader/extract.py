"""Extract and validate: a local CSV file in, typed Arrow record batches and rejected rows out.

Two streaming passes over the file, never all of it in memory:

* :func:`plan_file` (pass 1) detects the encoding problems, the delimiter and the header,
  normalizes the column names, infers every column's type from all values and counts the
  data rows.
* :func:`read_batches` (pass 2) reads the file again and converts each column with the
  planned types, vectorized per batch with pyarrow.compute; every row that does not fit
  becomes a :class:`Reject` with its exact physical line number.

A large file can be read once instead (:func:`plan_file` with ``from_first_block``, then
:func:`read_file`): its types come from the first block and every later batch is checked
against them as pass 1 would infer them; :class:`PlanDisproved` says when it must be read
twice after all. Both ways come to the same plan, rows and rejects.

For every file, ``sum(accepted rows) + sum(rejects) == plan.data_rows``.

File rules (see also ``_values`` for the value rules):

* Blank lines are not rows: skipped wherever they are, neither counted nor rejected. So is a
  row whose fields are all empty (spreadsheets write ``,,,`` for an empty row).
* Line numbers are physical, 1-based lines where the row starts; a line ends at LF, CRLF or
  CR, also inside quoted fields.
* A trailing delimiter on every line makes an empty last header: that column is dropped when
  all its values are empty too, and kept as ``column_<n>`` otherwise.
* A row with the wrong number of fields is a reject "expected N fields, found M", N counting
  such a trailing empty column.
* Without a contract a header-only file is a valid load of 0 rows.
* A one-column file is fine when the header has no comma, semicolon, tab or pipe.
"""

from __future__ import annotations

import codecs
import copy
import csv
import hashlib
import io
import os
import re
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import _values
from .contract import ColumnRule, Contract, parse_partition
from .errors import IngestError
from .names import normalize_headers
from .types import ColumnType

__all__ = [
    "DELIMITERS",
    "Batch",
    "Column",
    "FilePlan",
    "FileReading",
    "PlanDisproved",
    "Reject",
    "plan_file",
    "read_batches",
    "read_file",
]

#: Delimiters detected automatically, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Characters that look like a delimiter but are not detected (a contract may declare them).
_UNSUPPORTED_DELIMITERS = ("^", "~", "#", "!", "\x1f", "¦", "¬")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

_SAMPLE_BYTES = 1 << 20  # bytes read to find the header and the delimiter
_SNIFF_RECORDS = 200
_BINARY_PROBE = 8192
_INITIAL_BLOCK_SIZE = 4 << 20  # memory: the reader reads up to ~32 blocks ahead
_MAX_BLOCK_SIZE = 1 << 30
_SCAN_CHUNK = 16 << 20
_UTF8_BOM = b"\xef\xbb\xbf"
_PASS1_THREADS = (os.cpu_count() or 1) > 2  # threads only pay off beyond two cores
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
    block_size: int = _INITIAL_BLOCK_SIZE
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
    first_block: tuple[_values.Inference, ...] = field(default=(), repr=False, compare=False)

    @property
    def provisional(self) -> bool:
        """Types (and the facts above) from the first block only; data_rows and sha256
        unknown. read_file verifies them as it reads the whole file (see FileReading)."""
        return bool(self.first_block)


@dataclass(frozen=True)
class Reject:
    """A row that was not loaded."""

    line: int  # physical 1-based line number in the file where the row starts
    raw: str  # the raw text of the row (type errors: the fields re-joined with the delimiter)
    reason: str  # e.g. "column quantity: 'abc' is not an integer"


@dataclass(frozen=True)
class Batch:
    """Accepted rows (plan order, normalized names, planned types) and this batch's rejects."""

    accepted: pa.RecordBatch
    rejects: list[Reject]


# --------------------------------------------------------------------------------------------
# Pass 1
# --------------------------------------------------------------------------------------------


# A quote at the start of a field (after a line start, optional blanks, or a delimiter).
_FIELD_QUOTE = re.compile(r'(?:^|[,;\t|])\s*"')


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
    from its first block instead: :func:`read_file` then reads it only once, checking the
    plan on every row, and raises PlanDisproved when a later value breaks it.

    Raises IngestError (with a fix) for files that cannot be loaded: empty, binary, not
    UTF-8, missing contract columns, header-only when the contract requires rows.
    """
    path = Path(path)
    name = display_name or path.as_posix()
    try:
        stat = path.stat()
        with path.open("rb") as fh:
            head = fh.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise IngestError(
            name, f"cannot be read: {exc.strerror or exc}", fix="check the path and permissions"
        ) from None
    contract_ref = _contract_ref(name, path, contract)
    encoding = (contract.encoding if contract else None) or "utf-8"

    _check_text(name, head, encoding, at_eof=len(head) == stat.st_size)
    text, at_eof = _decode_sample(path, name, head, encoding, stat.st_size, contract_ref)
    lines = text.splitlines(keepends=True)
    if not at_eof and lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # partial last line of the sample

    # Skip leading blank lines, then take the header record (which may span lines).
    skipped = 0
    while skipped < len(lines) and not lines[skipped].strip():
        skipped += 1
    header_end = skipped
    quotes = 0
    # A quote only opens a quoted field at the start of a field; one inside a bare field
    # (`id"; DROP TABLE x`) is a literal character, as CSV readers treat it. So the header
    # can only span lines when one of its fields starts with a quote.
    if skipped < len(lines) and not _FIELD_QUOTE.search(lines[skipped]):
        quotes = -1  # a single-line header
        header_end = skipped + 1
    while quotes >= 0 and header_end < len(lines):
        quotes += lines[header_end].count('"')
        header_end += 1
        if quotes % 2 == 0:
            break
    if quotes >= 0 and quotes % 2 == 1:
        raise IngestError(
            name,
            "the header has an unclosed quote (or is longer than 1 MB)",
            line=skipped + 1,
            fix="close the quoted header name",
        )
    header_text = "".join(lines[skipped:header_end])
    data_sample = lines[header_end:]

    delimiter = contract.delimiter if contract and contract.delimiter else None
    if delimiter is None:
        delimiter = _detect_delimiter(name, header_text, data_sample, contract_ref)
    headers = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter))
    if headers:
        headers[0] = headers[0].lstrip("\ufeff")
    field_count = len(headers)

    numbers = _values.NumberFormat(
        contract.thousands_separator if contract else None,
        contract.decimal_separator if contract else ".",
    )
    if numbers.thousands is not None and numbers.thousands == delimiter:
        raise IngestError(
            name,
            f"the thousands separator {numbers.thousands!r} is also the delimiter",
            fix=f"remove thousands_separator from {contract_ref} or use another delimiter",
        )
    if contract and numbers.decimal == delimiter:
        raise IngestError(
            name,
            f"the decimal separator {numbers.decimal!r} is also the delimiter",
            fix="quote such numbers in the file or use another delimiter",
        )

    normalized = normalize_headers(headers)
    rules = _match_rules(name, headers, normalized, contract, contract_ref)

    # Pass 1 proper: stream every row as text.
    has_body = not at_eof or any(line.strip() for line in data_sample)
    infer = [rule is None or rule.type is None for rule in rules]

    def scan_file(first_block: bool) -> _ScanResult:
        if not has_body:  # nothing after the header (pyarrow cannot even skip it then)
            sha256 = hashlib.sha256(head).hexdigest() if hash_file else None  # head: all of it
            return _ScanResult([_values.Inference() for _ in infer], 0, False, False, 0, sha256)
        return _scan_file(
            path,
            name,
            encoding=encoding,
            delimiter=delimiter,
            field_count=field_count,
            header_lines=header_end,
            numbers=numbers,
            contract_ref=contract_ref,
            infer=infer,
            hash_file=hash_file,
            first_block=first_block,
        )

    provisional = has_body and from_first_block and stat.st_size > SINGLE_PASS_FROM
    scan = scan_file(provisional)
    columns = _columns(headers, normalized, rules, scan.inference)
    if provisional and (scan.data_rows == 0 or not columns):
        provisional = False  # the first block shows too little: read the whole file first
        scan = scan_file(provisional)
        columns = _columns(headers, normalized, rules, scan.inference)
    if not columns:
        raise IngestError(
            name,
            "the file has no named column with any value",
            line=skipped + 1,
            fix="add a header line with the column names",
        )

    if contract and contract.require_rows and scan.data_rows == 0:
        raise IngestError(
            name,
            "the file has a header but no data rows, and the contract requires rows",
            fix=f"export the file again with its rows, or set require_rows: false in "
            f"{contract_ref}",
        )

    partition = _partition(name, columns, contract, contract_ref)
    return FilePlan(
        path=path,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        data_rows=0 if provisional else scan.data_rows,
        partition=partition,
        display_name=name,
        header_lines=header_end,
        field_count=field_count,
        block_size=scan.block_size,
        multiline=scan.multiline,
        direct_cast=_direct_cast(columns, field_count, scan.inference),
        has_body=has_body,
        irregular_lines=scan.irregular_lines,
        thousands_separator=numbers.thousands,
        decimal_separator=numbers.decimal,
        max_reject_ratio=contract.max_reject_ratio if contract else None,
        file_size=stat.st_size,
        file_mtime_ns=stat.st_mtime_ns,
        contract=contract,
        sha256=scan.sha256,
        first_block=tuple(scan.inference) if provisional else (),
    )


def _columns(
    headers: list[str],
    normalized: list[str],
    rules: list[ColumnRule | None],
    inference: list[_values.Inference],
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


def _direct_cast(
    columns: list[Column], field_count: int, inference: list[_values.Inference]
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


def _contract_ref(display: str, path: Path, contract: Contract | None) -> str:
    """How messages name the contract: next to the file, as the file is displayed."""
    file_name = contract.path.name if contract else f"{path.stem}.contract.yaml"
    return (PurePosixPath(display).parent / file_name).as_posix()


def _last_named(headers: list[str]) -> int:
    """Position after the last non-empty header."""
    for i in range(len(headers) - 1, -1, -1):
        if headers[i].strip():
            return i + 1
    return 0


def _check_text(name: str, head: bytes, encoding: str, *, at_eof: bool) -> None:
    """Reject empty, UTF-16 and binary files from their first bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(
            name,
            "the file is UTF-16 encoded",
            fix="save it as CSV UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')",
        )
    body = head[len(_UTF8_BOM) :] if head.startswith(_UTF8_BOM) else head
    if at_eof and not body.strip():
        raise IngestError(
            name,
            "the file is empty" if not body else "the file contains only whitespace",
            fix="export the table again with its header and rows, or remove the file",
        )
    probe = body[:_BINARY_PROBE]
    nul = probe.find(b"\x00")
    controls = sum(1 for b in probe if b < 32 and b not in (9, 10, 12, 13))
    if nul >= 0 or (probe and controls / len(probe) > 0.1):
        where = f" (a NUL byte at offset {nul + len(head) - len(body)})" if nul >= 0 else ""
        raise IngestError(
            name,
            f"this is not delimited text: it contains binary data{where}",
            fix="export the data as a CSV text file (a spreadsheet or archive cannot be "
            "loaded directly)",
        )


def _decode_sample(
    path: Path, name: str, head: bytes, encoding: str, size: int, contract_ref: str
) -> tuple[str, bool]:
    """Decode the first bytes; an invalid UTF-8 byte there is an IngestError."""
    at_eof = len(head) >= size
    if encoding == "latin-1":
        return head.decode("latin-1"), at_eof
    body = head[len(_UTF8_BOM) :] if head.startswith(_UTF8_BOM) else head
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        return decoder.decode(body, final=at_eof), at_eof
    except UnicodeDecodeError:
        _raise_utf8_error(path, name, contract_ref)
        raise  # unreachable: _raise_utf8_error always raises


def _raise_utf8_error(path: Path, name: str, contract_ref: str) -> None:
    """Find the first invalid UTF-8 byte of the file and raise an IngestError naming it."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    newlines = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_SCAN_CHUNK)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # Position relative to the bytes the decoder held back plus this chunk.
                pending = len(exc.object) - len(chunk)
                bad = offset - pending + exc.start
                with path.open("rb") as again:
                    before = again.read(bad)
                newlines = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
                byte = exc.object[exc.start : exc.start + 1].hex()
                raise IngestError(
                    name,
                    f"invalid UTF-8 (byte 0x{byte} at byte offset {bad})",
                    line=newlines + 1,
                    fix=f"re-save the file as UTF-8, or declare encoding: latin-1 in "
                    f"{contract_ref} if it is Latin-1",
                ) from None
            if final:
                break
            offset += len(chunk)
    raise IngestError(  # pyarrow refused the text but Python decodes it: still not UTF-8
        name,
        "the file is not valid UTF-8",
        fix=f"re-save the file as UTF-8, or declare encoding: latin-1 in {contract_ref}",
    )


def _field_counts(text: str, delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    counts: list[int] = []
    try:
        for row in reader:
            if row and any(f.strip() for f in row):
                counts.append(len(row))
            if len(counts) >= _SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    return counts


def _detect_delimiter(name: str, header: str, data: list[str], contract_ref: str) -> str:
    """Comma, semicolon, tab or pipe: the one splitting the header consistently with the rows."""
    sample = "".join(data[: _SNIFF_RECORDS * 4])
    best: tuple[float, int, int] | None = None
    chosen = None
    for rank, d in enumerate(DELIMITERS):
        header_fields = _field_counts(header, d)
        if not header_fields or header_fields[0] < 2:
            continue
        n = header_fields[0]
        rows = _field_counts(sample, d)
        consistency = sum(1 for c in rows if c == n) / len(rows) if rows else 1.0
        score = (consistency, n, -rank)
        if best is None or score > best:
            best, chosen = score, d
    if chosen is not None:
        return chosen
    # One column. Unless the lines are split by some other character consistently.
    for d in _UNSUPPORTED_DELIMITERS:
        header_fields = _field_counts(header, d)
        if not header_fields or header_fields[0] < 2:
            continue
        rows = _field_counts(sample, d)
        if rows and sum(1 for c in rows if c == header_fields[0]) / len(rows) >= 0.9:
            raise IngestError(
                name,
                f"the lines look delimited by {d!r}, which is not detected automatically",
                line=1,
                fix=f"re-export with commas, semicolons, tabs or pipes, or declare "
                f"delimiter: {d!r} in {contract_ref}",
            )
    for d in DELIMITERS:  # a delimiter that does not split the values of the one column
        if d not in sample and d not in header:
            return d
    return ","


def _match_rules(
    name: str,
    headers: list[str],
    normalized: list[str],
    contract: Contract | None,
    contract_ref: str,
) -> list[ColumnRule | None]:
    rules: list[ColumnRule | None] = [None] * len(headers)
    if contract is None:
        return rules
    by_source = {h: i for i, h in enumerate(headers)}
    by_norm = {n: i for i, n in enumerate(normalized)}
    for key, rule in contract.columns.items():
        i = by_source.get(key)
        if i is None:
            i = by_norm.get(key)
        if i is None:
            i = by_norm.get(normalize_headers([key])[0])
        if i is None:
            shown = ", ".join(repr(h) for h in headers[:20])
            raise IngestError(
                name,
                f"the contract column {key!r} is not in the header (the columns are {shown})",
                line=1,
                fix=f"add the column to the file or correct its name in {contract_ref}",
            )
        rules[i] = rule
    return rules


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


# --------------------------------------------------------------------------------------------
# Reading the file with pyarrow
# --------------------------------------------------------------------------------------------


@dataclass
class _ScanResult:
    inference: list[_values.Inference]
    data_rows: int
    multiline: bool
    irregular_lines: bool
    block_size: int
    sha256: str | None = None


@dataclass
class _InvalidRow:
    number: int | None
    expected: int
    actual: int
    text: str


def _open(
    path: Path,
    *,
    encoding: str,
    delimiter: str,
    field_count: int,
    header_lines: int,
    block_size: int,
    include: list[int],
    use_threads: bool,
    newlines_in_values: bool,
    invalid: list[_InvalidRow],
    typed: dict[int, pa.DataType] | None = None,
) -> Any:
    """A streaming pyarrow reader; every column text, except the ``typed`` positions."""
    import pyarrow.csv as pacsv

    typed = typed or {}

    names = [f"f{i}" for i in range(field_count)]

    def on_invalid(row: Any) -> str:
        invalid.append(_InvalidRow(row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=header_lines,
            block_size=block_size,
            use_threads=use_threads,
            encoding=encoding,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=newlines_in_values,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: typed.get(i, pa.string()) for i, n in enumerate(names)},
            include_columns=[names[i] for i in include],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
            true_values=list(_values.BOOLEAN_TRUE),
            false_values=list(_values.BOOLEAN_FALSE),
            check_utf8=True,
        ),
    )


def _blank_rows(columns: list[pa.Array], field_count: int) -> pa.Array:
    """Rows that are blank lines (or have only empty fields)."""
    if field_count == 1 and len(columns) == 1 and pa.types.is_string(columns[0].type):
        return pc.is_null(_values.blank_to_null(columns[0]))
    mask = pc.is_null(columns[0])
    for col in columns[1:]:
        mask = pc.and_(mask, pc.is_null(col))
    return mask


def _take(invalid: list[_InvalidRow]) -> list[_InvalidRow]:
    """Move the rows reported so far out of the list (parse threads may still append)."""
    n = len(invalid)
    taken = invalid[:n]
    del invalid[:n]
    return taken


def _is_blank_line(text: str) -> bool:
    return not text.strip()


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _arrow_error(exc: Exception, path: Path, name: str, contract_ref: str) -> IngestError:
    message = str(exc)
    if "UTF8" in message or "UTF-8" in message:
        try:
            _raise_utf8_error(path, name, contract_ref)
        except IngestError as err:
            return err
    return IngestError(
        name,
        f"cannot be parsed as CSV: {message}",
        fix="check the quoting of the file (every opening quote needs a closing quote)",
    )


def _scan_file(
    path: Path,
    name: str,
    *,
    encoding: str,
    delimiter: str,
    field_count: int,
    header_lines: int,
    numbers: _values.NumberFormat,
    contract_ref: str,
    infer: list[bool],
    hash_file: bool,
    first_block: bool,
) -> _ScanResult:
    block_size = _INITIAL_BLOCK_SIZE
    while True:
        try:
            return _scan_once(
                path,
                encoding=encoding,
                delimiter=delimiter,
                field_count=field_count,
                header_lines=header_lines,
                block_size=block_size,
                numbers=numbers,
                infer=infer,
                hash_file=hash_file,
                first_block=first_block,
            )
        except pa.ArrowInvalid as exc:
            if "straddling" in str(exc) and block_size < _MAX_BLOCK_SIZE:
                block_size *= 4  # a row longer than a block: retry with larger blocks
                continue
            if "straddling" in str(exc):
                raise IngestError(
                    name,
                    "a row is longer than 1 GB (probably an unclosed quote)",
                    fix="close the quoted field",
                ) from None
            raise _arrow_error(exc, path, name, contract_ref) from None


def _scan_once(
    path: Path,
    *,
    encoding: str,
    delimiter: str,
    field_count: int,
    header_lines: int,
    block_size: int,
    numbers: _values.NumberFormat,
    infer: list[bool],
    hash_file: bool,
    first_block: bool,
) -> _ScanResult:
    scanner = _Scanner(
        path,
        field_count=field_count,
        header_lines=header_lines,
        numbers=numbers,
        infer=infer,
        hash_file=hash_file,
        count_lines=not first_block,
    )
    reader = scanner.open(
        encoding=encoding, delimiter=delimiter, block_size=block_size, use_threads=_PASS1_THREADS
    )
    with scanner:
        if first_block:
            batch = next(iter(reader), None)
            if batch is not None:
                scanner.add(batch)
            return scanner.result(block_size, first_block=batch)
        for batch in _read_ahead(reader):
            scanner.add(batch)
    return scanner.result(block_size)


class _Scanner:
    """Pass 1's bookkeeping over a file read as text, batch after batch: every column's
    type, the data rows, and (on another thread) the physical lines and the SHA-256."""

    def __init__(
        self,
        path: Path,
        *,
        field_count: int,
        header_lines: int,
        numbers: _values.NumberFormat,
        infer: list[bool],
        hash_file: bool,
        count_lines: bool = True,
        seed: tuple[_values.Inference, ...] = (),
    ) -> None:
        self.path, self.field_count, self.header_lines = path, field_count, header_lines
        self.inference = [copy.deepcopy(state) for state in seed] or [
            _values.Inference(numbers=numbers) for _ in range(field_count)
        ]
        for i, flag in enumerate(infer):
            if not flag:
                self.inference[i].candidates.clear()
        self.invalid: list[_InvalidRow] = []  # filled by the reader's parse
        self.data_rows = 0
        self.records = 0  # rows pyarrow parsed, blank ones included
        self.invalid_total = 0
        self.irregular = False
        # Count the file's lines meanwhile, on another thread (the parser releases the GIL).
        self._digest = hashlib.sha256() if hash_file else None
        self.line_count: Future[int] | None = None
        if count_lines:
            counter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-lines")
            self.line_count = counter.submit(_physical_lines, path, self._digest)
            counter.shutdown(wait=False)
        # Columns are inferred side by side: the compute kernels release the GIL (~10% of
        # this pass on two cores).
        self._columns = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="column")

    def __enter__(self) -> _Scanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self._columns.shutdown(wait=True, cancel_futures=True)

    def open(self, *, encoding: str, delimiter: str, block_size: int, use_threads: bool) -> Any:
        """The file's reader, every field as text."""
        return _open(
            self.path,
            encoding=encoding,
            delimiter=delimiter,
            field_count=self.field_count,
            header_lines=self.header_lines,
            block_size=block_size,
            include=list(range(self.field_count)),
            use_threads=use_threads,
            newlines_in_values=True,
            invalid=self.invalid,
        )

    def add(
        self, batch: pa.RecordBatch, settled: dict[int, ColumnType] | None = None
    ) -> tuple[list[_InvalidRow], dict[int, pa.Array]]:
        """Infers the batch's columns and counts its rows. Returns the invalid rows the
        reader reported meanwhile (they may belong to the next batch), and the columns of
        `settled` types whose values this batch cannot change, converted (Inference.
        cast_within; not with one column, whose blank lines are whitespace too)."""
        self.records += batch.num_rows
        text = list(batch.columns)
        blank = _blank_rows(text, self.field_count)
        rows = list(batch.filter(pc.invert(blank)).columns) if pc.any(blank).as_py() else text
        self.data_rows += len(rows[0])
        settled = settled if settled and self.field_count > 1 else {}

        def infer(position: int) -> pa.Array | None:
            state = self.inference[position]
            if position in settled:
                converted = state.cast_within(text[position], settled[position])
                if converted is not None:
                    return converted
            state.update(rows[position])
            return None

        results = self._columns.map(infer, range(self.field_count))
        converted = {i: values for i, values in enumerate(results) if values is not None}
        return self.take_invalid(), converted

    def take_invalid(self) -> list[_InvalidRow]:
        taken = _take(self.invalid)
        if taken:
            self.irregular = True
            self.invalid_total += len(taken)
            self.data_rows += sum(1 for row in taken if not _is_blank_line(row.text))
        return taken

    def most_rows(self) -> int | None:
        """At most this many data rows in the file, once its lines are counted."""
        if self.line_count is None or not self.line_count.done():
            return None
        return max(self.line_count.result() - self.header_lines, 0)

    def result(self, block_size: int, first_block: pa.RecordBatch | None = None) -> _ScanResult:
        """What the scan found; after `first_block` only, line breaks inside values are
        looked for in its values."""
        self.take_invalid()
        if self.line_count is not None:
            # Physical lines beyond one per record are line breaks inside quoted values.
            records = self.records + self.header_lines + self.invalid_total
            multiline = self.line_count.result() != records
        else:
            multiline = first_block is not None and any(
                pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py()
                for column in first_block.columns
            )
        sha256 = self._digest.hexdigest() if self._digest is not None else None
        return _ScanResult(
            self.inference, self.data_rows, multiline, self.irregular, block_size, sha256
        )


def _read_ahead(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches, the next one parsed on another thread while the caller works on this
    one: the single-threaded reader of pass 1 would otherwise wait for its caller."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-read") as reader:
        upcoming = reader.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = reader.submit(next, batches, None)
            yield batch


# --------------------------------------------------------------------------------------------
# Pass 2
# --------------------------------------------------------------------------------------------


def _physical_lines(path: Path, digest: hashlib._Hash | None = None) -> int:
    """Lines of the file; a line ends at LF, CRLF or CR (bytes.count: about 1 GB/s). The
    bytes go to `digest` too, when given."""
    lines = 0
    last = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            if digest is not None:
                digest.update(chunk)
            if last == b"\r" and chunk.startswith(b"\n"):
                lines -= 1  # a CRLF split between two chunks was counted twice
            lines += chunk.count(b"\n")
            if b"\r" in chunk:  # a memchr, several times faster than counting
                lines += chunk.count(b"\r") - chunk.count(b"\r\n")
            last = chunk[-1:]
    if last and last not in (b"\n", b"\r"):
        lines += 1  # the last line has no line end
    return lines


def _quote(value: str | None, delimiter: str) -> str:
    if value is None:
        return ""
    if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


class _Lines:
    """Maps record numbers (1-based, after the header, blank lines included) to lines."""

    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.next_record = 1  # record number of the block's first row
        self.breaks_before = 0  # line breaks inside records before the block

    def line(self, record: int, breaks_within_block: int) -> int:
        return self.first_line + (record - 1) + self.breaks_before + breaks_within_block


def read_batches(
    plan: FilePlan,
    contract: Contract | None = None,
    batch_rows: int = 65536,
    max_reject_ratio: float | None = None,
) -> Iterator[Batch]:
    """Pass 2: stream the file again, convert with the planned types, reject bad rows.

    Yields batches of at most ``batch_rows`` accepted rows (possibly 0 rows when a whole
    block was rejected) with the rejects found among them. Raises IngestError as soon as the
    rejects exceed ``max_reject_ratio`` (default: the contract's; not checked without
    either) of ``plan.data_rows``, or when the file changed since :func:`plan_file`.
    """
    if plan.provisional:
        raise ValueError("a provisional plan is read with read_file")
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    contract = contract if contract is not None else plan.contract
    name = plan.display_name or plan.path.as_posix()
    contract_ref = _contract_ref(name, plan.path, contract)
    budget = _RejectBudget(name, contract_ref, _ratio(plan, contract, max_reject_ratio))
    budget.rows(plan.data_rows)
    try:
        stat = plan.path.stat()
    except OSError as exc:
        raise IngestError(name, f"cannot be read: {exc.strerror or exc}") from None
    if stat.st_size != plan.file_size or stat.st_mtime_ns != plan.file_mtime_ns:
        raise IngestError(
            name,
            "the file changed after it was planned",
            fix="plan the file again (wait until it is completely written)",
        )
    numbers = _values.NumberFormat(plan.thousands_separator, plan.decimal_separator)
    schema = pa.schema([pa.field(c.name, c.type.arrow()) for c in plan.columns])
    if not plan.has_body:
        return
    # Columns whose every value pass 1 cast already are converted by the CSV reader itself.
    typed = {c.position: c.type.arrow() for c in plan.columns if c.position in plan.direct_cast}
    multiline = (
        [k for k, c in enumerate(plan.columns) if c.position not in typed] if plan.multiline else []
    )
    invalid: list[_InvalidRow] = []
    reader = _open(
        plan.path,
        encoding=plan.encoding,
        delimiter=plan.delimiter,
        field_count=plan.field_count,
        header_lines=plan.header_lines,
        block_size=plan.block_size,
        include=[c.position for c in plan.columns],
        use_threads=not plan.irregular_lines,
        newlines_in_values=plan.multiline,
        invalid=invalid,
        typed=typed,
    )
    lines = _Lines(plan.header_lines + 1)
    pending: list[_InvalidRow] = []
    try:
        for raw_batch in reader:
            if invalid:
                pending.extend(_take(invalid))
            batch_out = _process_block(
                raw_batch, plan, numbers, schema, multiline, lines, pending, batch_rows
            )
            for out in batch_out:
                budget.add(out.rejects)
                yield out
        if invalid:
            pending.extend(_take(invalid))
    except pa.ArrowInvalid as exc:
        raise _arrow_error(exc, plan.path, name, contract_ref) from None
    # Invalid rows after the last valid row.
    trailing = _trailing_invalid_rejects(pending, lines, plan)
    if trailing:
        budget.add(trailing)
        yield Batch(_empty(schema), trailing)


class PlanDisproved(Exception):
    """A provisional plan's types do not hold for the whole file (the message says why):
    what was read with it must be discarded and the file read with :func:`plan_file`."""


def read_file(
    plan: FilePlan,
    contract: Contract | None = None,
    batch_rows: int = 65536,
    max_reject_ratio: float | None = None,
    *,
    hash_file: bool = False,
) -> FileReading:
    """The file's rows as :class:`Batch` es (see read_batches) and, once they are all read,
    its complete plan: one read for a provisional plan (its SHA-256 computed meanwhile with
    `hash_file`), pass 2 for a complete one."""
    return FileReading(plan, contract, batch_rows, max_reject_ratio, hash_file=hash_file)


class FileReading:
    """Iterate for the batches; then `plan` is the file's complete plan.

    A provisional plan (types from the first block) is checked as the file is read, pass 1
    and pass 2 in one: every batch is read as text, its values inferred as pass 1 does,
    then converted as pass 2 does. When a later value changes a column's type (or fills a
    dropped empty column), PlanDisproved is raised at once. Line breaks inside values that
    the first block did not show only matter for the line numbers of rejects: a file with
    both is disproved at its end.
    """

    def __init__(
        self,
        plan: FilePlan,
        contract: Contract | None,
        batch_rows: int,
        max_reject_ratio: float | None,
        *,
        hash_file: bool = False,
    ) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        self.plan = plan
        self._contract = contract if contract is not None else plan.contract
        self._batch_rows = batch_rows
        self._max_reject_ratio = max_reject_ratio
        self._hash_file = hash_file

    def __iter__(self) -> Iterator[Batch]:
        if not self.plan.provisional:
            return read_batches(self.plan, self._contract, self._batch_rows, self._max_reject_ratio)
        return self._read_once()

    def _read_once(self) -> Iterator[Batch]:
        plan, contract = self.plan, self._contract
        name = plan.display_name or plan.path.as_posix()
        contract_ref = _contract_ref(name, plan.path, contract)
        budget = _RejectBudget(name, contract_ref, _ratio(plan, contract, self._max_reject_ratio))
        numbers = _values.NumberFormat(plan.thousands_separator, plan.decimal_separator)
        schema = pa.schema([pa.field(c.name, c.type.arrow()) for c in plan.columns])
        inferred = [c for c in plan.columns if not c.from_contract]
        kept = [c.position for c in plan.columns]
        dropped = [i for i in range(plan.field_count) if i not in kept]
        pinned = {c.position for c in plan.columns if c.from_contract}
        scanner = _Scanner(
            plan.path,
            field_count=plan.field_count,
            header_lines=plan.header_lines,
            numbers=numbers,
            infer=[i not in pinned for i in range(plan.field_count)],
            hash_file=self._hash_file,
            seed=plan.first_block,
        )
        settled = {c.position: c.type for c in inferred}
        # Invalid rows need their row numbers, which only the single-threaded reader gives.
        reader = scanner.open(
            encoding=plan.encoding,
            delimiter=plan.delimiter,
            block_size=plan.block_size,
            use_threads=False,
        )
        lines = _Lines(plan.header_lines + 1)
        pending: list[_InvalidRow] = []
        with scanner:
            try:
                for raw in _read_ahead(reader):
                    invalid, converted = scanner.add(raw, settled)
                    pending.extend(invalid)
                    for column in inferred:
                        seen = scanner.inference[column.position].result()
                        if seen != column.type:
                            raise PlanDisproved(
                                f"column {column.name} is {seen.trino()}, not "
                                f"{column.type.trino()} as its first rows suggested"
                            )
                    for position in dropped:
                        if scanner.inference[position].non_null:
                            raise PlanDisproved(f"the empty column {position + 1} has values")
                    # As in _direct_cast: one column's blank lines were filtered before
                    # its values were inferred, not before they are converted.
                    direct = set(converted) | {
                        c.position
                        for c in inferred
                        if plan.field_count > 1
                        and c.position not in converted
                        and scanner.inference[c.position].casts_directly_to(c.type)
                    }
                    block = pa.RecordBatch.from_arrays(
                        [converted.get(i, raw.column(i)) for i in kept],
                        names=[f"f{i}" for i in kept],
                    )
                    multiline = [
                        k
                        for k, c in enumerate(plan.columns)
                        if plan.multiline and c.position not in converted
                    ]
                    for out in _process_block(
                        block,
                        plan,
                        numbers,
                        schema,
                        multiline,
                        lines,
                        pending,
                        self._batch_rows,
                        direct,
                    ):
                        budget.add(out.rejects, most_rows=scanner.most_rows())
                        yield out
                pending.extend(scanner.take_invalid())
            except pa.ArrowInvalid as exc:
                if "straddling" in str(exc):
                    raise PlanDisproved("a row is longer than the first block") from None
                raise _arrow_error(exc, plan.path, name, contract_ref) from None
            trailing = _trailing_invalid_rejects(pending, lines, plan)
            found = scanner.result(plan.block_size)
        if found.multiline and not plan.multiline and (budget.count or trailing):
            raise PlanDisproved("values with line breaks make the rejects' line numbers differ")
        budget.rows(found.data_rows)
        budget.add(trailing)
        if trailing:
            yield Batch(_empty(schema), trailing)
        self.plan = replace(
            plan,
            data_rows=found.data_rows,
            multiline=found.multiline,
            irregular_lines=found.irregular_lines,
            sha256=found.sha256,
            direct_cast=_direct_cast(plan.columns, plan.field_count, found.inference),
            first_block=(),
        )


def _ratio(
    plan: FilePlan, contract: Contract | None, max_reject_ratio: float | None
) -> float | None:
    if max_reject_ratio is not None:
        return max_reject_ratio
    return contract.max_reject_ratio if contract else plan.max_reject_ratio


class _RejectBudget:
    """Fails the read once the rejects exceed `ratio` of the file's data rows. While they
    are not known yet (one read for a provisional plan), it fails against their upper
    bound, the physical lines: a verdict that can only hold once they are."""

    def __init__(self, name: str, contract_ref: str, ratio: float | None) -> None:
        self.name, self.contract_ref, self.ratio = name, contract_ref, ratio
        self.count = 0
        self.first: Reject | None = None
        self.data_rows: int | None = None

    def rows(self, data_rows: int) -> None:
        self.data_rows = data_rows
        self.add([])

    def add(self, rejects: list[Reject], most_rows: int | None = None) -> None:
        self.count += len(rejects)
        if self.first is None and rejects:
            self.first = rejects[0]
        rows = self.data_rows if self.data_rows is not None else most_rows
        if self.ratio is None or rows is None or self.count <= int(self.ratio * rows):
            return
        assert self.first is not None
        counted = f"the {rows} rows" if self.data_rows is not None else f"at most {rows} rows"
        raise IngestError(
            self.name,
            f"more than {self.ratio:.2%} of {counted} are rejected (max_reject_ratio); "
            f"e.g. line {self.first.line}: {self.first.reason}",
            fix=f"correct the rows in the file, or raise max_reject_ratio in {self.contract_ref}",
        )


def _changed_while_reading(plan: FilePlan) -> IngestError:
    # Pass 1 found no ragged rows, so pass 2 read without row numbers: the file changed.
    return IngestError(
        plan.display_name,
        "the file changed while it was read",
        fix="load it again once it is completely written",
    )


def _empty(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


def _trailing_invalid_rejects(
    pending: list[_InvalidRow], lines: _Lines, plan: FilePlan
) -> list[Reject]:
    """Rejects for the invalid rows after the last valid row of the file."""
    rejects: list[Reject] = []
    pending.sort(key=lambda r: r.number or 0)
    for row in pending:
        if row.number is None:
            raise _changed_while_reading(plan)
        record = row.number - plan.header_lines
        if not _is_blank_line(row.text):
            rejects.append(
                Reject(
                    lines.line(record, 0),
                    row.text,
                    f"expected {row.expected} fields, found {row.actual}",
                )
            )
        lines.breaks_before += _breaks(row.text)
        lines.next_record = record + 1
    pending.clear()
    return rejects


def _process_block(
    raw: pa.RecordBatch,
    plan: FilePlan,
    numbers: _values.NumberFormat,
    schema: pa.Schema,
    multiline: list[int],
    lines: _Lines,
    pending: list[_InvalidRow],
    batch_rows: int,
    direct: Collection[int] | None = None,
) -> list[Batch]:
    """The block's accepted rows and rejects; `direct`: the positions whose text casts as it
    is (default: the plan's)."""
    n = raw.num_rows
    columns = list(raw.columns)
    direct = set(plan.direct_cast) if direct is None else direct

    # Which invalid rows fall inside this block: walk them in record order.
    pending.sort(key=lambda r: r.number or 0)
    start = lines.next_record
    end = start + n  # exclusive, grows with each invalid row inside the block
    inside: list[tuple[int, _InvalidRow]] = []
    while pending:
        number = pending[0].number
        if number is None:
            raise _changed_while_reading(plan)
        record = number - plan.header_lines
        if record >= end:
            break
        inside.append((record, pending.pop(0)))
        end += 1
    invalid_records = [r for r, _ in inside]

    def record_of(row: int) -> int:
        record = start + row
        for inv in invalid_records:
            if inv <= record:
                record += 1
            else:
                break
        return record

    # Line breaks inside values: per row, only when some column has them.
    row_breaks: pa.Array | None = None
    if multiline:
        counts = [
            pc.fill_null(
                pc.subtract(
                    pc.add(
                        pc.count_substring(columns[k], "\n"), pc.count_substring(columns[k], "\r")
                    ),
                    pc.count_substring(columns[k], "\r\n"),
                ),
                0,
            )
            for k in multiline
        ]
        row_breaks = counts[0]
        for extra in counts[1:]:
            row_breaks = pc.add(row_breaks, extra)
    cumulative: list[int] | None = None

    def breaks_before_record(record: int) -> int:
        """Line breaks inside the block's records before ``record``."""
        nonlocal cumulative
        total = 0
        valid_before = record - start - sum(1 for r in invalid_records if r < record)
        if row_breaks is not None and valid_before > 0:
            if cumulative is None:
                cumulative = pc.cumulative_sum(row_breaks).to_pylist()
            total += cumulative[valid_before - 1]
        total += sum(_breaks(row.text) for r, row in inside if r < record)
        return total

    rejects: list[tuple[int, Reject]] = []  # (row position in block or -1, reject)

    for record, invalid_row in inside:
        if _is_blank_line(invalid_row.text):
            continue
        line = lines.line(record, breaks_before_record(record))
        # position: number of valid rows before it
        valid_before = record - start - sum(1 for r in invalid_records if r < record)
        rejects.append(
            (
                valid_before,
                Reject(
                    line,
                    invalid_row.text,
                    f"expected {invalid_row.expected} fields, found {invalid_row.actual}",
                ),
            )
        )

    blank = _blank_rows(columns, plan.field_count) if n else pa.array([], pa.bool_())
    converted: list[pa.Array] = []
    bad_masks: list[pa.Array | None] = []
    reasons: list[Any] = []
    for k, col in enumerate(plan.columns):
        conv = _values.convert(
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
    reject_mask = _values.combine(bad_masks)
    if reject_mask is not None:
        reject_mask = pc.and_not(pc.fill_null(reject_mask, False), blank)
    keep = pc.invert(blank)
    has_rejects = _values.any_true(reject_mask)
    if has_rejects:
        assert reject_mask is not None
        keep = pc.and_not(keep, reject_mask)
        bad_index = pc.indices_nonzero(reject_mask)
        bad_rows = bad_index.to_pylist()
        # Only the rejected rows go to Python, a column at a time.
        raw_values = [columns[k].take(bad_index).to_pylist() for k in range(len(plan.columns))]
        bad_flags = [m.take(bad_index).to_pylist() if m is not None else None for m in bad_masks]
        for i, row in enumerate(bad_rows):
            texts = [_text(values[i]) for values in raw_values]
            why = []
            for k, col in enumerate(plan.columns):
                flags = bad_flags[k]
                if flags is None or not flags[i]:
                    continue
                value = texts[k]
                if value is None or (col.type.kind != "varchar" and not value.strip()):
                    why.append(f"column {col.name} is required but empty")
                else:
                    why.append(f"column {col.name}: {reasons[k](value)}")
            record = record_of(row)
            line = lines.line(record, breaks_before_record(record))
            rejects.append((row, Reject(line, _raw_text(plan, texts), "; ".join(why))))

    accepted = pa.RecordBatch.from_arrays(converted, schema=schema)
    kept_before: list[int] | None = None
    if n and (has_rejects or pc.any(blank).as_py()):
        accepted = accepted.filter(keep)
        if rejects:
            # how many rows are kept before each row, to hand each reject to its slice
            kept_before = pc.cumulative_sum(pc.cast(keep, pa.int64())).to_pylist()

    # Advance the line bookkeeping past this block.
    lines.breaks_before += (pc.sum(row_breaks).as_py() or 0) if row_breaks is not None else 0
    lines.breaks_before += sum(_breaks(row.text) for _, row in inside)
    lines.next_record = end

    rejects.sort(key=lambda item: item[1].line)
    out: list[Batch] = []
    total = accepted.num_rows
    slices = max(1, -(-total // batch_rows))
    buckets: list[list[Reject]] = [[] for _ in range(slices)]
    for position, reject in rejects:
        if kept_before is None:
            index = position
        else:
            index = kept_before[min(position, len(kept_before)) - 1] if position > 0 else 0
        buckets[min(index // batch_rows, slices - 1)].append(reject)
    for s in range(slices):
        out.append(Batch(accepted.slice(s * batch_rows, batch_rows), buckets[s]))
    return out


def _text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


def _raw_text(plan: FilePlan, texts: list[str | None]) -> str:
    """The fields of a row re-joined with the delimiter, dropped empty columns included."""
    by_position: dict[int, str | None] = {c.position: texts[k] for k, c in enumerate(plan.columns)}
    fields = [_quote(by_position.get(i), plan.delimiter) for i in range(plan.field_count)]
    return plan.delimiter.join(fields)
