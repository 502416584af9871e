"""Physical lines: how many a file has, and on which one each record starts.

A reject names the physical, 1-based line where its row starts, as an editor shows it. The
reader only numbers records (rows after the header, blank lines included), so a record's
line is its number plus the line breaks inside the quoted values before it. Those are
counted per row in the values, and in the raw text of the rows the reader skipped (their
record numbers come from the reader's invalid-row handler).

A line ends at LF, CRLF or CR, also inside quoted fields.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .csv_reader import InvalidRow
from .errors import IngestError

__all__ = ["Block", "Lines", "breaks", "breaks_per_row", "line_at", "physical_lines"]

_SCAN_CHUNK = 16 << 20


def physical_lines(path: Path, digest: hashlib._Hash | None = None) -> int:
    """Lines of the file; a line ends at LF, CRLF or CR (bytes.count: about 1 GB/s). The
    bytes go to `digest` too, when given."""
    lines, last = _count_breaks(path, digest)
    if last and last not in (b"\n", b"\r"):
        lines += 1  # the last line has no line end
    return lines


def line_at(path: Path, offset: int) -> int:
    """The physical line of the file's byte at `offset`."""
    return _count_breaks(path, limit=offset)[0] + 1


def _count_breaks(
    path: Path, digest: hashlib._Hash | None = None, limit: int | None = None
) -> tuple[int, bytes]:
    """Line breaks in the file (in its first `limit` bytes), and the last byte counted."""
    lines = 0
    last = b""
    left = limit
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK if left is None else min(_SCAN_CHUNK, left)):
            if digest is not None:
                digest.update(chunk)
            if last == b"\r" and chunk.startswith(b"\n"):
                lines -= 1  # a CRLF split between two chunks was counted twice
            lines += chunk.count(b"\n")
            if b"\r" in chunk:  # a memchr, several times faster than counting
                lines += chunk.count(b"\r") - chunk.count(b"\r\n")
            last = chunk[-1:]
            if left is not None:
                left -= len(chunk)
    return lines, last


def breaks(text: str) -> int:
    """Line breaks in a text."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def breaks_per_row(columns: list[pa.Array], which: list[int]) -> pa.Array | None:
    """Line breaks inside the values of each row, in the columns `which` (None: no column)."""
    if not which:
        return None
    counts = [
        pc.fill_null(
            pc.subtract(
                pc.add(pc.count_substring(columns[k], "\n"), pc.count_substring(columns[k], "\r")),
                pc.count_substring(columns[k], "\r\n"),
            ),
            0,
        )
        for k in which
    ]
    row_breaks = counts[0]
    for extra in counts[1:]:
        row_breaks = pc.add(row_breaks, extra)
    return row_breaks


def _changed_while_reading(name: str) -> IngestError:
    # Pass 1 found no ragged rows, so pass 2 read without row numbers: the file changed.
    return IngestError(
        name,
        "the file changed while it was read",
        fix="load it again once it is completely written",
    )


class Lines:
    """Maps record numbers (1-based, after the header, blank lines included) to lines, block
    after block of the reader."""

    def __init__(self, header_lines: int) -> None:
        self.header_lines = header_lines
        self.first_line = header_lines + 1
        self.next_record = 1  # record number of the block's first row
        self.breaks_before = 0  # line breaks inside records before the block

    def line(self, record: int, breaks_within_block: int) -> int:
        return self.first_line + (record - 1) + self.breaks_before + breaks_within_block

    def block(
        self, rows: int, pending: list[InvalidRow], row_breaks: pa.Array | None, name: str
    ) -> Block:
        """The next block, of `rows` rows read (`row_breaks`: the line breaks inside each
        one's values): takes the invalid rows that fall inside it out of `pending`."""
        # Which invalid rows fall inside this block: walk them in record order.
        pending.sort(key=lambda r: r.number or 0)
        end = self.next_record + rows  # exclusive, grows with each invalid row inside the block
        inside: list[tuple[int, InvalidRow]] = []
        while pending:
            number = pending[0].number
            if number is None:
                raise _changed_while_reading(name)
            record = number - self.header_lines
            if record >= end:
                break
            inside.append((record, pending.pop(0)))
            end += 1
        return Block(self, inside, row_breaks, end)

    def after_last_block(
        self, pending: list[InvalidRow], name: str
    ) -> list[tuple[int, InvalidRow]]:
        """The invalid rows after the last valid row of the file, with their lines."""
        found: list[tuple[int, InvalidRow]] = []
        pending.sort(key=lambda r: r.number or 0)
        for row in pending:
            if row.number is None:
                raise _changed_while_reading(name)
            record = row.number - self.header_lines
            found.append((self.line(record, 0), row))
            self.breaks_before += breaks(row.text)
            self.next_record = record + 1
        pending.clear()
        return found


class Block:
    """The records of one block: the rows read, with the reader's invalid rows (skipped, so
    not among the rows) in between; where each starts. `done` moves `lines` past it."""

    def __init__(
        self,
        lines: Lines,
        invalid: list[tuple[int, InvalidRow]],
        row_breaks: pa.Array | None,
        end: int,
    ) -> None:
        self._lines = lines
        self.start = lines.next_record
        self.end = end
        self.invalid = invalid  # (record number, row)
        self._invalid_records = [r for r, _ in invalid]
        self._row_breaks = row_breaks
        self._cumulative: list[int] | None = None

    def record_of(self, row: int) -> int:
        """The record number of the block's `row`-th row read."""
        record = self.start + row
        for inv in self._invalid_records:
            if inv <= record:
                record += 1
            else:
                break
        return record

    def rows_before(self, record: int) -> int:
        """Rows read in the block before `record`."""
        return record - self.start - sum(1 for r in self._invalid_records if r < record)

    def line(self, record: int) -> int:
        """The physical line where `record` starts."""
        return self._lines.line(record, self._breaks_before(record))

    def _breaks_before(self, record: int) -> int:
        """Line breaks inside the block's records before ``record``."""
        total = 0
        valid_before = self.rows_before(record)
        if self._row_breaks is not None and valid_before > 0:
            if self._cumulative is None:
                self._cumulative = pc.cumulative_sum(self._row_breaks).to_pylist()
            total += self._cumulative[valid_before - 1]
        total += sum(breaks(row.text) for r, row in self.invalid if r < record)
        return total

    def done(self) -> None:
        """Advance the line bookkeeping past this block."""
        lines = self._lines
        if self._row_breaks is not None:
            lines.breaks_before += pc.sum(self._row_breaks).as_py() or 0
        lines.breaks_before += sum(breaks(row.text) for _, row in self.invalid)
        lines.next_record = self.end
