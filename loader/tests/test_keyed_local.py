"""Keyed loads (keyed.py) through the whole loader on a local catalog: a later file updates
and inserts by key, deletes with its delete column, the last row of a key in a file wins,
the same file again changes nothing, and a load that fails leaves the table as it was."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse_loader.catalog import catalog
from lakehouse_loader.commit import SUMMARY_DELETED, SUMMARY_INSERTED, SUMMARY_UPDATED
from lakehouse_loader.config import PipelineConfig
from lakehouse_loader.contract import load_contract
from lakehouse_loader.errors import IngestError
from lakehouse_loader.ingest import LoadResult, ingest_file

NS = "lakehouse"
KEYED = "primary_key: [id]\ndelete_column: op\n"


def load(config: PipelineConfig, name: str, text: str | None = None) -> LoadResult:
    path = config.data_dir / "raw" / name
    if text is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return ingest_file(path, config)


def contract(config: PipelineConfig, table: str, text: str) -> None:
    (config.data_dir / "raw" / f"{table}.contract.yaml").write_text(text, encoding="utf-8")


def rows(config: PipelineConfig, table: str = "orders") -> list[tuple[object, ...]]:
    scan = catalog(config).load_table((NS, table)).scan(selected_fields=("id", "amount"))
    return sorted(tuple(r.values()) for r in scan.to_arrow().to_pylist())


def counts(result: LoadResult) -> tuple[int | None, ...]:
    return (result.rows_inserted, result.rows_updated, result.rows_deleted, result.duplicate_keys)


def test_a_later_file_updates_inserts_and_deletes_by_key_in_one_commit(
    config: PipelineConfig,
) -> None:
    contract(config, "orders", KEYED)
    first = load(config, "orders/1.csv", "id,amount,op\n1,1.50,I\n2,2.50,I\n3,3.50,I\n")
    assert counts(first) == (3, 0, 0, 0)
    table = catalog(config).load_table((NS, "orders"))
    before = len(table.snapshots())
    second = load(config, "orders/2.csv", "id,amount,op\n2,20.00,U\n4,4.00,I\n3,,D\n9,,D\n")
    assert counts(second) == (1, 1, 1, 0)  # 9 was never there: nothing to delete
    assert rows(config) == [(1, Decimal("1.50")), (2, Decimal("20.00")), (4, Decimal("4.00"))]
    table = catalog(config).load_table((NS, "orders"))
    assert len(table.snapshots()) == before + 1  # one commit
    summary = table.current_snapshot().summary  # type: ignore[union-attr]
    assert summary is not None
    assert (summary[SUMMARY_INSERTED], summary[SUMMARY_UPDATED], summary[SUMMARY_DELETED]) == (
        "1",
        "1",
        "1",
    )


def test_the_last_row_of_a_key_in_a_file_wins_and_the_others_are_counted(
    config: PipelineConfig,
) -> None:
    contract(config, "orders", KEYED)
    result = load(config, "orders.csv", "id,amount,op\n1,1.00,I\n1,2.00,U\n2,5.00,I\n1,3.00,U\n")
    assert counts(result) == (2, 0, 0, 2)
    assert result.rows_accepted == 4
    assert rows(config) == [(1, Decimal("3.00")), (2, Decimal("5.00"))]
    # A key whose last row deletes it is not inserted.
    again = load(config, "orders/later.csv", "id,amount,op\n3,1.00,I\n3,,D\n")
    assert counts(again) == (0, 0, 0, 1)
    assert rows(config) == [(1, Decimal("3.00")), (2, Decimal("5.00"))]


def test_the_same_file_again_changes_nothing_even_after_later_files_changed_its_rows(
    config: PipelineConfig,
) -> None:
    contract(config, "orders", KEYED)
    load(config, "orders/1.csv", "id,amount,op\n1,1.00,I\n2,2.00,I\n")
    load(config, "orders/2.csv", "id,amount,op\n1,9.00,U\n")
    snapshot = catalog(config).load_table((NS, "orders")).current_snapshot()
    replay = load(config, "orders/1.csv")
    assert replay.status == "unchanged"
    assert rows(config) == [(1, Decimal("9.00")), (2, Decimal("2.00"))]
    assert catalog(config).load_table((NS, "orders")).current_snapshot() == snapshot


def test_a_composite_key_and_a_custom_delete_value(config: PipelineConfig) -> None:
    contract(
        config, "stock", "primary_key: [shop, id]\ndelete_column: action\ndelete_value: gone\n"
    )
    load(config, "stock/1.csv", "shop,id,amount,action\na,1,1,\nb,1,2,\na,2,3,\n")
    result = load(config, "stock/2.csv", "shop,id,amount,action\nb,1,20,\na,2,,gone\nb,2,4,\n")
    assert counts(result) == (1, 1, 1, 0)
    scan = catalog(config).load_table((NS, "stock")).scan(selected_fields=("shop", "id", "amount"))
    assert sorted(tuple(r.values()) for r in scan.to_arrow().to_pylist()) == [
        ("a", 1, 1),
        ("b", 1, 20),
        ("b", 2, 4),
    ]


def test_a_row_without_its_key_is_quarantined_and_a_missing_key_column_fails_the_file(
    config: PipelineConfig,
) -> None:
    contract(config, "orders", "primary_key: [id]\nmax_reject_ratio: 0.5\n")
    result = load(config, "orders.csv", "id,amount\n1,1.00\n,2.00\n3,3.00\n")
    assert (result.rows_accepted, result.rows_rejected) == (2, 1)
    contract(config, "other", "primary_key: [code]\n")
    with pytest.raises(IngestError, match="contract column 'code' is not in the header"):
        load(config, "other.csv", "id,amount\n1,1.00\n")
    contract(config, "other", "primary_key: [id]\ndelete_column: op\n")
    with pytest.raises(IngestError, match="delete_column 'op' is not in the file"):
        load(config, "other.csv")


def test_a_keyed_load_that_fails_leaves_the_table_as_it_was(
    config: PipelineConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract(config, "orders", KEYED)
    load(config, "orders/1.csv", "id,amount,op\n1,1.00,I\n2,2.00,I\n")
    snapshot = catalog(config).load_table((NS, "orders")).current_snapshot()

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as a kill at the moment of the commit

    monkeypatch.setattr("lakehouse_loader.commit.PendingCommit._commit_replacing", killed)
    with pytest.raises(KeyboardInterrupt):
        load(config, "orders/2.csv", "id,amount,op\n1,5.00,U\n2,,D\n")
    assert catalog(config).load_table((NS, "orders")).current_snapshot() == snapshot
    assert rows(config) == [(1, Decimal("1.00")), (2, Decimal("2.00"))]
    monkeypatch.undo()
    result = load(config, "orders/2.csv")
    assert counts(result) == (0, 1, 1, 0)
    assert rows(config) == [(1, Decimal("5.00"))]


def test_contract_keys_are_checked_when_read(tmp_path: Path) -> None:
    def read(text: str) -> str:
        path = tmp_path / "t.contract.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_contract(path)
        except IngestError as error:
            return str(error)
        assert loaded is not None
        return f"{loaded.primary_key} {loaded.delete_column} {loaded.delete_value}"

    assert read("primary_key: Order ID\n") == "['order_id'] None D"
    assert read("primary_key: [a, b]\ndelete_column: Op\n") == "['a', 'b'] op D"
    assert "no primary_key" in read("delete_column: op\n")
    assert "must be a column or a list" in read("primary_key: []\n")
    assert "cannot be a key column" in read("primary_key: [op]\ndelete_column: op\n")
    assert "only with a delete_column" in read("primary_key: [a]\ndelete_value: X\n")


def test_the_ledger_records_a_keyed_loads_changes_and_gains_their_columns(
    config: PipelineConfig,
) -> None:
    import pyarrow as pa

    from lakehouse_loader.ledger import LEDGER

    # A ledger made before the keyed columns existed.
    old = pa.schema(
        [pa.field(n, pa.string()) for n in ("file_path", "sha256", "table_name", "status")]
    )
    catalog(config).create_table((NS, LEDGER), old)
    contract(config, "orders", KEYED)
    load(config, "orders/1.csv", "id,amount,op\n1,1.00,I\n2,2.00,I\n")
    load(config, "orders/2.csv", "id,amount,op\n1,5.00,U\n2,,D\n3,3.00,I\n")
    ledger = catalog(config).load_table((NS, LEDGER)).scan().to_arrow().to_pylist()
    changes = {
        r["file_path"]: (r["rows_inserted"], r["rows_updated"], r["rows_deleted"]) for r in ledger
    }
    assert changes == {"data/raw/orders/1.csv": (2, 0, 0), "data/raw/orders/2.csv": (1, 1, 1)}


def test_a_keyed_table_dropped_and_made_again_gets_its_files_again(config: PipelineConfig) -> None:
    contract(config, "orders", KEYED)
    load(config, "orders/1.csv", "id,amount,op\n1,1.00,I\n2,2.00,I\n")
    catalog(config).drop_table((NS, "orders"))  # the ledger still says 1.csv was loaded
    again = load(config, "orders/1.csv")
    assert again.status == "loaded"
    assert rows(config) == [(1, Decimal("1.00")), (2, Decimal("2.00"))]
