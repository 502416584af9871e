"""Files of one table loaded together (together.py) against pyiceberg's SQL catalog on local
files: one snapshot of the table, of its rejects table and of the ledger for the group, each
file's outcome its own."""

from __future__ import annotations

from pathlib import Path

from local_tables import table, write

from lakehouse_loader.commit import recorded
from lakehouse_loader.config import PipelineConfig
from lakehouse_loader.errors import IngestError
from lakehouse_loader.ingest import LoadResult
from lakehouse_loader.ledger import LEDGER
from lakehouse_loader.together import ingest_together


def snapshots(config: PipelineConfig, name: str) -> int:
    return len(table(config, name).snapshots())


def rows(config: PipelineConfig, name: str, *columns: str) -> list[tuple[object, ...]]:
    scan = table(config, name).scan(selected_fields=columns)
    return sorted(tuple(r[c] for c in columns) for r in scan.to_arrow().to_pylist())


def readings(config: PipelineConfig, count: int) -> list[Path]:
    return [
        write(config, f"readings/part-{i:02}.csv", f"sensor,value\ns{i},{i}\nt{i},{i * 10}\n")
        for i in range(1, count + 1)
    ]


def test_files_of_one_table_make_one_snapshot_of_it_and_one_ledger_write(
    config: PipelineConfig,
) -> None:
    paths = readings(config, 12)
    outcomes = ingest_together(paths, config)
    assert all(isinstance(o, LoadResult) and o.status == "loaded" for o in outcomes)
    assert snapshots(config, "readings") == 1
    assert snapshots(config, LEDGER) == 1
    assert len(rows(config, "readings", "sensor")) == 24
    # Each file is known by the snapshot, with its own content and rows.
    snapshot = table(config, "readings").current_snapshot()
    assert snapshot is not None
    for path, outcome in zip(paths, outcomes, strict=True):
        assert isinstance(outcome, LoadResult)
        held = recorded(table(config, "readings"), outcome.file)
        assert held is not None
        assert (held.snapshot_id, held.rows, outcome.snapshot_id) == (
            snapshot.snapshot_id,
            2,
            snapshot.snapshot_id,
        )
        assert outcome.file == f"data/raw/readings/{path.name}"
    ledger = rows(config, LEDGER, "file_path", "status", "snapshot_id", "rows_accepted")
    assert ledger == sorted(
        (f"data/raw/readings/{p.name}", "loaded", snapshot.snapshot_id, 2) for p in paths
    )


def test_the_same_files_again_change_nothing_and_a_changed_one_replaces_its_rows(
    config: PipelineConfig,
) -> None:
    paths = readings(config, 3)
    ingest_together(paths, config)
    again = ingest_together(paths, config)
    assert [o.status for o in again if isinstance(o, LoadResult)] == ["unchanged"] * 3
    assert snapshots(config, "readings") == 1
    write(config, "readings/part-02.csv", "sensor,value\ns2,200\n")
    write(config, "readings/part-03.csv", "sensor,value\ns3,300\nt3,301\nu3,302\n")
    outcomes = ingest_together(paths, config)
    assert [o.status for o in outcomes if isinstance(o, LoadResult)] == [
        "unchanged",
        "loaded",
        "loaded",
    ]
    assert rows(config, "readings", "sensor", "value") == [
        ("s1", 1),
        ("s2", 200),
        ("s3", 300),
        ("t1", 10),
        ("t3", 301),
        ("u3", 302),
    ]
    # One commit: the two files' old rows deleted, their new rows appended (pyiceberg makes
    # a snapshot of each in the one transaction).
    assert snapshots(config, "readings") == 3


def test_a_file_that_cannot_load_is_recorded_and_the_others_still_load_together(
    config: PipelineConfig,
) -> None:
    good = readings(config, 2)
    bad = write(config, "readings/part-99.csv", "")
    outcomes = ingest_together([good[0], bad, good[1]], config)
    assert isinstance(outcomes[1], IngestError)
    assert [o.status for o in (outcomes[0], outcomes[2]) if isinstance(o, LoadResult)] == [
        "loaded",
        "loaded",
    ]
    assert snapshots(config, "readings") == 1
    assert len(rows(config, "readings", "sensor")) == 4
    statuses = rows(config, LEDGER, "file_path", "status")
    assert ("data/raw/readings/part-99.csv", "rejected") in statuses
    assert sum(status == "loaded" for _, status in statuses) == 2


def test_the_files_rejects_are_one_commit_of_the_rejects_table(config: PipelineConfig) -> None:
    write(
        config,
        "readings.contract.yaml",
        "columns:\n  value: { type: bigint }\nmax_reject_ratio: 0.5\n",
    )
    a = write(config, "readings/a.csv", "sensor,value\ns1,1\ns2,x\ns3,3\n")
    b = write(config, "readings/b.csv", "sensor,value\nt1,y\nt2,2\nt3,3\n")
    outcomes = ingest_together([a, b], config)
    assert [(o.rows_accepted, o.rows_rejected) for o in outcomes if isinstance(o, LoadResult)] == [
        (2, 1),
        (2, 1),
    ]
    assert snapshots(config, "readings__rejects") == 1
    assert rows(config, "readings__rejects", "_source_file", "line", "value") == [
        ("data/raw/readings/a.csv", 3, "x"),
        ("data/raw/readings/b.csv", 2, "y"),
    ]
    # Fixed, one file's rejects go and the other's stay.
    write(config, "readings/a.csv", "sensor,value\ns1,1\ns2,2\ns3,3\n")
    ingest_together([a, b], config)
    assert rows(config, "readings__rejects", "_source_file", "line", "value") == [
        ("data/raw/readings/b.csv", 2, "y")
    ]
    assert ingest_together([a, b], config)[0].status == "unchanged"  # type: ignore[union-attr]


def test_columns_the_files_type_differently_get_a_type_that_holds_both(
    config: PipelineConfig,
) -> None:
    a = write(config, "readings/a.csv", "sensor,value\ns1,1\n")
    b = write(config, "readings/b.csv", "sensor,value,unit\ns2,2.5,kg\n")
    ingest_together([a, b], config)
    assert snapshots(config, "readings") == 1
    assert rows(config, "readings", "sensor", "value", "unit") == [
        ("s1", 1.0, None),
        ("s2", 2.5, "kg"),
    ]


def test_files_no_one_type_holds_are_committed_one_by_one(config: PipelineConfig) -> None:
    a = write(config, "readings/a.csv", "sensor,flag\ns1,true\n")
    b = write(config, "readings/b.csv", "sensor,flag\ns2,2026-01-05\n")
    outcomes = ingest_together([a, b], config)
    assert isinstance(outcomes[0], LoadResult)
    assert snapshots(config, "readings") >= 1
    assert ("s1", True) in rows(config, "readings", "sensor", "flag")
    # As loaded apart: the first file makes the column boolean, the second's dates fail.
    assert isinstance(outcomes[1], IngestError)
    assert "stores it as boolean" in str(outcomes[1])
    assert snapshots(config, "readings") == 1
    assert rows(config, "readings", "sensor", "flag") == [("s1", True)]


def test_a_keyed_tables_files_load_one_by_one_in_order(config: PipelineConfig) -> None:
    write(config, "orders.contract.yaml", "primary_key: [id]\n")
    first = write(config, "orders/1.csv", "id,amount\n1,10\n2,20\n")
    second = write(config, "orders/2.csv", "id,amount\n1,11\n")
    ingest_together([first, second], config)
    assert rows(config, "orders", "id", "amount") == [(1, 11), (2, 20)]
    assert snapshots(config, "orders") == 2
