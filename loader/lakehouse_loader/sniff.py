"""Sniffing: from the first megabyte of a file, how to read it and what its header says.

A header longer than that is read with a larger sample (up to 64 MB, more than any header
has: beyond, the file is refused with the header's line).

It refuses what cannot be loaded at all (empty, binary, UTF-16, invalid UTF-8), finds the
header record (after leading blank lines; it may span lines inside quotes), detects the
delimiter and matches the contract's columns to the header. The result, :class:`Sniffed`,
is the skeleton of the file's plan: ``plan.plan_file`` adds what only reading every row
tells (the column types, the data rows).

File rules decided here:

* The header is the first non-blank line. A quote only opens a quoted name at the start of
  a field, so a bare quote inside a name is a literal character.
* A one-column file is fine when the header has no comma, semicolon, tab or pipe.
* Another character splitting every line alike (``^``, ``~`` ...) is named, not guessed:
  only a contract may declare it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .contract import ColumnRule, Contract
from .errors import IngestError
from .formats import NumberFormat
from .names import normalize_headers

__all__ = ["DELIMITERS", "Sniffed", "contract_ref", "raise_utf8_error", "sniff"]

#: Delimiters detected automatically, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Characters that look like a delimiter but are not detected (a contract may declare them).
_UNSUPPORTED_DELIMITERS = ("^", "~", "#", "!", "\x1f", "¦", "¬")

_SAMPLE_BYTES = 1 << 20  # bytes read to find the header and the delimiter
_MAX_SAMPLE_BYTES = 64 << 20  # ... at the most, for a long header
_SNIFF_RECORDS = 200
_BINARY_PROBE = 8192
_SCAN_CHUNK = 16 << 20
_UTF8_BOM = b"\xef\xbb\xbf"

# A quote at the start of a field (after a line start, optional blanks, or a delimiter).
_FIELD_QUOTE = re.compile(r'(?:^|[,;\t|])\s*"')


@dataclass(frozen=True)
class Sniffed:
    """What the start of a file tells: how to read it, and its header."""

    path: Path
    name: str  # the file as messages show it
    contract_ref: str  # its contract as messages name it
    size: int
    mtime_ns: int
    head: bytes  # the first bytes of the file (all of it when nothing follows the header)
    encoding: str  # "utf-8" or "latin-1"
    delimiter: str
    headers: list[str]  # as in the file
    normalized: list[str]  # SQL names
    rules: list[ColumnRule | None]  # the contract's rule for each field, if any
    numbers: NumberFormat
    header_line: int  # physical line where the header starts
    header_lines: int  # physical lines up to and including the header
    has_body: bool  # something follows the header

    @property
    def field_count(self) -> int:
        """Fields per line, including empty trailing ones."""
        return len(self.headers)


def sniff(path: Path, contract: Contract | None = None, display_name: str | None = None) -> Sniffed:
    """Reads the first megabyte of the file (more when the header is longer). Raises
    IngestError (with a fix) for files that cannot be loaded: empty, binary, not UTF-8, no
    usable header, missing contract columns."""
    path = Path(path)
    name = display_name or path.as_posix()
    ref = contract_ref(name, path, contract)
    encoding = (contract.encoding if contract else None) or "utf-8"
    # The header must be whole in the sample: a file whose first line is longer than the
    # sample is read again with a larger one, up to a size no header has.
    sample = _SAMPLE_BYTES
    while True:
        stat, head = _read_head(path, name, sample)
        _check_text(name, head, encoding, at_eof=len(head) == stat.st_size)
        text, at_eof = _decode_sample(path, name, head, encoding, stat.st_size, ref)
        lines = text.splitlines(keepends=True)
        if not at_eof and lines and not lines[-1].endswith(("\n", "\r")):
            lines.pop()  # partial last line of the sample
        skipped, header_end, whole = _header_record(lines)
        if whole or at_eof or sample >= _MAX_SAMPLE_BYTES:
            break
        sample *= 4
    if not whole:
        raise _no_header(name, lines, skipped, header_end, at_eof=at_eof)
    header_text = "".join(lines[skipped:header_end])
    data_sample = lines[header_end:]

    delimiter = contract.delimiter if contract and contract.delimiter else None
    # Python's csv refuses fields over 128 KB by default: a long header name is one.
    with _field_size_limit(len(text)):
        if delimiter is None:
            delimiter = _detect_delimiter(name, header_text, data_sample, ref)
        headers = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter))
    if headers:
        headers[0] = headers[0].lstrip("\ufeff")

    numbers = NumberFormat(
        contract.thousands_separator if contract else None,
        contract.decimal_separator if contract else ".",
    )
    if numbers.thousands is not None and numbers.thousands == delimiter:
        raise IngestError(
            name,
            f"the thousands separator {numbers.thousands!r} is also the delimiter",
            fix=f"remove thousands_separator from {ref} or use another delimiter",
        )
    if contract and numbers.decimal == delimiter:
        raise IngestError(
            name,
            f"the decimal separator {numbers.decimal!r} is also the delimiter",
            fix="quote such numbers in the file or use another delimiter",
        )

    normalized = normalize_headers(headers)
    rules = _match_rules(name, headers, normalized, contract, ref)

    has_body = not at_eof or any(line.strip() for line in data_sample)
    return Sniffed(
        path=path,
        name=name,
        contract_ref=ref,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        head=head,
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        normalized=normalized,
        rules=rules,
        numbers=numbers,
        header_line=skipped + 1,
        header_lines=header_end,
        has_body=has_body,
    )


def _read_head(path: Path, name: str, size: int) -> tuple[os.stat_result, bytes]:
    """The file's stat and its first `size` bytes."""
    try:
        stat = path.stat()
        with path.open("rb") as fh:
            return stat, fh.read(size)
    except OSError as exc:
        raise IngestError(
            name, f"cannot be read: {exc.strerror or exc}", fix="check the path and permissions"
        ) from None


def _header_record(lines: list[str]) -> tuple[int, int, bool]:
    """Where the header record is among the sample's `lines`: the index of its first line
    (after blank ones), of the line after it, and whether it is whole in the sample."""
    skipped = 0
    while skipped < len(lines) and not lines[skipped].strip():
        skipped += 1
    if skipped == len(lines):
        return skipped, skipped, False
    # A quote only opens a quoted field at the start of a field; one inside a bare field
    # (`id"; DROP TABLE x`) is a literal character, as CSV readers treat it. So the header
    # can only span lines when one of its fields starts with a quote.
    if not _FIELD_QUOTE.search(lines[skipped]):
        return skipped, skipped + 1, True
    quotes = 0
    end = skipped
    while end < len(lines):
        quotes += lines[end].count('"')
        end += 1
        if quotes % 2 == 0:
            return skipped, end, True
    return skipped, end, False


def _no_header(
    name: str, lines: list[str], skipped: int, header_end: int, *, at_eof: bool
) -> IngestError:
    """Why the sample has no whole header record (see _header_record)."""
    limit = f"{_MAX_SAMPLE_BYTES >> 20} MB"
    if skipped == len(lines) and at_eof:  # blank lines of Unicode whitespace only
        return IngestError(
            name,
            "the file contains only blank lines",
            fix="export the table again with its header and rows, or remove the file",
        )
    if header_end > skipped:  # a quoted header name that is not closed in the sample
        return IngestError(
            name,
            "the header has an unclosed quote"
            + ("" if at_eof else f" (or is longer than {limit})"),
            line=skipped + 1,
            fix="close the quoted header name",
        )
    return IngestError(
        name,
        f"the header line is longer than {limit}: this is no CSV header",
        line=skipped + 1,
        fix="export the file again as delimited text whose first line names the columns",
    )


def contract_ref(display: str, path: Path, contract: Contract | None) -> str:
    """How messages name the contract: next to the file, as the file is displayed."""
    file_name = contract.path.name if contract else f"{path.stem}.contract.yaml"
    return (PurePosixPath(display).parent / file_name).as_posix()


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
        raise_utf8_error(path, name, contract_ref)
        raise  # unreachable: raise_utf8_error always raises


def raise_utf8_error(path: Path, name: str, contract_ref: str) -> None:
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


@contextlib.contextmanager
def _field_size_limit(size: int) -> Iterator[None]:
    """Python's csv module reads fields of up to `size` characters meanwhile."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, size))
    try:
        yield
    finally:
        csv.field_size_limit(limit)


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
