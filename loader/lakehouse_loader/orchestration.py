"""What the Airflow tasks call: the DAG files only wire these together.

Nothing here imports Airflow, so it is tested and type-checked like the rest of the package.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .config import PipelineConfig
from .discovery import due_files
from .errors import IngestError
from .in_flight import InFlight
from .ingest import LoadResult
from .maintenance import maintain, tables
from .sources import path_of, table_for
from .together import ingest_together
from .trino_sql import Trino

log = logging.getLogger(__name__)

# One file's outcome as a load task returns it (JSON for Airflow's XCom).
Outcome = dict[str, object]


def state_dir() -> Path:
    """The install's state folder (LAKEHOUSE_HOME), which every Airflow process shares."""
    return Path(os.environ.get("LAKEHOUSE_HOME", ".lakehouse"))


def in_flight() -> InFlight:
    """The claims of the install's runs."""
    return InFlight(state_dir() / "in-flight")


def files_to_load(
    requested: list[str],
    run_id: str,
    run_active: Callable[[str], bool],
    arrived: list[str] | None = None,
) -> list[str]:
    """The files this run takes on: the requested ones (checked to be under data/raw/);
    else those the drop zone's watch fired for (`arrived`, from the events that started the
    run) that are still there; else every due file. Arrived and due files that another
    active run has taken on are left to it."""
    config = PipelineConfig.from_env()
    claims = in_flight()
    if requested:
        for source in requested:
            path_of(source, config)
        claims.claim(requested, run_id)
        return requested
    held = claims.held(run_active, run_id)
    if arrived:
        present = [source for source in arrived if _present(source, config)]
        if len(present) < len(arrived):
            gone = sorted(set(arrived) - set(present))
            log.info("%d file(s) gone since they arrived: %s", len(gone), ", ".join(gone))
        candidates = present
    else:
        candidates = due_files(config, Trino(config))
    taken = [source for source in candidates if source in held]
    chosen = [source for source in candidates if source not in held]
    if taken:
        log.info("%d file(s) left to the runs loading them: %s", len(taken), ", ".join(taken))
    chosen, waiting = _after_held_keyed(chosen, held, config)
    if waiting:
        log.info(
            "%d file(s) of keyed tables wait for an earlier file another run is loading"
            " (the watch fires them again once it is loaded): %s",
            len(waiting), ", ".join(waiting),
        )  # fmt: skip
    log.info("%d file(s) to load: %s", len(chosen), ", ".join(chosen) or "none")
    claims.claim(chosen, run_id)
    return chosen


def _after_held_keyed(
    chosen: list[str], held: set[str], config: PipelineConfig
) -> tuple[list[str], list[str]]:
    """Splits off the files of a keyed table that come after (by name, the order a keyed
    table's files are applied in) a file of that table another active run holds: loaded
    now, a later file's updates and deletes would be undone by the earlier file's load
    after it. They wait for a later run; the watch's scan fires them again while they are
    due (arrivals.py). Returns (files to load now, files that wait)."""
    from .contract import contract_path_for, load_contract

    raw_dir = config.data_dir / "raw"

    def table(source: str) -> str | None:
        try:
            return table_for(path_of(source, config), raw_dir)
        except (IngestError, ValueError):
            return None

    first_held: dict[str, str] = {}
    for source in held:
        name = table(source)
        if name is not None:
            first_held[name] = min(first_held.get(name, source), source)

    def keyed(name: str) -> bool:
        try:
            contract = load_contract(contract_path_for(raw_dir / name))
        except IngestError:
            return False  # its loads report the contract's problem
        return contract is not None and contract.primary_key is not None

    now: list[str] = []
    waiting: list[str] = []
    for source in chosen:
        name = table(source)
        earlier = first_held.get(name) if name is not None else None
        if name is not None and earlier is not None and earlier < source and keyed(name):
            waiting.append(source)
        else:
            now.append(source)
    return now, waiting


def _present(source: str, config: PipelineConfig) -> bool:
    try:
        return path_of(source, config).is_file()
    except IngestError:  # not a name under data/raw/: no watch of ours fired it
        return False


def by_table(sources: list[str]) -> list[list[str]]:
    """The files grouped by their table, in the order they come: each group is one load task,
    its files committed together (together.py)."""
    config = PipelineConfig.from_env()
    raw_dir = config.data_dir / "raw"
    groups: dict[str, list[str]] = {}
    for source in sources:
        groups.setdefault(table_for(path_of(source, config), raw_dir), []).append(source)
    return list(groups.values())


def label_of(sources: list[str]) -> str:
    """A load task's name in Airflow's grid: its file, or its table and how many files."""
    if len(sources) == 1:
        return sources[0]
    config = PipelineConfig.from_env()
    table = table_for(path_of(sources[0], config), config.data_dir / "raw")
    return f"{table}: {len(sources)} files"


def load_files(sources: list[str], run_id: str, since: datetime | None = None) -> list[Outcome]:
    """Loads files of one table for a run asked for at `since` (see ingest_file), committed
    together; one outcome per file, in order: the load's result, or `status` "failed" with
    the `error` and whether retrying the task could help (`retry`: anything but an
    IngestError, whose message says what to fix; the ledger has it, and the drop zone's
    watch tries a failed file again later)."""
    config = PipelineConfig.from_env()
    paths = [path_of(source, config) for source in sources]
    outcomes: list[Outcome] = []
    for source, outcome in zip(sources, ingest_together(paths, config, since), strict=True):
        if isinstance(outcome, LoadResult):
            log.info(
                "%s -> %s.%s: %s, %d rows accepted, %d rejected",
                outcome.file, config.schema, outcome.table, outcome.status,
                outcome.rows_accepted, outcome.rows_rejected,
            )  # fmt: skip
            # When it was committed: a dashboards' refresh that began later has seen it.
            outcomes.append({**outcome.as_dict(), "finished_at": time.time()})
            in_flight().release(source, run_id)
            continue
        retry = not isinstance(outcome, IngestError)
        # An IngestError names its file itself; anything else gets it here.
        if retry:
            log.warning("%s: %s", source, outcome)
        else:
            log.warning("%s", outcome)
        outcomes.append({"file": source, "status": "failed", "error": str(outcome), "retry": retry})
        # A file not worth retrying is done with: the run is; any other keeps its claim
        # while the run retries.
        if not retry:
            in_flight().release(source, run_id)
    return outcomes


def refresh_dashboards(results: list[dict[str, object]]) -> None:
    """Once per run, after its loads: new tables get their dashboards, changed tables their
    columns (LAKEHOUSE_DASHBOARDS_COMMAND, `lakehouse dashboards` in native mode).

    The DAG runs one refresh at a time; many runs finishing together (a backlog, twenty
    `lakehouse ingest` at once) would queue a refresh each, a minute apiece. A refresh
    provisions every table there is when it begins, so a run whose loads were all committed
    before the last successful refresh began has nothing left to refresh."""
    loaded = [r for r in results if r.get("status") == "loaded"]
    tables = sorted({str(r["table"]) for r in loaded})
    log.info("tables changed: %s", ", ".join(tables) or "none")
    command = os.environ.get("LAKEHOUSE_DASHBOARDS_COMMAND")
    if not tables or not command:
        return
    marker = state_dir() / "dashboards-refreshed.json"
    committed = max(_number(r.get("finished_at"), default=time.time()) for r in loaded)
    last = _last_refresh(marker)
    if last >= committed:
        log.info(
            "already refreshed: a refresh that began at %s, after these loads, saw these tables",
            time.strftime("%H:%M:%S", time.localtime(last)),
        )
        return
    began = time.time()
    done = subprocess.run(
        shlex.split(command), capture_output=True, text=True, timeout=600, check=False
    )
    log.info("%s\n%s", command, (done.stdout + done.stderr).strip())
    if done.returncode != 0:
        raise RuntimeError(f"{command} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    marker.parent.mkdir(parents=True, exist_ok=True)
    temporary = marker.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"began_at": max(began, _last_refresh(marker))}))
    temporary.replace(marker)


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _last_refresh(marker: Path) -> float:
    """When the last successful refresh began (0: none yet)."""
    try:
        return _number(json.loads(marker.read_text()).get("began_at"), default=0.0)
    except (OSError, ValueError, AttributeError):
        return 0.0


def keep_tables_healthy(results: list[dict[str, object]]) -> None:
    """After a run's loads: each table they changed, its rejects table and the ledger are
    compacted and expired when past their thresholds (table_health.py)."""
    from pyiceberg.exceptions import NoSuchTableError

    from . import health_record
    from .catalog import catalog
    from .contract import contract_path_for, load_contract
    from .conventions import HEALTH_TABLE, LEDGER_TABLE, rejects_table
    from .health_record import measure_tables
    from .table_health import Thresholds, keep_healthy

    config = PipelineConfig.from_env()
    install = Thresholds(config.compact_at_small_files, config.expire_at_snapshots)
    changed = sorted({str(r["table"]) for r in results if r.get("status") == "loaded"})
    if not changed:
        return
    tables, trino = catalog(config), Trino(config)
    due = [(LEDGER_TABLE, install), (HEALTH_TABLE, install)]
    for table in changed:
        try:
            contract = load_contract(contract_path_for(config.data_dir / "raw" / table))
        except IngestError:
            contract = None  # its loads report it; the install's thresholds meanwhile
        thresholds = Thresholds(
            (contract and contract.compact_at_small_files) or install.small_files,
            (contract and contract.expire_at_snapshots) or install.snapshots,
        )
        due += [(table, thresholds), (rejects_table(table), thresholds)]
    failed = []
    for name, thresholds in due:
        try:
            keep_healthy(trino, tables.load_table((config.schema, name)), name, thresholds)
        except NoSuchTableError:
            pass  # no rejects yet, or the table dropped since
        except Exception as error:  # the others still get their turn
            log.warning("%s: not kept healthy: %s", name, error)
            failed.append(name)
    # Measured once cared for: what the Data quality dashboard shows (health_record.py).
    try:
        names = [name for name, _ in due]
        health_record.record(tables, config.schema, measure_tables(tables, config.schema, names))
    except Exception as error:
        log.warning("the health record not written: %s", error)
        failed.append(HEALTH_TABLE)
    if failed:
        raise RuntimeError(f"not kept healthy (see the warnings above): {', '.join(failed)}")


def maintained_tables() -> list[str]:
    config = PipelineConfig.from_env()
    return tables(Trino(config))


def maintain_table(table: str) -> None:
    config = PipelineConfig.from_env()
    maintain(Trino(config), table, config.snapshot_retention)


def record_every_table_health() -> int:
    """After the daily maintenance: every table's health measured, the record rewritten
    whole (a dropped table's row goes). Returns how many tables."""
    from . import health_record
    from .catalog import catalog

    config = PipelineConfig.from_env()
    iceberg = catalog(config)
    rows = health_record.measure_tables(iceberg, config.schema, tables(Trino(config)))
    health_record.record(iceberg, config.schema, rows, whole=True)
    return len(rows)
