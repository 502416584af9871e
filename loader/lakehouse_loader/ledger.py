"""The ingest ledger, `iceberg.<schema>._ingest_log`: one row per load attempt.

It is the queryable log of every attempt, the record that nothing was lost (rows accepted +
rows rejected = data rows in the file), and what the drop zone's watch reads (through Trino)
to find new and changed files. Whether a file's content is in its table is answered by the
table itself (commit.committed): a ledger write lost after a commit loses no certainty.
The loader writes it with pyiceberg, like every table it writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .conventions import CHANGED, FAILED, LEDGER_TABLE, LOADED, REJECTED
from .errors import IngestError
from .trino_sql import Trino

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

    from .commit import Committed

LEDGER = LEDGER_TABLE
_RECORD_ATTEMPTS = 5

_COLUMNS = (
    ("file_path", "varchar"),
    ("sha256", "varchar"),
    ("table_name", "varchar"),
    ("data_rows", "bigint"),
    ("rows_accepted", "bigint"),
    ("rows_rejected", "bigint"),
    ("snapshot_id", "bigint"),
    ("started_at", "timestamp(6) with time zone"),
    ("finished_at", "timestamp(6) with time zone"),
    # LOADED, REJECTED, FAILED or CHANGED, below
    ("status", "varchar"),
    ("message", "varchar"),
    # A keyed load's changes to its table (keyed.py); null for other loads. Columns added
    # later than the others: a ledger made before them gets them on its next write.
    ("rows_inserted", "bigint"),
    ("rows_updated", "bigint"),
    ("rows_deleted", "bigint"),
)


# An attempt's status (values in conventions.json, which the dashboards read too):
# LOADED; REJECTED, the file's content cannot be loaded (an IngestError): fix the file;
# FAILED, anything else (a service down, the loader's disk full, a bug): the drop zone's watch
# tries again, a few times; CHANGED, the file was written or replaced while it was loaded,
# whatever the error: what was read is not its content, so the attempt says nothing of it
# (sha256 is empty).


@dataclass(frozen=True)
class LedgerEntry:
    file_path: str
    sha256: str
    table_name: str
    data_rows: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    snapshot_id: int | None
    started_at: datetime
    finished_at: datetime
    status: str
    message: str | None
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_deleted: int | None = None


def _arrow_schema() -> pa.Schema:
    import pyarrow as pa

    types = {
        "varchar": pa.string(),
        "bigint": pa.int64(),
        "timestamp(6) with time zone": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(name, types[kind]) for name, kind in _COLUMNS])


def ledger_table(catalog: Catalog, namespace: str) -> Table:
    """The ledger, created on first use (by pyiceberg, like every table the loader writes)."""
    from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError

    identifier = (namespace, LEDGER)
    try:
        return _with_every_column(catalog.load_table(identifier))
    except NoSuchTableError:
        pass
    try:
        return catalog.create_table(identifier, _arrow_schema())
    except TableAlreadyExistsError:  # another load created it meanwhile
        return _with_every_column(catalog.load_table(identifier))


def _with_every_column(ledger: Table) -> Table:
    """The ledger with the columns added since it was made (null in its earlier rows)."""
    from pyiceberg.exceptions import CommitFailedException

    for _ in range(_RECORD_ATTEMPTS):
        have = {field.name for field in ledger.schema().fields}
        if all(name in have for name, _kind in _COLUMNS):
            return ledger
        try:
            with ledger.update_schema() as update:
                update.union_by_name(_arrow_schema())
        except CommitFailedException:
            pass  # another load evolved it (or wrote) first: look again
        ledger = ledger.refresh()
    return ledger


def last_load(ledger: Table, file_path: str) -> Committed | None:
    """The file's last successful load, if any: its content hash, rows and snapshot."""
    from pyiceberg.expressions import And, EqualTo

    from .commit import Committed

    rows = (
        ledger.scan(
            row_filter=And(EqualTo("file_path", file_path), EqualTo("status", LOADED)),  # type: ignore[call-arg,arg-type]
            selected_fields=(
                "sha256", "rows_accepted", "rows_rejected", "snapshot_id", "finished_at"
            ),
        )
        .to_arrow()
        .sort_by([("finished_at", "descending")])
        .to_pylist()
    )  # fmt: skip
    if not rows:
        return None
    last = rows[0]
    return Committed(
        int(last["snapshot_id"] or 0),
        str(last["sha256"]),
        int(last["rows_accepted"] or 0),
        int(last["rows_rejected"] or 0),
    )


@dataclass(frozen=True)
class Attempt:
    """What the drop zone's watch needs of one ledger row."""

    sha256: str
    status: str
    message: str | None


def recent_attempts(trino: Trino, depth: int) -> dict[str, list[Attempt]]:
    """file path -> its `depth` most recent load attempts, the latest first."""
    if not trino.table_exists(LEDGER):
        return {}
    rows = trino.query(
        "SELECT file_path, sha256, status, message FROM ("
        " SELECT file_path, sha256, status, message, row_number() OVER"
        " (PARTITION BY file_path ORDER BY finished_at DESC) AS recency"
        f" FROM {trino.table(LEDGER)}) WHERE recency <= {int(depth)}"
        " ORDER BY file_path, recency"
    )
    attempts: dict[str, list[Attempt]] = {}
    for path, sha, status, message in rows:
        attempt = Attempt(str(sha), str(status), None if message is None else str(message))
        attempts.setdefault(str(path), []).append(attempt)
    return attempts


# A file's size, inode, and modification and inode-change times in nanoseconds.
FileState = tuple[int, int, int, int]


def file_state(path: Path) -> FileState | None:
    """The file's state (None: not there): a write, a replacement (a rename into place) or a
    copy that restores the old modification time (cp -p) changes one of its parts."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)


def changed_since(path: Path, before: FileState | None) -> bool:
    """Whether the file was written, replaced or removed since its state was `before`.
    Compared as a whole, not by time: the kernel stamps file times from a clock that lags
    the real one by up to a tick, so a write just after a load's start can carry a time
    just before it."""
    return before is None or file_state(path) != before


def failure_status(error: BaseException, changed: bool) -> str:
    """How a failed attempt is recorded: CHANGED when the file changed during it, whatever
    the error (the file is due again once it settles), else REJECTED for its content and
    FAILED for anything else (an IngestError that is worth a retry, too)."""
    if changed:
        return CHANGED
    return REJECTED if isinstance(error, IngestError) and not error.retry else FAILED


def record(catalog: Catalog, namespace: str, *entries: LedgerEntry) -> None:
    """Appends the entries in one commit, retrying when another load's entry was committed
    first."""
    import pyarrow as pa
    from pyiceberg.exceptions import CommitFailedException

    row = pa.Table.from_pylist([asdict(entry) for entry in entries], schema=_arrow_schema())
    for attempt in range(1, _RECORD_ATTEMPTS + 1):
        try:
            ledger_table(catalog, namespace).append(row)
            return
        except CommitFailedException:
            if attempt == _RECORD_ATTEMPTS:
                raise


def note_committed(
    tables: Catalog,
    namespace: str,
    table: str,
    source: str,
    held: Committed,
    started_at: datetime,
) -> None:
    """A content its table holds while the ledger has no record of it (the ledger write after
    the commit was lost) is recorded now, so the drop zone's watch stops finding it due."""
    last = last_load(ledger_table(tables, namespace), source)
    if last is not None and last.sha256 == held.sha256:
        return
    record(
        tables,
        namespace,
        LedgerEntry(
            source, held.sha256, table, held.rows + held.rejected, held.rows, held.rejected,
            held.snapshot_id, started_at, datetime.now(UTC), LOADED,
            "recorded from the table's snapshot: the ledger had missed this load",
        ),
    )  # fmt: skip
