"""Keyed loads: a contract's `primary_key` makes a file's rows update the table's rows with
the same key and insert the others; with a `delete_column`, a row whose value there is the
contract's `delete_value` deletes its key instead. One commit, as every load.

Within one file the last row of a key wins (its earlier rows are counted as duplicates).
The table's rows are matched copy-on-write: each data file holding one of the file's keys
is written again without those rows, and the commit replaces it along with adding the new
rows. pyiceberg's own `upsert` builds one expression node per key and evaluates it over the
table, which takes minutes for a million keys; here keys are matched with Arrow's hash
joins, a data file's key columns read first and the rest only where a key matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import IngestError

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table

# Joins the parts of a composite key into one text: a separator no CSV field holds.
_SEPARATOR = "\x1f"
_ROW = "__lakehouse_row"


@dataclass(frozen=True)
class Keys:
    """What a keyed contract says, in the table's column names."""

    columns: list[str]
    delete_column: str | None
    delete_value: str


@dataclass(frozen=True)
class FileChanges:
    """A file's rows as a keyed load applies them: the last row of each key."""

    upserts: pa.Table  # rows to insert, or to put in place of the table's rows of their key
    deletes: pa.Array  # the keys (as key_text makes them) whose rows go
    duplicates: int  # earlier rows of a key in the file, overridden by its last


@dataclass(frozen=True)
class Counts:
    inserted: int
    updated: int
    deleted: int
    duplicates: int


@dataclass(frozen=True)
class TableChanges:
    """What the commit does to the table's existing files."""

    replaced: list[DataFile]  # data files holding a key of the load
    survivors: list[pa.Table]  # their rows of other keys, written again
    counts: Counts


def key_text(rows: pa.Table, columns: list[str]) -> pa.ChunkedArray:
    """One text per row naming its key: the columns cast to text (numbers, dates and text
    alike have one spelling in Arrow), joined by a separator for a composite key."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [pc.cast(rows.column(c), pa.string()) for c in columns]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, _SEPARATOR)


def check_columns(keys: Keys, columns: list[str], source: str) -> None:
    """The delete column must be one of the file's columns (the key columns are required
    columns of the contract, which the header is checked for before)."""
    missing = [c for c in [*keys.columns, keys.delete_column] if c and c not in columns]
    if missing:
        raise IngestError(
            source,
            f"the contract's delete_column {missing[0]!r} is not in the file "
            f"(its columns are {', '.join(columns[:20])})",
            line=1,
            fix="correct primary_key or delete_column in the contract, or the file's header",
        )


def file_changes(rows: pa.Table, keys: Keys) -> FileChanges:
    """The last row of each key in `rows` (in file order), split into upserts and deletes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    numbered = pa.table({"k": key_text(rows, keys.columns), _ROW: pa.array(range(rows.num_rows))})
    last = numbered.group_by("k", use_threads=False).aggregate([(_ROW, "max")])
    order = pc.sort_indices(last.column(f"{_ROW}_max"))
    chosen = rows.take(pc.take(last.column(f"{_ROW}_max"), order))
    duplicates = rows.num_rows - chosen.num_rows
    if keys.delete_column is None:
        return FileChanges(chosen, pa.array([], pa.string()), duplicates)
    op = pc.cast(chosen.column(keys.delete_column), pa.string())
    deleting = pc.fill_null(pc.equal(op, keys.delete_value), False)
    deleted = chosen.filter(deleting)
    return FileChanges(
        chosen.filter(pc.invert(deleting)),
        key_text(deleted, keys.columns).combine_chunks()
        if deleted.num_rows
        else pa.array([], pa.string()),
        duplicates,
    )


def table_changes(table: Table | None, changes: FileChanges, keys: Keys) -> TableChanges:
    """Which of the table's data files hold a key the load changes, and their other rows.

    Every data file's key columns are read, and all of them matched against the load's
    keys in one lookup (one hash set of the keys, however many files); only the files with
    a match are read whole, and their rows kept by the same match."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyiceberg.io.pyarrow import ArrowScan

    upsert_keys = key_text(changes.upserts, keys.columns).combine_chunks()
    touched = pa.concat_arrays([upsert_keys.cast(pa.string()), changes.deletes.cast(pa.string())])
    replaced: list[DataFile] = []
    survivors: list[pa.Table] = []
    existing = pa.array([], pa.string())
    snapshot = table.current_snapshot() if table is not None else None
    if table is not None and snapshot is not None and len(touched):
        scan = table.scan(selected_fields=tuple(keys.columns))
        projection = scan.projection()
        tasks = list(scan.plan_files())
        present = [
            key_text(
                ArrowScan(table.metadata, table.io, projection, scan.row_filter).to_table([task]),
                keys.columns,
            ).cast(pa.string())
            for task in tasks
        ]
        every = pa.chunked_array(present, pa.string())
        hit = pc.is_in(every, value_set=touched)
        existing = pc.unique(pc.filter(every, hit))
        whole = table.scan()
        start = 0
        for task, keys_of_file in zip(tasks, present, strict=True):
            matched = hit.slice(start, len(keys_of_file))
            start += len(keys_of_file)
            if not pc.any(matched).as_py():
                continue
            reader = ArrowScan(table.metadata, table.io, whole.projection(), whole.row_filter)
            rows = reader.to_table([task])  # the same rows, in the same order, as its keys
            replaced.append(task.file)
            survivors.append(rows.filter(pc.invert(matched)))
    updated = pc.sum(pc.is_in(upsert_keys, value_set=existing)).as_py() or 0
    deleted = pc.sum(pc.is_in(changes.deletes, value_set=existing)).as_py() or 0
    counts = Counts(
        inserted=changes.upserts.num_rows - updated,
        updated=updated,
        deleted=deleted,
        duplicates=changes.duplicates,
    )
    return TableChanges(replaced, survivors, counts)
