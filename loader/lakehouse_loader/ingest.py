"""Load one CSV file into its Iceberg table: plan, read and validate, write the raw zone and
the table's files, commit, record (the stages are modules of their own; this is their
order). Nothing reaches a table before its one commit, so a file that fails anywhere
before it leaves every table as it was.
"""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .config import PipelineConfig
from .conventions import INGESTED_AT, LOADED, SOURCE_FILE, raw_key, rejects_key, rejects_table
from .errors import IngestError
from .sources import contract_path, object_name, sha256_of, source_name, table_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.schema import Schema

    from .commit import Committed, PendingCommit
    from .contract import Contract
    from .keyed import Counts, Keys
    from .ledger import FileState, LedgerEntry
    from .plan import FilePlan
    from .read import Batch
    from .rejects import Reject
    from .table_files import TableFiles


@dataclass(frozen=True)
class LoadResult:
    file: str
    table: str
    status: str  # loaded | unchanged
    data_rows: int
    rows_accepted: int
    rows_rejected: int
    snapshot_id: int | None
    seconds: float
    # A keyed load's changes to the table (keyed.py); None for other loads.
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_deleted: int | None = None
    duplicate_keys: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


_progress = logging.getLogger("lakehouse_loader.progress")


def progress(source: str, message: str, started: float) -> None:
    """One line per stage, so a long load shows where it is and what took long: in the task
    log under Airflow, as `progress:` lines on stderr from the command line (__main__)."""
    _progress.info("%s: [%.1fs] %s", source, time.monotonic() - started, message)


def use_jemalloc() -> None:
    """Arrow's jemalloc memory pool instead of its default (mimalloc), which on a large load
    kept handing pages back to the system and zeroing new ones (8% of the CPU, measured with
    perf); with jemalloc the load takes 4% less CPU and 100 MB less memory."""
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError):  # a pyarrow built without it
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def ingest_file(path: Path, config: PipelineConfig, since: datetime | None = None) -> LoadResult:
    """Loads the file, or finds its content loaded already ("unchanged"). `since`: when the
    load was asked for; a content committed after that, by another run (the one the file's
    arrival started), answers this request as its load, counts and all."""
    from .catalog import catalog
    from .ledger import record

    use_jemalloc()
    started = (time.monotonic(), datetime.now(UTC))
    job = new_job(path, config, catalog(config), started)
    held, sha = held_result(job, since)
    if held is not None:
        return held
    try:
        result, sha = _load(replace(job, sha=sha))
    except Exception as error:
        record_failure(job, error, sha)
        raise
    record(job.tables, config.schema, loaded_entry(job, result, sha))
    return result


def new_job(
    path: Path, config: PipelineConfig, tables: Catalog, started: tuple[float, datetime]
) -> Job:
    """A load of the file that started at `started` (time.monotonic(), the time); a write
    to the file from now on makes its attempt CHANGED. IngestError when there is no such
    file."""
    from .ledger import file_state

    source = source_name(path, config)
    if not path.is_file():
        raise IngestError(source, "file not found", fix="check the path")
    table = table_for(path, config.data_dir / "raw")
    return Job(path, source, table, None, tables, config, *started, file_state(path))


def held_result(job: Job, since: datetime | None) -> tuple[LoadResult | None, str | None]:
    """The load's result when the table holds the file's content already, else None; and
    the file's SHA-256 when it was computed to find out.

    The same content again is a no-op while its rows are there: only then is the file hashed
    before its load. Otherwise pass 1 hashes it as it reads it (1 GiB: 2 s less)."""
    from .commit import held_content
    from .ledger import last_load, ledger_table, note_committed

    tables, config, source, table = job.tables, job.config, job.source, job.table
    held = held_content(
        tables,
        config.schema,
        table,
        source,
        ledger=lambda: last_load(ledger_table(tables, config.schema), source),
        keyed=is_keyed(job.path, config.data_dir / "raw", table),
    )
    if held is None:
        return None, None
    sha = sha256_of(job.path)
    if held.sha256 != sha:
        return None, sha
    note_committed(tables, config.schema, table, source, held, job.started_at)
    seconds = time.monotonic() - job.started
    if since is not None and _committed_since(tables, config, table, held, since):
        return LoadResult(
            source, table, LOADED, held.rows + held.rejected, held.rows, held.rejected,
            held.snapshot_id, seconds,
        ), sha  # fmt: skip
    return LoadResult(source, table, "unchanged", 0, 0, 0, None, seconds), sha


def record_failure(job: Job, error: BaseException, sha: str | None) -> None:
    """Records the failed attempt in the ledger: rejected (its content), failed (anything
    else: retried a few times), or changed (written while it was read, whatever the error:
    due again once it settles)."""
    from .conventions import CHANGED
    from .ledger import LedgerEntry, changed_since, failure_status, record

    status = failure_status(error, changed_since(job.path, job.state))
    if status == CHANGED:
        sha = None  # what was read is not the file's content
    elif sha is None:  # failed before pass 1 had read it all
        with contextlib.suppress(OSError):
            sha = sha256_of(job.path)
    # Best effort: the ledger shows the failure, but a ledger that cannot be written (the
    # catalog down) must not hide the original error.
    failed = LedgerEntry(
        job.source, sha or "", job.table, None, None, None, None, job.started_at,
        datetime.now(UTC), status, str(error)[:2000],
    )  # fmt: skip
    with contextlib.suppress(Exception):
        record(job.tables, job.config.schema, failed)


def loaded_entry(job: Job, result: LoadResult, sha: str) -> LedgerEntry:
    """The ledger's row for the file's successful load."""
    from .ledger import LedgerEntry

    return LedgerEntry(
        job.source, sha, job.table, result.data_rows, result.rows_accepted,
        result.rows_rejected, result.snapshot_id, job.started_at, datetime.now(UTC), LOADED,
        None, result.rows_inserted, result.rows_updated, result.rows_deleted,
    )  # fmt: skip


def _committed_since(
    tables: Catalog, config: PipelineConfig, table: str, held: Committed, since: datetime
) -> bool:
    """Whether the snapshot that holds the content was committed at or after `since`."""
    snapshot = tables.load_table((config.schema, table)).snapshot_by_id(held.snapshot_id)
    return snapshot is not None and snapshot.timestamp_ms >= since.timestamp() * 1000


def is_keyed(path: Path, raw_dir: Path, table: str) -> bool:
    """Whether the file's contract makes its table keyed; a contract that cannot be read
    fails the load later, where its error is recorded."""
    from .contract import load_contract

    try:
        contract = load_contract(contract_path(path, raw_dir, table))
    except IngestError:
        return False
    return contract is not None and contract.primary_key is not None


class _Lineage:
    """The two columns every stored row gets: where it came from and when it was loaded."""

    def __init__(self, source: str, ingested_at: datetime) -> None:
        import pyarrow as pa

        self.fields = [
            pa.field(SOURCE_FILE, pa.string()),
            pa.field(INGESTED_AT, pa.timestamp("us", tz="UTC")),
        ]
        self._values = [
            pa.scalar(source, pa.string()),
            pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")),
        ]

    def columns(self, rows: int) -> list[pa.Array]:
        import pyarrow as pa

        return [pa.repeat(value, rows) for value in self._values]


@dataclass(frozen=True)
class Job:
    """One load of one file: what each of its stages needs."""

    path: Path
    source: str  # as the ledger and lineage name it
    table: str
    sha: str | None  # known before the load, or None: computed while the file is read
    tables: Catalog
    config: PipelineConfig
    started: float  # time.monotonic(), for the progress lines
    started_at: datetime
    # The file as the load found it: written since, the attempt is CHANGED (record_failure).
    state: FileState | None = None


def _load(job: Job) -> tuple[LoadResult, str]:
    """Loads the file; returns the result and the file's SHA-256 (`job.sha`, or computed
    while the file is read).

    A large file is read once, on the types of its first block, every row checked against
    them (read.FileReading); when a later value breaks them, what was written is dropped
    and the file is read twice: pass 1 for the types of every row, then pass 2.

    Once the table exists, its schema is the contract for the file's columns it has
    (table_schema.held_to_table): a value that does not fit goes to quarantine.
    """
    from .read import PlanDisproved

    contract, schema = begin_load(job)
    try:
        return _write_and_commit(job, contract, plan_for(job, contract, schema, first_block=True))
    except PlanDisproved as why:
        again = "checking the types in every row, then writing again"
        progress(job.source, f"{why}: {again}", job.started)
        return _write_and_commit(job, contract, plan_for(job, contract, schema))


def begin_load(job: Job) -> tuple[Contract | None, Schema | None]:
    """Checks the staging disk has room for the file; its contract, and its table's schema
    (None before the table exists)."""
    from pyiceberg.exceptions import NoSuchTableError

    from .contract import load_contract
    from .staging import check_space

    check_space(job.source, job.path.stat().st_size)
    contract = load_contract(contract_path(job.path, job.config.data_dir / "raw", job.table))
    progress(job.source, "checking the header and the types", job.started)
    try:
        return contract, job.tables.load_table((job.config.schema, job.table)).schema()
    except NoSuchTableError:
        return contract, None


def plan_for(
    job: Job, contract: Contract | None, schema: Schema | None, first_block: bool = False
) -> FilePlan:
    """The file's plan (typed by its first block, or by every row), held to its table."""
    from .plan import plan_file
    from .table_schema import held_to_table

    plan = plan_file(
        job.path, contract, job.source, hash_file=job.sha is None, from_first_block=first_block
    )
    return held_to_table(plan, schema)


def _write_and_commit(
    job: Job, contract: Contract | None, plan: FilePlan
) -> tuple[LoadResult, str]:
    """Reads the file with its plan, writes the raw zone and the table's files, commits
    them; raises PlanDisproved (before anything is committed) for a provisional plan."""
    from .staging import load_folder

    with (
        load_folder(job.source, plan.file_size) as staging,
        ThreadPoolExecutor(1, thread_name_prefix="upload") as uploads,
    ):
        staged = stage(job, contract, plan, staging)
        # The raw zone's object is uploaded along with the table's files; the rows become
        # visible only once it is there (the audit trail comes first).
        raw_upload = uploads.submit(staged.upload_raw)
        return commit_staged(staged, raw_upload.result), staged.sha


@dataclass(frozen=True)
class Staged:
    """A file read and written locally, ready for its commit: its rows as one Parquet file
    (the raw zone's object), the table's files (not uploaded), its rejects'."""

    job: Job
    plan: FilePlan  # complete: rows counted, hashed
    pending: PendingCommit
    table_files: TableFiles
    raw_file: Path
    sha: str
    accepted: int
    rejected: int
    rejects: _StagedRejects | None
    keys: Keys | None

    def upload_raw(self) -> None:
        """Uploads the rows to the raw zone: one object per version of the file, named by
        its content, so the raw zone keeps every version as the audit trail, and a retry of
        the same content writes the same object."""
        from .catalog import object_store
        from .raw_zone import upload

        config = self.job.config
        key = raw_key(self.job.table, object_name(self.job.path), self.sha)
        upload(object_store(config), self.raw_file, f"{config.bucket}/{key}")

    def result(self, snapshot: int, counts: Counts | None = None) -> LoadResult:
        return LoadResult(
            self.job.source, self.job.table, LOADED, self.plan.data_rows, self.accepted,
            self.rejected, snapshot, time.monotonic() - self.job.started,
            rows_inserted=counts.inserted if counts else None,
            rows_updated=counts.updated if counts else None,
            rows_deleted=counts.deleted if counts else None,
            duplicate_keys=counts.duplicates if counts else None,
        )  # fmt: skip


def stage(job: Job, contract: Contract | None, plan: FilePlan, staging: Path) -> Staged:
    """Reads the file with its plan and writes, in `staging`, its rows as Parquet, the
    table's files and its rejects'; commits nothing. Raises PlanDisproved for a provisional
    plan that a row broke."""
    import pyarrow as pa
    import pyarrow.fs as pafs

    from .commit import PendingCommit, Target
    from .raw_zone import write_parquet
    from .read import read_file
    from .table_files import TableFiles

    source, table, sha, config = job.source, job.table, job.sha, job.config
    started, started_at = job.started, job.started_at
    # What the commit will do to the table (create it, add or widen columns), planned now so
    # the table's files are written along with the raw zone. A column the table cannot hold
    # fails here, before anything is written.
    columns = [(c.name, c.type) for c in plan.columns]
    pending = PendingCommit(
        job.tables, Target(config.schema, table, columns, plan.partition, source)
    )
    if plan.provisional:
        progress(
            source,
            f"{len(plan.columns)} columns, typed by the first rows; reading the file once, "
            "checking every row, writing Parquet and the table's files",
            started,
        )
    else:
        shape = f"{plan.data_rows} rows, {len(plan.columns)} columns"
        progress(source, f"{shape}; writing Parquet and the table's files", started)
    keys = _keys_of(contract)
    if keys is not None:
        from .keyed import check_columns

        check_columns(keys, [c.name for c in plan.columns], source)
    ratio = contract.max_reject_ratio if contract is not None else config.max_reject_ratio
    reading = read_file(plan, contract, max_reject_ratio=ratio, hash_file=sha is None)

    lineage = _Lineage(source, started_at)
    schema = pa.schema([pa.field(c.name, c.type.arrow()) for c in plan.columns] + lineage.fields)
    rejects: list[Reject] = []

    def with_lineage(batches: Iterable[Batch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rejects.extend(batch.rejects)
            rows = pa.RecordBatch.from_arrays(
                [*batch.accepted.columns, *lineage.columns(batch.accepted.num_rows)],
                schema=schema,
            )
            # A keyed load's rows are chosen (the last of each key) once all are read.
            if rows.num_rows and keys is None:
                table_files.add(rows)
            yield rows

    table_files = TableFiles(pending.layout, source, staging)
    try:
        raw_file = staging / "raw.parquet"
        accepted = write_parquet(
            pafs.LocalFileSystem(), str(raw_file), schema, with_lineage(reading)
        )
        plan = reading.plan  # complete now: rows counted, hashed
        sha = sha or plan.sha256
        assert sha is not None  # asked of the read
        if accepted + len(rejects) != plan.data_rows:
            raise IngestError(
                source,
                f"{plan.data_rows} data rows read, but {accepted} accepted and "
                f"{len(rejects)} rejected: refusing to load a file that would lose rows",
                fix="report this file as a bug",
            )
        table_files.finish()
        # Every file the load stages is written before its first commit: a disk that
        # fills up leaves every table as it was.
        staged_rejects = _stage_rejects(job, staging, rejects, sha)
    except BaseException:
        table_files.abort()  # nothing of them was committed
        raise
    return Staged(
        job, plan, pending, table_files, raw_file, sha, accepted, len(rejects), staged_rejects,
        keys,
    )  # fmt: skip


def commit_staged(staged: Staged, before_commit: Callable[[], object]) -> LoadResult:
    """Commits the staged file to its table, then its rejects to the rejects table;
    `before_commit` waits for what must exist before the rows are visible."""
    job, sha = staged.job, staged.sha
    progress(
        job.source,
        f"{staged.plan.data_rows} rows read; uploading to the raw zone; committing to "
        f"iceberg.{job.config.schema}.{job.table}",
        job.started,
    )
    counts = None
    if staged.keys is None:
        snapshot = staged.pending.commit(
            staged.table_files, staged.raw_file, sha, staged.accepted, staged.rejected,
            before_commit=before_commit,
        )  # fmt: skip
    else:
        import pyarrow.parquet as pq

        from .keyed import file_changes

        changes = file_changes(pq.read_table(staged.raw_file), staged.keys)
        snapshot, counts = staged.pending.commit_keyed(
            changes, staged.keys, staged.raw_file.parent, sha, staged.accepted,
            staged.rejected, before_commit,
        )  # fmt: skip
    if staged.rejects is not None:
        staged.rejects.upload()
        staged.rejects.pending.commit(
            staged.rejects.files, staged.rejects.local, sha, staged.rejected
        )
    progress(job.source, "committed", job.started)
    return staged.result(snapshot, counts)


def _keys_of(contract: Contract | None) -> Keys | None:
    from .keyed import Keys

    if contract is None or contract.primary_key is None:
        return None
    return Keys(contract.primary_key, contract.delete_column, contract.delete_value)


@dataclass(frozen=True)
class _StagedRejects:
    """The commit of a content's rejects to the table's rejects table, its files written."""

    pending: PendingCommit
    files: TableFiles
    local: Path  # the rejects as one Parquet file, for the raw zone's rejects/
    config: PipelineConfig
    key: str  # its object in the raw zone's rejects/

    def upload(self) -> None:
        """Keeps the rejects in the raw zone's rejects/ too."""
        from .catalog import object_store
        from .raw_zone import upload

        upload(object_store(self.config), self.local, f"{self.config.bucket}/{self.key}")


def _stage_rejects(
    job: Job, staging: Path, rejects: list[Reject], sha: str
) -> _StagedRejects | None:
    """Writes the files that make the table's rejects table hold exactly this content's
    rejects (also when it now has none); None when there are none and never were."""
    import pyarrow as pa
    import pyarrow.fs as pafs
    from pyiceberg.exceptions import NoSuchTableError

    from .commit import PendingCommit, Target
    from .raw_zone import write_parquet
    from .table_files import TableFiles
    from .types import ColumnType

    table = rejects_table(job.table)
    if not rejects:
        try:
            job.tables.load_table((job.config.schema, table))
        except NoSuchTableError:
            return None  # none now, none before
    lineage = _Lineage(job.source, job.started_at)
    columns = [
        ("line", ColumnType("bigint")),
        ("column_name", ColumnType("varchar")),
        ("value", ColumnType("varchar")),
        ("reason", ColumnType("varchar")),
        ("raw", ColumnType("varchar")),
    ]
    schema = pa.schema([pa.field(name, kind.arrow()) for name, kind in columns] + lineage.fields)
    batch = pa.RecordBatch.from_arrays(
        [
            pa.array([r.line for r in rejects], pa.int64()),
            pa.array([r.column for r in rejects], pa.string()),
            pa.array([r.value for r in rejects], pa.string()),
            pa.array([r.reason for r in rejects], pa.string()),
            pa.array([r.raw for r in rejects], pa.string()),
            *lineage.columns(len(rejects)),
        ],
        schema=schema,
    )
    local = staging / "rejects.parquet"
    write_parquet(pafs.LocalFileSystem(), str(local), schema, [batch])
    pending = PendingCommit(job.tables, Target(job.config.schema, table, columns, [], job.source))
    files = TableFiles(pending.layout, job.source, staging)
    try:
        if batch.num_rows:
            files.add(batch)
        files.finish()
    except BaseException:
        files.abort()
        raise
    key = rejects_key(job.table, object_name(job.path), sha)
    return _StagedRejects(pending, files, local, job.config, key)
