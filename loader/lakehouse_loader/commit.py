"""Make a table hold exactly one source file's rows, in one Iceberg commit.

The loader is the tables' one writer, through the catalog with pyiceberg; Trino reads them
and runs maintenance. One transaction creates the table (a first load) or changes its
schema (columns added or widened), deletes the rows an earlier load of the same source file
left, and adds the new data files; its snapshot records the source file, the content's
SHA-256 and the rows, so whether a content is committed is answered by the table itself.
Readers see the old rows or the new, never both, never half. A load that fails or is killed
before the commit leaves the table exactly as it was (its files unreferenced: deleted, or
swept by maintenance's `remove_orphan_files`), and a re-run replaces rather than duplicates.

Another writer (a load of another file into the same table, maintenance, a user's SQL) may
commit first: the commit is then planned again on the table as it is now, the files reused
when the table still has the layout they were written for, else written again from the
load's local copy of its rows.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .conventions import SOURCE_FILE, rejects_table
from .table_files import SOURCE_METRICS, TableFiles, TableLayout
from .table_schema import new_table, plan_change

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pyiceberg.catalog import Catalog
    from pyiceberg.io import FileIO
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table, Transaction

    from .keyed import Counts, FileChanges, Keys
    from .types import ColumnType

# What a load's snapshot records in its summary.
SUMMARY_SOURCE = "lakehouse.source-file"
SUMMARY_SHA256 = "lakehouse.sha256"
SUMMARY_ROWS = "lakehouse.rows"
SUMMARY_REJECTED = "lakehouse.rows-rejected"
# A keyed load's (keyed.py) changes to the table's rows.
SUMMARY_INSERTED = "lakehouse.rows-inserted"
SUMMARY_UPDATED = "lakehouse.rows-updated"
SUMMARY_DELETED = "lakehouse.rows-deleted"
# A snapshot committing several files together (commit_together): the four above for each,
# as a JSON list of {"file", "sha256", "rows", "rejected"}.
SUMMARY_SOURCES = "lakehouse.sources"
COMMIT_ATTEMPTS = 5
# Rows read back from the local copy at a time, when a load's files are written again.
CHUNK_ROWS = 250_000
# The pipeline's stage lines (see ingest.progress).
_progress = logging.getLogger("lakehouse_loader.progress")


@dataclass(frozen=True)
class Target:
    """The table a file's rows go to, and what the file needs of it."""

    namespace: str
    table: str
    columns: list[tuple[str, ColumnType]]
    partition: list[str]  # a new table's spec, contract syntax
    source: str

    @property
    def identifier(self) -> tuple[str, str]:
        return (self.namespace, self.table)


@dataclass(frozen=True)
class Part:
    """One file's rows in a commit of several files together (commit_together)."""

    source: str
    written: TableFiles | None  # finished, not uploaded, for its own plan's layout
    local_rows: Path  # the rows as one Parquet file, to write them again
    sha256: str
    rows: int
    rejected: int = 0


def combined_columns(
    parts: list[list[tuple[str, ColumnType]]],
) -> list[tuple[str, ColumnType]] | None:
    """The columns a table needs for the files' columns together, in order of first
    appearance; a column two files type differently gets the type that holds both. None
    when no type holds both (the files are then committed one by one, as they come)."""
    from .table_schema import iceberg_type, widens

    combined: dict[str, ColumnType] = {}
    for columns in parts:
        for name, kind in columns:
            held = combined.setdefault(name, kind)
            if held == kind or widens(kind, iceberg_type(held)):
                continue
            if not widens(held, iceberg_type(kind)):
                return None
            combined[name] = kind
    return list(combined.items())


@dataclass(frozen=True)
class Committed:
    """A load's content as its table's snapshot recorded it."""

    snapshot_id: int
    sha256: str
    rows: int
    rejected: int  # the content's rows quarantined (in the table's `__rejects` table)


class PendingCommit:
    """The transaction a load will commit, planned before the file is read: its `layout`
    is what the table's files are written for. Planning changes nothing; a column the table
    cannot hold raises IngestError here, before anything is written."""

    def __init__(self, catalog: Catalog, target: Target) -> None:
        self._catalog, self.target = catalog, target
        self._table: Table | None = None  # as it was when planned; None: being created
        self._transaction, self.layout, self.new = self._plan()

    def _plan(self) -> tuple[Transaction, TableLayout, bool]:
        from pyiceberg.exceptions import NoSuchTableError
        from pyiceberg.io import load_file_io

        target, catalog = self.target, self._catalog
        try:
            table = catalog.load_table(target.identifier)
        except NoSuchTableError:
            self._table = None
            schema, spec = new_table(target.columns, target.partition)
            creating = catalog.create_table_transaction(
                target.identifier,
                schema,
                location=self._new_location(),
                partition_spec=spec,
                properties={SOURCE_METRICS[0]: SOURCE_METRICS[1]},
            )
            metadata = creating.table_metadata
            io = load_file_io(catalog.properties, metadata.location)
            return creating, TableLayout.of(metadata, io), True
        self._table = table
        change = plan_change(table.schema(), target.columns, target.table, target.source)
        transaction = table.transaction()
        if table.properties.get(SOURCE_METRICS[0]) != SOURCE_METRICS[1]:
            transaction.set_properties({SOURCE_METRICS[0]: SOURCE_METRICS[1]})
        if change:
            with transaction.update_schema() as update:
                change.apply(update)
        return transaction, TableLayout.of(transaction.table_metadata, table.io), False

    def _new_location(self) -> str | None:
        """A new table's own folder, unique like Trino's (`<table>-<uuid>`): files a dropped
        table of the same name left behind never mix with its successor's."""
        base = self._catalog.load_namespace_properties(self.target.namespace).get("location")
        return f"{base.rstrip('/')}/{self.target.table}-{uuid.uuid4().hex}" if base else None

    def commit(
        self,
        written: TableFiles | None,
        local_rows: Path,
        sha256: str,
        rows: int,
        rejected: int = 0,
        before_commit: Callable[[], object] | None = None,
    ) -> int:
        """Commits the files `written` (finished, not uploaded; None: written now from the
        Parquet file `local_rows`); `before_commit` waits for what must exist before the rows
        are visible. Returns the snapshot committed."""
        source = self.target.source
        try:
            data_files = written.upload() if written is not None else self._write(local_rows)
        except BaseException:
            if written is not None:  # not committed
                written.abort()
            raise
        summary = {
            SUMMARY_SOURCE: source,
            SUMMARY_SHA256: sha256,
            SUMMARY_ROWS: str(rows),
            SUMMARY_REJECTED: str(rejected),
        }
        return self._commit_retrying(
            data_files, summary, [source], lambda: self._write(local_rows), before_commit
        )

    def commit_together(
        self, parts: list[Part], before_commit: Callable[[], object] | None = None
    ) -> int:
        """Commits several files' rows to the table in one snapshot, each in place of the
        rows an earlier load of that file left; its summary records each file
        (SUMMARY_SOURCES). The target's columns hold every part's (combined_columns). A
        part's files are reused when its layout is the table's, else written again from its
        local rows, as after another writer's commit."""
        import json

        from pyiceberg.exceptions import CommitStateUnknownException

        data_files: list[DataFile] = []
        try:
            for part in parts:
                data_files += self._files_of(part)
        except BaseException:
            _delete(self.layout.io, data_files)
            for part in parts:
                if part.written is not None:
                    part.written.abort()
            raise
        recorded = [
            {"file": p.source, "sha256": p.sha256, "rows": p.rows, "rejected": p.rejected}
            for p in parts
        ]
        try:
            return self._commit_retrying(
                data_files,
                {SUMMARY_SOURCES: json.dumps(recorded)},
                [part.source for part in parts],
                lambda: [f for p in parts for f in self._write(p.local_rows, p.source)],
                before_commit,
            )
        except CommitStateUnknownException:
            raise  # the files stay (see _commit_retrying)
        except BaseException:
            for part in parts:  # the files of a part that was written again
                if part.written is not None:
                    part.written.abort()
            raise

    def _commit_retrying(
        self,
        data_files: list[DataFile],
        summary: dict[str, str],
        sources: list[str],
        write_again: Callable[[], list[DataFile]],
        before_commit: Callable[[], object] | None,
    ) -> int:
        """Commits the uploaded `data_files` in place of the rows of `sources`. When another
        writer committed first, plans again on the table as it is now, the files written
        again (`write_again`) if its layout changed. Files not committed are deleted."""
        from pyiceberg.exceptions import CommitFailedException, CommitStateUnknownException

        io = self.layout.io
        try:
            if before_commit is not None:
                before_commit()
            attempt = 1
            while True:
                try:
                    return self._commit(data_files, summary, sources)
                except CommitFailedException:
                    if attempt == COMMIT_ATTEMPTS:
                        raise
                    attempt += 1
                    layout = self.layout
                    self._transaction, self.layout, self.new = self._plan()
                    if not layout.matches(self.layout):
                        _progress.info("%s: the table changed meanwhile; writing again", sources[0])
                        _delete(io, data_files)
                        data_files, io = [], self.layout.io
                        data_files = write_again()
        except CommitStateUnknownException:
            # The catalog may have committed them (no answer to the commit): the files stay;
            # the next run finds the content committed, or loads it again.
            raise
        except BaseException:
            _delete(io, data_files)  # not committed
            raise

    def _files_of(self, part: Part) -> list[DataFile]:
        """The part's data files for this commit's layout, uploaded."""
        written = part.written
        if written is not None and written.layout.matches(self.layout):
            return written.upload()
        if written is not None:
            written.abort()
        return self._write(part.local_rows, part.source)

    def commit_keyed(
        self,
        changes: FileChanges,
        keys: Keys,
        staging: Path,
        sha256: str,
        rows: int,
        rejected: int = 0,
        before_commit: Callable[[], object] | None = None,
    ) -> tuple[int, Counts]:
        """Commits a keyed load (keyed.py): the table's data files holding one of its keys
        replaced by their other rows, and its rows added, in one snapshot. Another writer's
        commit in between: matched again on the table as it is now."""
        from pyiceberg.exceptions import CommitFailedException, CommitStateUnknownException

        from .keyed import table_changes

        if before_commit is not None:
            before_commit()
        attempt = 1
        while True:
            matched = table_changes(self._table, changes, keys)
            files = TableFiles(self.layout, self.target.source, staging)
            try:
                for part in [changes.upserts, *matched.survivors]:
                    for batch in part.to_batches(max_chunksize=CHUNK_ROWS):
                        files.add(batch)
                files.finish()
                data_files = files.upload()
            except BaseException:
                files.abort()
                raise
            counts = matched.counts
            summary = {
                SUMMARY_SOURCE: self.target.source,
                SUMMARY_SHA256: sha256,
                SUMMARY_ROWS: str(rows),
                SUMMARY_REJECTED: str(rejected),
                SUMMARY_INSERTED: str(counts.inserted),
                SUMMARY_UPDATED: str(counts.updated),
                SUMMARY_DELETED: str(counts.deleted),
            }
            try:
                return self._commit_replacing(matched.replaced, data_files, summary), counts
            except CommitFailedException:
                _delete(self.layout.io, data_files)
                if attempt == COMMIT_ATTEMPTS:
                    raise
                attempt += 1
                self._transaction, self.layout, self.new = self._plan()
            except CommitStateUnknownException:
                raise  # as in commit(): the files stay
            except BaseException:
                _delete(self.layout.io, data_files)
                raise

    def _commit_replacing(
        self, replaced: list[DataFile], data_files: list[DataFile], summary: dict[str, str]
    ) -> int:
        """Commits the transaction with a snapshot that removes the `replaced` data files
        (an overwrite) and adds `data_files` (an append when it removes none)."""
        transaction = self._transaction
        update = transaction.update_snapshot(snapshot_properties=summary)
        with update.overwrite() if replaced else update.fast_append() as producer:
            for data_file in replaced:
                producer.delete_data_file(data_file)
            for data_file in data_files:
                producer.append_data_file(data_file)
        table = transaction.commit_transaction()
        snapshot = table.metadata.current_snapshot_id
        assert snapshot is not None  # it has just made one
        return snapshot

    def _commit(
        self, data_files: list[DataFile], summary: dict[str, str], replaced: list[str]
    ) -> int:
        """Commits `data_files` in place of the rows of the sources `replaced`."""
        from pyiceberg.expressions import EqualTo, In

        transaction = self._transaction
        if not self.new:
            # pyiceberg's own __init__ is hidden from mypy by its pydantic base.
            only = (
                EqualTo(SOURCE_FILE, replaced[0])  # type: ignore[call-arg,arg-type]
                if len(replaced) == 1
                else In(SOURCE_FILE, replaced)  # type: ignore[call-arg,arg-type]
            )
            with warnings.catch_warnings():
                # A first load of this file deletes nothing, which pyiceberg warns about.
                warnings.filterwarnings("ignore", "Delete operation did not match any records")
                transaction.delete(only)
        return self._commit_replacing([], data_files, summary)

    def _write(self, local_rows: Path, source: str | None = None) -> list[DataFile]:
        """The rows of `local_rows` (of `source`, default the target's) written again as
        the table's files, uploaded."""
        import pyarrow.parquet as pq

        files = TableFiles(self.layout, source or self.target.source, local_rows.parent)
        try:
            for batch in pq.ParquetFile(local_rows).iter_batches(batch_size=CHUNK_ROWS):
                files.add(batch)
            files.finish()
            return files.upload()
        except BaseException:
            files.abort()
            raise


def recorded(table: Table, source: str) -> Committed | None:
    """The last load of `source` as the table's snapshots record it; None when none does
    (never loaded, or its snapshot expired by maintenance)."""
    from pyiceberg.table.snapshots import ancestors_of

    for snapshot in ancestors_of(table.current_snapshot(), table.metadata):
        summary = snapshot.summary
        if summary is None:
            continue
        # A pyiceberg Summary has get() but no `in`.
        together = summary.get(SUMMARY_SOURCES)
        if together is not None:
            part = _part_recorded(str(together), source, snapshot.snapshot_id)
            if part is not None:
                return part
            continue
        if summary.get(SUMMARY_SOURCE) != source:
            continue
        sha, rows = summary.get(SUMMARY_SHA256), summary.get(SUMMARY_ROWS)
        if sha is None or rows is None:
            return None
        rejected = int(summary.get(SUMMARY_REJECTED) or 0)
        return Committed(snapshot.snapshot_id, sha, int(rows), rejected)
    return None


def _part_recorded(text: str, source: str, snapshot_id: int) -> Committed | None:
    """`source` as a snapshot of several files records it (commit_together), if it does."""
    import json

    try:
        parts = json.loads(text)
    except ValueError:
        return None
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, dict) and part.get("file") == source:
            return Committed(
                snapshot_id, str(part["sha256"]), int(part["rows"]), int(part.get("rejected", 0))
            )
    return None


def source_rows(table: Table, source: str) -> int:
    """Rows of `source` in the table. A data file the loader wrote holds one source's rows
    and says so in its exact statistics: its row count is enough. Others (compacted by
    maintenance, or with deletes) are read, the lineage column only."""
    from pyiceberg.conversions import from_bytes
    from pyiceberg.expressions import EqualTo
    from pyiceberg.io.pyarrow import ArrowScan
    from pyiceberg.types import StringType

    only = EqualTo(SOURCE_FILE, source)  # type: ignore[call-arg,arg-type]
    scan = table.scan(row_filter=only, selected_fields=(SOURCE_FILE,))
    field_id = table.schema().find_field(SOURCE_FILE).field_id
    rows = 0
    for task in scan.plan_files():
        lower = task.file.lower_bounds.get(field_id)
        upper = task.file.upper_bounds.get(field_id)
        only_source = (
            lower is not None
            and lower == upper
            and from_bytes(StringType(), lower) == source
            and task.file.null_value_counts.get(field_id, 0) == 0
        )
        if only_source and not task.delete_files:
            rows += task.file.record_count
            continue
        arrow = ArrowScan(table.metadata, table.io, scan.projection(), scan.row_filter)
        rows += arrow.to_table([task]).num_rows
    return rows


def _delete(io: FileIO, data_files: list[DataFile]) -> None:
    for data_file in data_files:
        with contextlib.suppress(Exception):  # best effort: maintenance sweeps the rest
            io.delete(data_file.file_path)


def held_content(
    tables: Catalog,
    namespace: str,
    table: str,
    source: str,
    ledger: Callable[[], Committed | None],
    keyed: bool = False,
) -> Committed | None:
    """The content of `source` its table holds, when all of its load is committed and
    still there: its rows (none deleted by hand since), and the rejects' table holds that
    content's rejects (committed second). The table's snapshot says which content; once
    maintenance has expired it, the `ledger`'s last successful load of the file does.
    `keyed`: the table's rows of `source` are not counted (see below)."""
    from pyiceberg.exceptions import NoSuchTableError

    try:
        rows = tables.load_table((namespace, table))
    except NoSuchTableError:
        return None
    # A keyed table's rows are not counted (below), so only its own snapshots can say it
    # holds the content: the ledger would also answer for a table dropped and made again.
    held = recorded(rows, source) or (None if keyed else ledger())
    if held is None:
        return None
    # A keyed table's rows of a file are updated and deleted by later files: its count says
    # nothing. Its snapshot (or the ledger) says whether this content was committed.
    if not keyed and source_rows(rows, source) != held.rows:
        return None
    try:
        rejects = tables.load_table((namespace, rejects_table(table)))
    except NoSuchTableError:
        return held if held.rejected == 0 else None
    quarantined = recorded(rejects, source)
    if quarantined is not None and quarantined.sha256 != held.sha256:
        return None  # the rejects of another content: this one's commit of them was lost
    return held if source_rows(rejects, source) == held.rejected else None
