"""Daily upkeep of every Iceberg table. Wiring only: the logic is lakehouse_loader."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

# The DAG processor has the loader on PYTHONPATH, as the tasks do.
from lakehouse_loader.conventions import HEALTH_TABLE, LEDGER_TABLE, LOAD_POOL

DOC = f"""
### Daily upkeep of the Iceberg tables

For every table in `iceberg.lakehouse` (data, rejects, the `{LEDGER_TABLE}` ledger and
the `{HEALTH_TABLE}` record):

1. **compact** data files smaller than 128 MB (`optimize`): each load adds files, and many
   small files make queries slow;
2. **expire snapshots** older than the retention (`expire_snapshots`): time travel reaches
   back that far, no further;
3. **remove orphan files** older than the retention (`remove_orphan_files`): files a
   crashed write left behind.

Then, whether every table's upkeep succeeded or not, **record health**: each table's data
files, small files and snapshots are measured again into `{HEALTH_TABLE}`, which the Data
quality dashboard shows.

The retention is `LAKEHOUSE_SNAPSHOT_RETENTION` in `.env` (default `7d`, also Trino's
minimum). Raw-zone Parquet under `s3://lakehouse/raw/` is never touched: it is the audit
trail.
"""


@dag(
    dag_id="iceberg_maintenance",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=DOC,
    tags=["lakehouse", "maintenance"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
)
def iceberg_maintenance() -> None:
    @task
    def list_tables() -> list[str]:
        from lakehouse_loader.orchestration import maintained_tables

        return maintained_tables()

    # Shares the loads' pool: compaction and a load of the same table never race.
    @task(pool=LOAD_POOL, map_index_template="{{ table }}")
    def maintain(table: str) -> None:
        from airflow.sdk import get_current_context

        from lakehouse_loader.orchestration import maintain_table

        get_current_context()["table"] = table  # type: ignore[typeddict-unknown-key]
        maintain_table(table)

    @task(trigger_rule="all_done")
    def record_health() -> int:
        from lakehouse_loader.orchestration import record_every_table_health

        return record_every_table_health()

    maintain.expand(table=list_tables()) >> record_health()


iceberg_maintenance()
