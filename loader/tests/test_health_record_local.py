"""The tables' health record (health_record.py) against pyiceberg's SQL catalog on local
files: one row per table, measured from its metadata, replaced as the table changes."""

from __future__ import annotations

from local_tables import NS, table, write

from lakehouse_loader import health_record
from lakehouse_loader.catalog import catalog
from lakehouse_loader.config import PipelineConfig
from lakehouse_loader.conventions import HEALTH_TABLE
from lakehouse_loader.ingest import ingest_file


def recorded(config: PipelineConfig) -> dict[str, tuple[object, ...]]:
    rows = table(config, HEALTH_TABLE).scan().to_arrow().to_pylist()
    assert len(rows) == len({r["table_name"] for r in rows}), "one row per table"
    return {str(r["table_name"]): (r["data_files"], r["small_files"], r["snapshots"]) for r in rows}


def measured(config: PipelineConfig, *names: str) -> list[dict[str, object]]:
    return health_record.measure_tables(catalog(config), NS, list(names))


def test_each_table_gets_one_row_replaced_as_it_changes(config: PipelineConfig) -> None:
    ingest_file(write(config, "orders.csv", "id,amount\n1,2.5\n2,3.5\n"), config)
    ingest_file(write(config, "events.csv", "event\nopen\n"), config)
    health_record.record(catalog(config), NS, measured(config, "orders", "events"))
    assert recorded(config) == {"orders": (1, 1, 1), "events": (1, 1, 1)}

    # A second file of orders: its row alone is replaced, in one commit of the record.
    ingest_file(write(config, "orders/feb.csv", "id,amount\n3,4.5\n"), config)
    before = len(table(config, HEALTH_TABLE).metadata.metadata_log)
    health_record.record(catalog(config), NS, measured(config, "orders"))
    assert recorded(config) == {"orders": (2, 2, 2), "events": (1, 1, 1)}
    # One commit: one new metadata file (its delete and its append are two snapshots).
    assert len(table(config, HEALTH_TABLE).metadata.metadata_log) == before + 1


def test_a_table_that_does_not_exist_has_no_row(config: PipelineConfig) -> None:
    ingest_file(write(config, "orders.csv", "id\n1\n"), config)
    rows = measured(config, "orders", "orders__rejects", "gone")
    assert [r["table_name"] for r in rows] == ["orders"]
    assert rows[0]["oldest_snapshot"] is not None
    assert rows[0]["last_compaction"] is None


def test_the_whole_record_rewritten_forgets_tables_left_out(config: PipelineConfig) -> None:
    ingest_file(write(config, "orders.csv", "id\n1\n"), config)
    ingest_file(write(config, "events.csv", "event\nopen\n"), config)
    health_record.record(catalog(config), NS, measured(config, "orders", "events"))
    health_record.record(catalog(config), NS, measured(config, "events"), whole=True)
    assert recorded(config) == {"events": (1, 1, 1)}


def test_a_commit_that_loses_the_race_is_made_again(config: PipelineConfig) -> None:
    ingest_file(write(config, "orders.csv", "id\n1\n"), config)
    ingest_file(write(config, "events.csv", "event\nopen\n"), config)
    health_record.record(catalog(config), NS, measured(config, "orders"))
    # This writer reads the record; another commits to it before this writer does.
    stale = table(config, HEALTH_TABLE)
    health_record.record(catalog(config), NS, measured(config, "orders"))
    refreshed = []
    fresh = stale.refresh

    def refresh() -> object:
        refreshed.append(1)
        return fresh()

    stale.refresh = refresh  # type: ignore[method-assign,assignment]
    writer = catalog(config)
    writer.load_table = lambda identifier: stale  # type: ignore[method-assign,assignment,return-value]
    health_record.record(writer, NS, measured(config, "events"))
    # Refused once (stale), made again on the record as it is now: both rows there.
    assert refreshed == [1]
    assert recorded(config) == {"orders": (1, 1, 1), "events": (1, 1, 1)}
