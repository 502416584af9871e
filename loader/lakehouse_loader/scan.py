"""Pass 1: the whole file read as text, for what its plan needs to know.

Batch after batch, every column's :class:`~.infer.Inference` is updated, the data rows
are counted and the rows with the wrong number of fields noted; meanwhile another thread
counts the physical lines (and computes the SHA-256, when asked): more lines than records
means line breaks inside quoted values. :class:`Scanner` is this bookkeeping; the one read
of a provisional plan (``read.FileReading``) uses it too, so both come to the same plan.

A row (or the header) longer than a block makes pyarrow fail: the scan starts again with
blocks four times larger, and the plan keeps the block size that worked.

A file that ends inside a quoted value is refused, naming the line of the quote: pyarrow
reads a quote that is never closed as a value that runs to the end of the file, taking
every line after it for part of it (the row then has too few fields, or it is the last
value of the last row). Only the end of the file can tell: a quote closed later, even by
mistake, ends the value there.
"""

from __future__ import annotations

import copy
import hashlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .csv_reader import (
    InvalidRow,
    arrow_error,
    blank_rows,
    is_blank_line,
    longer_than_block,
    open_csv,
    open_quote,
    read_ahead,
    take_invalid,
)
from .errors import IngestError
from .formats import NumberFormat
from .infer import Inference
from .lines import line_at, physical_lines
from .sniff import Sniffed
from .types import ColumnType

__all__ = ["INITIAL_BLOCK_SIZE", "ScanResult", "Scanner", "scan_file"]

INITIAL_BLOCK_SIZE = 4 << 20  # memory: the reader reads up to ~32 blocks ahead
_MAX_BLOCK_SIZE = 1 << 30
_PASS1_THREADS = (os.cpu_count() or 1) > 2  # threads only pay off beyond two cores


@dataclass
class ScanResult:
    inference: list[Inference]
    data_rows: int
    multiline: bool
    irregular_lines: bool
    block_size: int
    sha256: str | None = None


def scan_file(
    file: Sniffed, *, infer: list[bool], hash_file: bool, first_block: bool
) -> ScanResult:
    """Pass 1 over the file (its first block only, with `first_block`) in blocks grown as
    its rows need; `infer`: the fields whose type is inferred (not pinned by the contract)."""
    block_size = INITIAL_BLOCK_SIZE
    while True:
        try:
            return _scan_once(file, block_size, infer, hash_file, first_block)
        except pa.ArrowInvalid as exc:
            if longer_than_block(exc) and block_size < _MAX_BLOCK_SIZE:
                block_size *= 4  # a row longer than a block: retry with larger blocks
                continue
            if longer_than_block(exc):
                raise IngestError(
                    file.name,
                    "a row is longer than 1 GB (probably an unclosed quote)",
                    fix="close the quoted field",
                ) from None
            raise arrow_error(exc, file.path, file.name, file.contract_ref) from None


def _scan_once(
    file: Sniffed, block_size: int, infer: list[bool], hash_file: bool, first_block: bool
) -> ScanResult:
    scanner = Scanner(
        file.path,
        name=file.name,
        field_count=file.field_count,
        header_lines=file.header_lines,
        numbers=file.numbers,
        infer=infer,
        hash_file=hash_file,
        count_lines=not first_block,
    )
    reader = scanner.open(
        encoding=file.encoding,
        delimiter=file.delimiter,
        block_size=block_size,
        use_threads=_PASS1_THREADS,
    )
    with scanner:
        if first_block:
            batch = next(iter(reader), None)
            if batch is not None:
                scanner.add(batch)
            return scanner.result(block_size, first_block=batch)
        for batch in read_ahead(reader):
            scanner.add(batch)
    return scanner.result(block_size)


class Scanner:
    """Pass 1's bookkeeping over a file read as text, batch after batch: every column's
    type, the data rows, and (on another thread) the physical lines and the SHA-256. Once
    it has read the whole file, it refuses one that ends inside a quoted value."""

    def __init__(
        self,
        path: Path,
        *,
        name: str,
        field_count: int,
        header_lines: int,
        numbers: NumberFormat,
        infer: list[bool],
        hash_file: bool,
        count_lines: bool = True,
        seed: tuple[Inference, ...] = (),
    ) -> None:
        self.path, self.field_count, self.header_lines = path, field_count, header_lines
        self.name = name
        self.inference = [copy.deepcopy(state) for state in seed] or [
            Inference(numbers=numbers) for _ in range(field_count)
        ]
        for i, flag in enumerate(infer):
            if not flag:
                self.inference[i].candidates.clear()
        self.invalid: list[InvalidRow] = []  # filled by the reader's parse
        self.data_rows = 0
        self.records = 0  # rows pyarrow parsed, blank ones included
        self.invalid_total = 0
        self.irregular = False
        self._encoding, self._delimiter = "utf-8", ","  # as open() reads the file
        # The end of the file, in case a quote is still open there: an invalid row's text
        # from the quote on, or the last value of the last row.
        self._open_quote: str | None = None
        self._last_value: pa.Scalar | None = None
        # Count the file's lines meanwhile, on another thread (the parser releases the GIL).
        self._digest = hashlib.sha256() if hash_file else None
        self.line_count: Future[int] | None = None
        if count_lines:
            counter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-lines")
            self.line_count = counter.submit(physical_lines, path, self._digest)
            counter.shutdown(wait=False)
        # Columns are inferred side by side: the compute kernels release the GIL (~10% of
        # this pass on two cores).
        self._columns = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="column")

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self._columns.shutdown(wait=True, cancel_futures=True)

    def open(self, *, encoding: str, delimiter: str, block_size: int, use_threads: bool) -> Any:
        """The file's reader, every field as text."""
        self._encoding, self._delimiter = encoding, delimiter
        return open_csv(
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
    ) -> tuple[list[InvalidRow], dict[int, pa.Array]]:
        """Infers the batch's columns and counts its rows. Returns the invalid rows the
        reader reported meanwhile (they may belong to the next batch), and the columns of
        `settled` types whose values this batch cannot change, converted (Inference.
        cast_within; not with one column, whose blank lines are whitespace too)."""
        self.records += batch.num_rows
        text = list(batch.columns)
        if batch.num_rows:
            self._last_value = text[-1][batch.num_rows - 1]
        blank = blank_rows(text, self.field_count)
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

    def take_invalid(self) -> list[InvalidRow]:
        taken = take_invalid(self.invalid)
        if taken:
            self.irregular = True
            self.invalid_total += len(taken)
            self.data_rows += sum(1 for row in taken if not is_blank_line(row.text))
            for row in taken:
                quote = open_quote(row.text, self._delimiter) if '"' in row.text else None
                if quote is not None:  # a record ends in a quote only at the end of the file
                    self._open_quote = row.text[quote:]
        return taken

    def most_rows(self) -> int | None:
        """At most this many data rows in the file, once its lines are counted."""
        if self.line_count is None or not self.line_count.done():
            return None
        return max(self.line_count.result() - self.header_lines, 0)

    def result(self, block_size: int, first_block: pa.RecordBatch | None = None) -> ScanResult:
        """What the scan found; after `first_block` only, line breaks inside values are
        looked for in its values."""
        self.take_invalid()
        if self.line_count is not None:  # the whole file was read
            self._refuse_an_open_quote()
            # Physical lines beyond one per record are line breaks inside quoted values.
            records = self.records + self.header_lines + self.invalid_total
            multiline = self.line_count.result() != records
        else:
            multiline = first_block is not None and any(
                pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py()
                for column in first_block.columns
            )
        sha256 = self._digest.hexdigest() if self._digest is not None else None
        return ScanResult(
            self.inference, self.data_rows, multiline, self.irregular, block_size, sha256
        )

    def _refuse_an_open_quote(self) -> None:
        """Raises IngestError when the file ends inside a quoted value: its quote was never
        closed, and the reader took every line after it for part of that one value (a row
        with too few fields, or the last value of the last row)."""
        if self._open_quote is not None:
            text, exact = self._open_quote, False
        elif self._last_value is not None:
            value = self._last_value.as_py()
            text, exact = '"' + (value or "").replace('"', '""'), True
        else:
            return
        offset = _quote_offset(self.path, self._encoding, self._delimiter, text, exact=exact)
        if offset is None and exact:
            return  # the last value's quote, if any, is closed
        raise IngestError(
            self.name,
            "a quote opened here is never closed: every line after it would be one value",
            line=line_at(self.path, offset) if offset is not None else None,
            fix='close the quoted value; a quote inside a value is written twice ("")',
        )


def _quote_offset(
    path: Path, encoding: str, delimiter: str, text: str, *, exact: bool
) -> int | None:
    """Where the file ends in `text`, from its opening quote on: the offset of the quote.
    With `exact`, the file ends in `text` itself and the quote opens a field; otherwise in
    `text` and at most line ends (the reader's text of an invalid row leaves them out)."""
    data = text.encode(encoding)
    size = path.stat().st_size
    start = max(size - len(data) - 8, 0)
    with path.open("rb") as fh:
        fh.seek(start)
        tail = fh.read()
    if exact:
        at = len(tail) - len(data)
        field_start = tail[:at].endswith((delimiter.encode(encoding), b"\n", b"\r"))
        return start + at if at >= 0 and tail.endswith(data) and field_start else None
    at = tail.rfind(data)
    if at < 0 or tail[at + len(data) :].strip(b"\r\n"):
        return None
    return start + at
