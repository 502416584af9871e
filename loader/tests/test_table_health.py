"""A table's health from its metadata, and when it is compacted or expired (table_health.py);
the thresholds a contract sets. Compaction and expiry themselves are Trino's, tested against
the stack (tests/integration/airflow.test.ts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse_loader.catalog import catalog
from lakehouse_loader.config import PipelineConfig
from lakehouse_loader.contract import load_contract
from lakehouse_loader.errors import IngestError
from lakehouse_loader.ingest import ingest_file
from lakehouse_loader.table_health import (
    CLOCK_MARGIN_SECONDS,
    Health,
    Thresholds,
    care_for,
    health_of,
)

NS = "lakehouse"


def test_health_counts_the_current_data_files_and_every_snapshot(config: PipelineConfig) -> None:
    folder = config.data_dir / "raw" / "trickle"
    folder.mkdir()
    for i in range(5):
        path = folder / f"{i}.csv"
        path.write_text(f"reading,value\n{i},{i * 10}\n", encoding="utf-8")
        ingest_file(path, config)
    table = catalog(config).load_table((NS, "trickle"))
    health = health_of(table)
    assert (health.data_files, health.small_files, health.compactable) == (5, 5, 4)
    assert health.snapshots == len(table.snapshots()) >= 5
    assert list(health.snapshot_times_ms) == sorted(health.snapshot_times_ms, reverse=True)

    # A file loaded again replaces its rows: still one data file per source.
    (folder / "0.csv").write_text("reading,value\n0,1\n", encoding="utf-8")
    ingest_file(folder / "0.csv", config)
    again = health_of(catalog(config).load_table((NS, "trickle")))
    assert again.data_files == 5
    assert again.snapshots > health.snapshots


def test_small_files_in_separate_partitions_are_not_compactable(config: PipelineConfig) -> None:
    raw = config.data_dir / "raw"
    (raw / "daily.contract.yaml").write_text('partition: ["day"]\n', encoding="utf-8")
    (raw / "daily").mkdir()
    for day in ("mon", "tue", "wed"):
        path = raw / "daily" / f"{day}.csv"
        path.write_text(f"day,value\n{day},1\n", encoding="utf-8")
        ingest_file(path, config)
    health = health_of(catalog(config).load_table((NS, "daily")))
    assert (health.small_files, health.compactable) == (3, 0)


def health(compactable: int, snapshot_ages_s: list[int], now_ms: int = 10_000_000) -> Health:
    times = tuple(now_ms - age * 1000 for age in snapshot_ages_s)
    return Health(compactable + 1, compactable + 1, compactable, times)


def test_nothing_is_due_at_or_under_the_thresholds() -> None:
    care = care_for(health(4, list(range(6))), Thresholds(4, 6), now_ms=10_000_000)
    assert (care.compact, care.expire_retention_s) == (False, None)


def test_past_the_thresholds_it_compacts_and_keeps_the_newest_half_of_the_snapshots() -> None:
    ages = [0, 10, 20, 30, 40, 50, 60]  # newest first: 7 snapshots, past 6
    care = care_for(health(5, ages), Thresholds(4, 6), now_ms=10_000_000)
    assert care.compact
    # The newest 3 are kept: the retention reaches the third (20 s old), with the margin.
    assert care.expire_retention_s == 20 + CLOCK_MARGIN_SECONDS
    assert care.expire_retention_s < 30  # the fourth is expired


def test_a_contract_sets_the_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "t.contract.yaml"
    path.write_text("compact_at_small_files: 4\nexpire_at_snapshots: 10\n", encoding="utf-8")
    contract = load_contract(path)
    assert contract is not None
    assert (contract.compact_at_small_files, contract.expire_at_snapshots) == (4, 10)
    path.write_text("primary_key: [id]\n", encoding="utf-8")
    unset = load_contract(path)
    assert unset is not None
    assert (unset.compact_at_small_files, unset.expire_at_snapshots) == (None, None)


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "many", "true"])
def test_a_threshold_must_be_a_whole_number_from_one(tmp_path: Path, value: str) -> None:
    path = tmp_path / "t.contract.yaml"
    path.write_text(f"expire_at_snapshots: {value}\n", encoding="utf-8")
    with pytest.raises(IngestError, match="expire_at_snapshots must be a whole number from 1"):
        load_contract(path)


def test_the_install_thresholds_come_from_the_environment(
    config: PipelineConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "LAKEHOUSE_TRINO_URL": "http://trino",
        "LAKEHOUSE_CATALOG_URL": "http://catalog",
        "LAKEHOUSE_S3_ENDPOINT": "http://s3",
        "S3_ACCESS_KEY": "a",
        "S3_SECRET_KEY": "b",
        "LAKEHOUSE_DATA_DIR": str(config.data_dir),
        "LAKEHOUSE_COMPACT_AT_SMALL_FILES": "",  # empty, as Compose passes an unset one
        "LAKEHOUSE_EXPIRE_AT_SNAPSHOTS": "40",
    }.items():
        monkeypatch.setenv(name, value)
    from_env = PipelineConfig.from_env()
    assert (from_env.compact_at_small_files, from_env.expire_at_snapshots) == (32, 40)
