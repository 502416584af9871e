"""Load one CSV file into its Iceberg table: extract, validate, stage, register, record.

Everything before registration only reads the file and writes the raw zone, so a file
that fails validation leaves every table as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .config import PipelineConfig
from .errors import IngestError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import pyarrow as pa

    from .contract import Contract
    from .extract import Batch, FilePlan, Reject
    from .trino_sql import Trino


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

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


_progress = logging.getLogger("lakehouse_loader.progress")


def progress(source: str, message: str, started: float) -> None:
    """One line per stage, so a long load shows where it is and what took long: in the task
    log under Airflow, as `progress:` lines on stderr from the command line (__main__)."""
    _progress.info("%s: [%.1fs] %s", source, time.monotonic() - started, message)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_name(path: Path, config: PipelineConfig) -> str:
    """How the ledger and lineage name a file: as users see it in the spec's layout
    (data/raw/...), whatever the data directory's real path."""
    return "data/" + path.resolve().relative_to(config.data_dir.resolve()).as_posix()


def path_of(source: str, config: PipelineConfig) -> Path:
    """The file a source name stands for; only names inside data/raw/ are accepted."""
    relative = Path(source.removeprefix("data/"))
    raw_dir = (config.data_dir / "raw").resolve()
    path = (config.data_dir / relative).resolve()
    if relative.is_absolute() or not path.is_relative_to(raw_dir):
        raise IngestError(
            source, "not a file under data/raw/", fix="name files as data/raw/<name>.csv"
        )
    return path


def table_for(path: Path, raw_dir: Path) -> str:
    """data/raw/<name>.csv and data/raw/<name>/<any>.csv both load into table <name>."""
    from .names import normalize_headers

    relative = path.resolve().relative_to(raw_dir.resolve())
    stem = relative.parts[0] if len(relative.parts) > 1 else relative.stem
    return normalize_headers([stem])[0]


def object_name(path: Path) -> str:
    """A plain name for the file's objects in S3: its normalised stem, plus a short hash of
    the real name when normalising changed it, so "Jan 2026.csv" and "jan_2026.csv" differ."""
    from .names import normalize_headers

    name = normalize_headers([path.stem])[0]
    if name == path.stem:
        return name
    return f"{name}_{hashlib.sha256(path.name.encode()).hexdigest()[:8]}"


def contract_path(path: Path, raw_dir: Path, table: str) -> Path:
    relative = path.resolve().relative_to(raw_dir.resolve())
    base = relative.parts[0] if len(relative.parts) > 1 else relative.stem
    return raw_dir / f"{base}.contract.yaml"


def is_unchanged(trino: Trino, table: str, source: str, sha: str, last: tuple[str, int]) -> bool:
    """The file's `last` load (ledger: content hash, rows) had this content, and its rows
    are still in the existing `table` (rows deleted by hand since then mean: load again)."""
    if last[0] != sha:
        return False
    rows = trino.query(
        f"SELECT count(*) FROM {trino.table(table)} WHERE _source_file = ?", [source]
    )
    return int(rows[0][0]) == last[1]


def _use_jemalloc() -> None:
    """Arrow's jemalloc memory pool instead of its default (mimalloc), which on a large load
    kept handing pages back to the system and zeroing new ones (8% of the CPU, measured with
    perf); with jemalloc the load takes 4% less CPU and 100 MB less memory."""
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError):  # a pyarrow built without it
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def ingest_file(path: Path, config: PipelineConfig) -> LoadResult:
    from .ledger import LedgerEntry, ensure_ledger, last_load, record
    from .trino_sql import Trino

    _use_jemalloc()

    started = time.monotonic()
    started_at = datetime.now(UTC)
    raw_dir = config.data_dir / "raw"
    source = source_name(path, config)
    if not path.is_file():
        raise IngestError(source, "file not found", fix="check the path")
    table = table_for(path, raw_dir)

    trino = Trino(config)
    ensure_ledger(trino)
    # The same content again is a no-op while its rows are there: only then is the file
    # hashed before its load. Otherwise pass 1 hashes it as it reads it (1 GiB: 2 s less).
    last = last_load(trino, source)
    sha = None
    if last is not None and trino.table_exists(table):
        sha = sha256_of(path)
        if is_unchanged(trino, table, source, sha, last):
            return LoadResult(source, table, "unchanged", 0, 0, 0, None, time.monotonic() - started)

    try:
        result, sha = _load(_Job(path, source, table, sha, trino, config, started, started_at))
    except Exception as error:
        if sha is None:  # failed before pass 1 had read it all
            with contextlib.suppress(OSError):
                sha = sha256_of(path)
        # Best effort: the ledger shows the failure, but a ledger that cannot be written
        # (Trino down) must not hide the original error.
        failed = LedgerEntry(
            source, sha or "", table, None, None, None, None, started_at, datetime.now(UTC),
            "rejected" if isinstance(error, IngestError) else "failed", str(error)[:2000],
        )  # fmt: skip
        with contextlib.suppress(Exception):
            record(trino, failed)
        raise
    record(
        trino,
        LedgerEntry(
            source, sha, table, result.data_rows, result.rows_accepted, result.rows_rejected,
            result.snapshot_id, started_at, datetime.now(UTC), "loaded", None,
        ),
    )  # fmt: skip
    return result


class _Lineage:
    """The two columns every stored row gets: where it came from and when it was loaded."""

    def __init__(self, source: str, ingested_at: datetime) -> None:
        import pyarrow as pa

        self.fields = [
            pa.field("_source_file", pa.string()),
            pa.field("_ingested_at", pa.timestamp("us", tz="UTC")),
        ]
        self._values = [
            pa.scalar(source, pa.string()),
            pa.scalar(ingested_at, pa.timestamp("us", tz="UTC")),
        ]

    def columns(self, rows: int) -> list[pa.Array]:
        import pyarrow as pa

        return [pa.repeat(value, rows) for value in self._values]


@dataclass(frozen=True)
class _Job:
    """One load of one file: what each of its stages needs."""

    path: Path
    source: str  # as the ledger and lineage name it
    table: str
    sha: str | None  # known before the load, or None: computed while the file is read
    trino: Trino
    config: PipelineConfig
    started: float  # time.monotonic(), for the progress lines
    started_at: datetime


def _load(job: _Job) -> tuple[LoadResult, str]:
    """Loads the file; returns the result and the file's SHA-256 (`job.sha`, or computed
    while the file is read).

    A large file is read once, on the types of its first block, every row checked against
    them (extract.FileReading); when a later value breaks them, what was written is dropped
    and the file is read twice: pass 1 for the types of every row, then pass 2.
    """
    from .contract import load_contract
    from .extract import PlanDisproved, plan_file

    contract = load_contract(contract_path(job.path, job.config.data_dir / "raw", job.table))
    progress(job.source, "checking the header and the types", job.started)
    hash_file = job.sha is None
    try:
        plan = plan_file(job.path, contract, job.source, hash_file=hash_file, from_first_block=True)
        return _write_and_register(job, contract, plan)
    except PlanDisproved as why:
        again = "checking the types in every row, then writing again"
        progress(job.source, f"{why}: {again}", job.started)
        plan = plan_file(job.path, contract, job.source, hash_file=hash_file)
        return _write_and_register(job, contract, plan)


def _write_and_register(
    job: _Job, contract: Contract | None, plan: FilePlan
) -> tuple[LoadResult, str]:
    """Reads the file with its plan, writes the raw zone and the table's files, registers
    them; raises PlanDisproved (before anything is committed) for a provisional plan."""
    import pyarrow as pa
    import pyarrow.fs as pafs

    from .extract import read_file
    from .iceberg_commit import TableFiles, layout_for_load, replace_source_rows
    from .raw_zone import s3_filesystem, upload, write_parquet
    from .register import plan_for, prepare_table
    from .staging import load_folder

    path, source, table, sha, trino, config = (
        job.path, job.source, job.table, job.sha, job.trino, job.config
    )  # fmt: skip
    started, started_at = job.started, job.started_at
    columns = [(c.name, c.type.trino()) for c in plan.columns]
    # The table's data files are written along with the raw zone when the table's layout
    # after the load is known now (see iceberg_commit). An incompatible type fails here,
    # before anything is written.
    change = plan_for(trino, table, columns, source)
    layout = layout_for_load(config, table, change, columns, plan.partition)
    files = "Parquet and the table's files" if layout is not None else "Parquet"
    if plan.provisional:
        progress(
            source,
            f"{len(plan.columns)} columns, typed by the first rows; reading the file once, "
            f"checking every row, writing {files}",
            started,
        )
    else:
        shape = f"{plan.data_rows} rows, {len(plan.columns)} columns"
        progress(source, f"{shape}; writing {files}", started)
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
            if table_files is not None and rows.num_rows:
                table_files.add(rows)
            yield rows

    fs = s3_filesystem(config)
    with load_folder() as staging, ThreadPoolExecutor(1, thread_name_prefix="upload") as uploads:
        table_files = TableFiles(layout, source, staging) if layout is not None else None
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
            if table_files is not None:
                table_files.finish()
            # One object per version of the file, named by its content: the raw zone keeps
            # every version as the audit trail, and a retry of the same content writes the
            # same object.
            object_key = f"{table}/{object_name(path)}.{sha[:12]}.parquet"
            raw_key = f"{config.bucket}/raw/{object_key}"
            progress(
                source,
                f"{plan.data_rows} rows read; uploading s3://{raw_key}; registering in "
                f"iceberg.{config.schema}.{table}",
                started,
            )
            # The raw zone's object is uploaded during the DDL and the table files' upload;
            # the rows become visible only once it is there (the audit trail comes first).
            raw_upload = uploads.submit(upload, fs, raw_file, raw_key)
            location = layout.location if layout is not None and layout.new else None
            prepare_table(trino, table, columns, source, plan.partition, location)
        except BaseException:
            if table_files is not None:
                table_files.abort()  # nothing of them was committed
            raise
        # A table changed meanwhile gets its files written again from the local copy.
        snapshot = replace_source_rows(
            config,
            pafs.LocalFileSystem(),
            table,
            str(raw_file),
            source,
            table_files,
            before_commit=raw_upload.result,
        )

    # The rejects table is replaced for this file too, also when it now has none.
    reject_table = f"{table}__rejects"
    if rejects or trino.table_exists(reject_table):
        reject_fields = [
            pa.field("line", pa.int64()),
            pa.field("raw", pa.string()),
            pa.field("reason", pa.string()),
        ]
        reject_schema = pa.schema(reject_fields + lineage.fields)
        reject_batch = pa.RecordBatch.from_arrays(
            [
                pa.array([r.line for r in rejects], pa.int64()),
                pa.array([r.raw for r in rejects], pa.string()),
                pa.array([r.reason for r in rejects], pa.string()),
                *lineage.columns(len(rejects)),
            ],
            schema=reject_schema,
        )
        reject_key = f"{config.bucket}/rejects/{object_key}"
        write_parquet(fs, reject_key, reject_schema, [reject_batch])
        reject_columns = [("line", "bigint"), ("raw", "varchar"), ("reason", "varchar")]
        prepare_table(trino, reject_table, reject_columns, source, [])
        replace_source_rows(config, fs, reject_table, reject_key, source)

    progress(source, "registered", started)
    return LoadResult(
        source, table, "loaded", plan.data_rows, accepted, len(rejects),
        snapshot, time.monotonic() - started,
    ), sha  # fmt: skip
