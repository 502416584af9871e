"""The CSV parser: pyarrow's streaming reader, set up the same way for both passes.

Every field is read as text (pass 2 may have pyarrow convert the fields pass 1 found to
cast as they are), in blocks, never the whole file in memory. Rows with the wrong number
of fields are not errors of the reader: pyarrow hands them to :class:`InvalidRow` and
skips them, and they become rejects with their line. Blank lines are kept as rows of
nulls, so that record numbers map to physical lines (see ``lines``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .errors import IngestError
from .formats import BOOLEAN_FALSE, BOOLEAN_TRUE, blank_to_null
from .sniff import raise_utf8_error

__all__ = [
    "InvalidRow",
    "arrow_error",
    "blank_rows",
    "is_blank_line",
    "longer_than_block",
    "open_csv",
    "open_quote",
    "read_ahead",
    "take_invalid",
]


@dataclass
class InvalidRow:
    """A row the reader skipped for its number of fields (its record number: None when the
    reader ran on several threads)."""

    number: int | None
    expected: int
    actual: int
    text: str


def open_csv(
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
    invalid: list[InvalidRow],
    typed: dict[int, pa.DataType] | None = None,
) -> Any:
    """A streaming pyarrow reader; every column text, except the ``typed`` positions."""
    import pyarrow.csv as pacsv

    typed = typed or {}

    names = [f"f{i}" for i in range(field_count)]

    def on_invalid(row: Any) -> str:
        invalid.append(InvalidRow(row.number, row.expected_columns, row.actual_columns, row.text))
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
            true_values=list(BOOLEAN_TRUE),
            false_values=list(BOOLEAN_FALSE),
            check_utf8=True,
        ),
    )


def blank_rows(columns: list[pa.Array], field_count: int) -> pa.Array:
    """Rows that are blank lines (or have only empty fields)."""
    if field_count == 1 and len(columns) == 1 and pa.types.is_string(columns[0].type):
        return pc.is_null(blank_to_null(columns[0]))
    mask = pc.is_null(columns[0])
    for col in columns[1:]:
        mask = pc.and_(mask, pc.is_null(col))
    return mask


def take_invalid(invalid: list[InvalidRow]) -> list[InvalidRow]:
    """Move the rows reported so far out of the list (parse threads may still append)."""
    n = len(invalid)
    taken = invalid[:n]
    del invalid[:n]
    return taken


def is_blank_line(text: str) -> bool:
    return not text.strip()


# A quoted field from its opening quote up to its closing quote (or to the end of the text:
# then it is not closed); two quotes inside are one quote character.
_QUOTED = re.compile(r'"(?:[^"]++|"")*+')


def open_quote(text: str, delimiter: str) -> int | None:
    """Where the quoted field that `text` (one or more records) leaves open starts, read as
    the reader reads it; None: every quote is closed. A quote opens a quoted field only at
    the start of a field, and in one, a single quote closes it (what follows is text)."""
    field = re.compile(rf"[^{re.escape(delimiter)}\r\n]*+")  # the rest of a field
    start, end = 0, len(text)
    while start < end:
        if text[start] == '"':
            quoted = _QUOTED.match(text, start)
            assert quoted is not None  # it matches at any quote
            if quoted.end() >= end:
                return start
            start = quoted.end() + 1
        rest = field.match(text, start)
        assert rest is not None  # it matches anywhere, if only nothing
        start = rest.end() + 1  # past the delimiter or line end
    return None


def longer_than_block(exc: Exception) -> bool:
    """pyarrow's error for a row, or the header it skips, longer than a block."""
    message = str(exc)
    return "straddling" in message or "header is larger than block size" in message


def arrow_error(exc: Exception, path: Path, name: str, contract_ref: str) -> IngestError:
    message = str(exc)
    if "UTF8" in message or "UTF-8" in message:
        try:
            raise_utf8_error(path, name, contract_ref)
        except IngestError as err:
            return err
    return IngestError(
        name,
        f"cannot be parsed as CSV: {message}",
        fix="check the quoting of the file (every opening quote needs a closing quote)",
    )


def read_ahead(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches, the next one parsed on another thread while the caller works on this
    one: the single-threaded reader of pass 1 would otherwise wait for its caller."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-read") as reader:
        upcoming = reader.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = reader.submit(next, batches, None)
            yield batch
