"""CSV files in data/raw/ -> Iceberg tables. Wiring only: the logic is lakehouse_loader."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, AssetWatcher, Param, dag, task

# The DAG processor and the triggerer have the loader on PYTHONPATH, as the tasks do.
from lakehouse_loader.arrival_trigger import DropZoneTrigger
from lakehouse_loader.conventions import LEDGER_TABLE, LOAD_POOL, REJECTS_SUFFIX

# The folder's watch: runs start when files land (lakehouse_loader/arrival_trigger.py).
ARRIVALS = Asset(
    name="lakehouse_csv_arrivals",
    watchers=[AssetWatcher(name="data_raw_watch", trigger=DropZoneTrigger())],
)

DOC = f"""
### CSV files in `data/raw/` → Iceberg tables

A run starts when CSV files land in `data/raw/`: the asset `{ARRIVALS.name}` is watched by a
trigger in Airflow's triggerer (event-driven scheduling), which polls the folder every second
and fires for a file that is new or changed and has settled (the same size on two polls, and
not written for 2 seconds: a copy in progress is never read). The run loads exactly those
files, a task per table: files of one table that arrive together are committed together,
in one snapshot (a stream of small files makes a few snapshots, not one per file); each
file is still validated, quarantined, recorded and reported on its own:

1. **validate**: types, required columns and formats (the optional
   `data/raw/<table>.contract.yaml`), row by row; rows that break it go to
   `iceberg.lakehouse.<table>{REJECTS_SUFFIX}` with the line number and the reason;
2. **write** the accepted rows as Parquet to the raw zone, `s3://lakehouse/raw/<table>/`;
3. **commit** them to `iceberg.lakehouse.<table>` through the Iceberg REST catalog,
   replacing the rows an earlier version of the same file left, in one atomic commit (with
   the schema change they need, if any);
4. **refresh** the dashboards;
5. **keep the tables healthy**: a changed table (its rejects table, the ledger) with more
   small files or snapshots than its threshold is compacted, or its older snapshots
   expired, at once rather than by the daily `iceberg_maintenance` (`compact_at_small_files`
   and `expire_at_snapshots` in its contract, else `LAKEHOUSE_COMPACT_AT_SMALL_FILES` and
   `LAKEHOUSE_EXPIRE_AT_SNAPSHOTS` in `.env`: 32 and 100).

`data/raw/<name>.csv` and `data/raw/<name>/*.csv` both load into table `<name>` (`.csv`
in any case; names starting with `.` or `~`, such as editors' lock files, are left out).
CSV files uploaded to `s3://lakehouse/landing/<table>/` (the S3 landing zone) are moved
into `data/raw/<table>/` by the same trigger and load from there at once.

**Nothing runs while nothing arrives.** Once a minute the trigger also asks the ledger
(`iceberg.lakehouse.{LEDGER_TABLE}`) which files are still due (a load that failed for a
passing reason, a file that landed while the triggerer was down) and fires for those it
did not fire for lately (after 1, 2, 4 ... up to 32 minutes); with everything loaded it
fires for nothing.

**On demand**: `./lakehouse ingest FILE...` triggers a run for exactly those files (the
`files` parameter, e.g. `["data/raw/orders.csv"]`). A run triggered with neither files nor
an event loads every due file.

**Failures**: a file that cannot be loaded (not CSV, too many bad rows, a type that
contradicts its table) fails its task at once, once the other files of its table are
loaded, with the file, line, column and fix in the log, and is not tried again until it
changes. A load that runs out of local disk for its
staged Parquet fails at once too, naming the folder and the space needed; later runs try
it again. Anything else is retried with backoff, and by later runs until 12 attempts in
a row failed on the same content; the triggerer's log
then says "gave up after 12 failed attempts" and why (`./lakehouse ingest` loads it again).
A file that changed while it was loaded is loaded again once it settles.
Retries never duplicate rows. Runs may overlap (an on-demand run never waits for another),
and a run leaves a file that an earlier run, still queued or running, has taken on to
that run, so a backlog is queued once. Loads run one at a time (pool `{LOAD_POOL}`): on a
small machine that is the fastest order, and loads of one table never race.
"""


DAG_ID = "csv_to_iceberg"


@dag(
    dag_id=DAG_ID,
    schedule=[ARRIVALS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Discovery is cheap and loads queue in the pool, so runs may overlap: an on-demand
    # run never waits for an event's, nor twenty `lakehouse ingest` for each other.
    max_active_runs=32,
    doc_md=DOC,
    tags=["lakehouse", "ingest"],
    params={
        "files": Param(
            [],
            type="array",
            items={"type": "string"},
            description="Files to load, as data/raw/<name>.csv. Empty: every new or changed file.",
        )
    },
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=10),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=5),
    },
)
def csv_to_iceberg() -> None:
    @task
    def find_files(
        params: dict[str, Any], run_id: str, triggering_asset_events: Any = None
    ) -> list[list[str]]:
        """The files named by the run's `files` parameter, or those the events that started
        it name, or else every due file; none that another run of this DAG still queued or
        running has taken on. Grouped by table: a group is one load, committed together."""
        from airflow.sdk import get_current_context

        from lakehouse_loader.orchestration import by_table, files_to_load

        ti = get_current_context()["ti"]

        def active(other: str) -> bool:
            try:
                return ti.get_dagrun_state(dag_id=DAG_ID, run_id=other) in ("queued", "running")
            except Exception:  # a run that cannot be found (deleted) is not active
                return False

        arrived = sorted(
            {
                str(source)
                for events in (triggering_asset_events or {}).values()
                for event in events
                for source in ((event.extra or {}).get("payload") or {}).get("files", [])
            }
        )
        return by_table(files_to_load(list(params.get("files") or []), run_id, active, arrived))

    # Named in the grid by its file, or its table and how many files it loads together.
    @task(pool=LOAD_POOL, map_index_template="{{ files_loaded }}")
    def load(sources: list[str]) -> list[dict[str, object]]:
        """Validate, write Parquet to S3 and commit files of one table; see the DAG's docs.
        Returns each file's outcome, also kept (XCom `outcomes`) when the task fails."""
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowFailException

        from lakehouse_loader.orchestration import label_of, load_files

        context = get_current_context()
        context["files_loaded"] = label_of(sources)  # type: ignore[typeddict-unknown-key]
        # When the run was asked for: a file the run its arrival started loaded since is
        # reported as loaded, not unchanged (`lakehouse ingest` copies into data/raw/).
        since = context["dag_run"].run_after
        outcomes = load_files(sources, context["run_id"], since)
        context["ti"].xcom_push(key="outcomes", value=outcomes)
        failed = [o for o in outcomes if o["status"] == "failed"]
        if any(o["retry"] for o in failed):
            # Retried with backoff; files committed meanwhile are found loaded then.
            raise RuntimeError("\n".join(str(o["error"]) for o in failed))
        if failed:
            # Their messages say what to fix, and retrying at once cannot help: the file's
            # content, or the loader's disk full (the ledger has it failed: the drop zone's
            # watch tries that again later).
            raise AirflowFailException("\n".join(str(o["error"]) for o in failed))
        return outcomes

    # One refresh at a time across runs (Airflow's max_active_tis_per_dag): the others wait
    # without holding a worker slot, and skip when a refresh since their loads saw them.
    @task(trigger_rule="none_failed_min_one_success", max_active_tis_per_dag=1)
    def refresh_dashboards(results: list[list[dict[str, object]]]) -> None:
        from lakehouse_loader.orchestration import refresh_dashboards

        refresh_dashboards([outcome for group in results for outcome in group])

    # In the loads' pool: compaction and a load of the same table never race.
    @task(trigger_rule="none_failed_min_one_success", pool=LOAD_POOL)
    def keep_tables_healthy(results: list[list[dict[str, object]]]) -> None:
        """Compacts and expires the changed tables past their thresholds; see the docs."""
        from lakehouse_loader.orchestration import keep_tables_healthy

        keep_tables_healthy([outcome for group in results for outcome in group])

    results = load.expand(sources=find_files())
    refresh_dashboards(results)
    keep_tables_healthy(results)


csv_to_iceberg()
