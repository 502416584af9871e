"""Files of one table that arrive together are committed together: one snapshot of the
table, one of its rejects table, one write of the ledger, whatever their number. A stream
of small files then makes a few snapshots, not one per file (and one per file of the
rejects table and of the ledger).

Each file is planned, read, validated and written locally on its own, exactly as it would be
alone (ingest.py), and its outcome stays its own: a file that cannot be loaded is recorded
and reported, and the others still load. Only the commit is shared, an Iceberg transaction
that replaces the rows earlier versions of each file left (commit.commit_together), so a
failed commit leaves the table as it was and every file of it due again.

Left to load alone, each with its own commit: the files of a keyed table, whose order
matters (a later file updates an earlier one's rows), and large files, which gain nothing
from sharing a snapshot and would all be staged on the local disk until it.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .ingest import (
    LoadResult,
    held_result,
    ingest_file,
    is_keyed,
    loaded_entry,
    new_job,
    progress,
    record_failure,
)
from .sources import table_for

if TYPE_CHECKING:
    from pathlib import Path

    from pyiceberg.catalog import Catalog

    from .commit import Part
    from .config import PipelineConfig
    from .ingest import Job, Staged

# A file larger than this loads alone: committing it with others saves nothing worth
# holding every staged file of the group on the local disk until the commit.
TOGETHER_MAX_BYTES = 64 << 20
# Raw-zone objects uploaded at a time before a group's commit.
UPLOADS = 4

Outcome = LoadResult | Exception


def ingest_together(
    paths: list[Path], config: PipelineConfig, since: datetime | None = None
) -> list[Outcome]:
    """Loads files of one table (see the module's docs); one outcome per file, in order: its
    result, or the error that stopped it (recorded in the ledger like a file's alone)."""
    raw_dir = config.data_dir / "raw"
    together = [path for path in paths if _small(path)]
    if len(together) < 2 or is_keyed(paths[0], raw_dir, table_for(paths[0], raw_dir)):
        together = []  # each loads alone
    outcomes: dict[Path, Outcome] = {}
    if together:
        outcomes.update(zip(together, _load_together(together, config, since), strict=True))
    for path in paths:
        if path not in outcomes:
            try:
                outcomes[path] = ingest_file(path, config, since)
            except Exception as error:
                outcomes[path] = error
    return [outcomes[path] for path in paths]


def _small(path: Path) -> bool:
    try:
        return path.stat().st_size <= TOGETHER_MAX_BYTES
    except OSError:
        return False  # gone: its own load says so


def _load_together(
    paths: list[Path], config: PipelineConfig, since: datetime | None
) -> list[Outcome]:
    from .catalog import catalog
    from .ingest import use_jemalloc
    from .ledger import record

    use_jemalloc()
    tables = catalog(config)
    outcomes: dict[Path, Outcome] = {}
    with contextlib.ExitStack() as folders:
        staged: list[Staged] = []
        for path in paths:
            try:
                job = new_job(path, config, tables, (time.monotonic(), datetime.now(UTC)))
            except Exception as error:  # not there (any more)
                outcomes[path] = error
                continue
            sha = None
            try:
                held, sha = held_result(job, since)
                if held is not None:
                    outcomes[path] = held
                    continue
                staged.append(_staged(replace(job, sha=sha), folders))
            except Exception as error:
                record_failure(job, error, sha)
                outcomes[path] = error
        if staged:
            for one, outcome in zip(staged, _commit(staged, tables), strict=True):
                outcomes[one.job.path] = outcome
            loaded = [
                loaded_entry(one.job, result, one.sha)
                for one in staged
                if isinstance(result := outcomes[one.job.path], LoadResult)
            ]
            if loaded:
                record(tables, config.schema, *loaded)
    return [outcomes[path] for path in paths]


def _staged(job: Job, folders: contextlib.ExitStack) -> Staged:
    """The file read and written in a staging folder of its own, which stays until the
    group's commit is done; a disk that fills up fails this file alone, naming it."""
    from .ingest import begin_load, plan_for, stage
    from .staging import load_folder

    contract, schema = begin_load(job)
    # Small files are planned by reading them whole: no provisional plan to disprove.
    plan = plan_for(job, contract, schema)
    folder = contextlib.ExitStack()
    try:
        staging = folder.enter_context(load_folder(job.source, plan.file_size))
        staged = stage(job, contract, plan, staging)
    except BaseException as error:
        # The folder's context turns a full disk into this file's error.
        folder.__exit__(type(error), error, error.__traceback__)
        raise
    folders.push(folder)
    return staged


def _commit(staged: list[Staged], tables: Catalog) -> list[Outcome]:
    """Commits the staged files together; files with a column new to the table that no one
    type holds (true and false in one, dates in another) are committed one by one instead,
    as they would be loaded apart."""
    from .commit import PendingCommit, Target, combined_columns

    columns = combined_columns([one.pending.target.columns for one in staged])
    if columns is None:
        return [_commit_alone(one) for one in staged]
    first = staged[0]
    config, table = first.job.config, first.job.table
    progress(
        first.job.source,
        f"committing {len(staged)} files to iceberg.{config.schema}.{table} together",
        first.job.started,
    )
    try:
        target = Target(
            config.schema, table, columns, first.pending.target.partition, first.job.source
        )
        pending = PendingCommit(tables, target)
        with ThreadPoolExecutor(UPLOADS, thread_name_prefix="upload") as uploads:
            raw = [uploads.submit(one.upload_raw) for one in staged]
            snapshot = pending.commit_together(
                [_part(one) for one in staged], before_commit=lambda: [r.result() for r in raw]
            )
        _commit_rejects(staged, tables)
    except Exception as error:
        for one in staged:
            record_failure(one.job, error, one.sha)
        return [error for _ in staged]
    for one in staged:
        progress(one.job.source, "committed", one.job.started)
    return [one.result(snapshot) for one in staged]


def _commit_alone(one: Staged) -> Outcome:
    from .ingest import commit_staged

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="upload") as uploads:
            raw = uploads.submit(one.upload_raw)
            return commit_staged(one, raw.result)
    except Exception as error:
        record_failure(one.job, error, one.sha)
        return error


def _part(one: Staged) -> Part:
    from .commit import Part

    return Part(
        one.job.source, one.table_files, one.raw_file, one.sha, one.accepted, one.rejected,
    )  # fmt: skip


def _commit_rejects(staged: list[Staged], tables: Catalog) -> None:
    """The files' rejects, committed together to the rejects table (also a file's none,
    replacing an earlier version's), and kept in the raw zone."""
    from .commit import Part, PendingCommit

    with_rejects = [one for one in staged if one.rejects is not None]
    if not with_rejects:
        return
    parts = []
    for one in with_rejects:
        rejects = one.rejects
        assert rejects is not None
        rejects.upload()
        parts.append(Part(one.job.source, rejects.files, rejects.local, one.sha, one.rejected))
    first = with_rejects[0].rejects
    assert first is not None
    PendingCommit(tables, first.pending.target).commit_together(parts)
