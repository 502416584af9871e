"""The whole loader against pyiceberg's SQL catalog on local files: create, evolve, replace a
file's rows, concurrent commits, failed loads, the snapshot's record. No services needed:
the same code the stack runs, with a `sqlite:` catalog and a `file://` object store."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from local_tables import NS, table, write
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table

from lakehouse_loader.catalog import catalog
from lakehouse_loader.commit import (
    SUMMARY_ROWS,
    SUMMARY_SHA256,
    SUMMARY_SOURCE,
    PendingCommit,
    Target,
)
from lakehouse_loader.config import PipelineConfig
from lakehouse_loader.errors import IngestError
from lakehouse_loader.ingest import LoadResult, ingest_file
from lakehouse_loader.ledger import LEDGER
from lakehouse_loader.staging import check_space, out_of_space
from lakehouse_loader.types import ColumnType


def load(config: PipelineConfig, name: str, text: str | None = None) -> LoadResult:
    path = config.data_dir / "raw" / name if text is None else write(config, name, text)
    return ingest_file(path, config)


def rows(config: PipelineConfig, name: str, *columns: str) -> list[dict[str, object]]:
    scan = table(config, name).scan(selected_fields=columns or ("*",))
    return sorted(scan.to_arrow().to_pylist(), key=repr)


ORDERS = "id,day,amount\n1,2026-01-05,10.50\n2,2026-02-07,3.25\n3,2026-02-09,7.00\n"
MONTHLY = 'partition: ["month(day)"]\n'


def test_a_first_load_creates_the_table_with_its_partitions_and_records_the_content(
    config: PipelineConfig,
) -> None:
    write(config, "orders.contract.yaml", MONTHLY)
    result = load(config, "orders.csv", ORDERS)
    assert (result.status, result.rows_accepted, result.rows_rejected) == ("loaded", 3, 0)
    orders = table(config, "orders")
    assert [(f.name, str(f.transform)) for f in orders.spec().fields] == [("day_month", "month")]
    assert rows(config, "orders", "id", "amount", "_source_file") == [
        {"id": 1, "amount": Decimal("10.50"), "_source_file": "data/raw/orders.csv"},
        {"id": 2, "amount": Decimal("3.25"), "_source_file": "data/raw/orders.csv"},
        {"id": 3, "amount": Decimal("7.00"), "_source_file": "data/raw/orders.csv"},
    ]
    assert len(orders.inspect.files()) == 2  # one data file per month
    snapshot = orders.current_snapshot()
    assert snapshot is not None and snapshot.snapshot_id == result.snapshot_id
    summary = snapshot.summary
    assert summary is not None
    sha = hashlib.sha256(ORDERS.encode()).hexdigest()
    assert (summary[SUMMARY_SOURCE], summary[SUMMARY_SHA256], summary[SUMMARY_ROWS]) == (
        "data/raw/orders.csv",
        sha,
        "3",
    )
    # The raw zone's audit-trail object, named by the content.
    raw = config.s3_endpoint.removeprefix("file://") + "/lakehouse/raw/orders"
    assert [p.name for p in Path(raw).iterdir()] == [f"orders.{sha[:12]}.parquet"]


def test_the_same_content_again_commits_nothing(config: PipelineConfig) -> None:
    first = load(config, "orders.csv", ORDERS)
    again = load(config, "orders.csv")
    assert again.status == "unchanged"
    assert table(config, "orders").current_snapshot().snapshot_id == first.snapshot_id  # type: ignore[union-attr]


def test_a_load_asked_for_before_another_run_loaded_the_content_reports_that_load(
    config: PipelineConfig,
) -> None:
    # `lakehouse ingest` asks for a run, and the file's arrival starts another, which may
    # load it first: the asking run reports the rows, not "unchanged".
    asked = datetime.now(UTC) - timedelta(seconds=5)
    first = load(config, "orders.csv", ORDERS)
    path = config.data_dir / "raw" / "orders.csv"
    answered = ingest_file(path, config, since=asked)
    assert (answered.status, answered.rows_accepted, answered.snapshot_id) == (
        "loaded",
        3,
        first.snapshot_id,
    )
    # Asked for after that load: the same content is unchanged, as before.
    later = ingest_file(path, config, since=datetime.now(UTC) + timedelta(seconds=1))
    assert later.status == "unchanged"
    assert table(config, "orders").current_snapshot().snapshot_id == first.snapshot_id  # type: ignore[union-attr]


def test_new_content_replaces_that_files_rows_and_keeps_the_others(
    config: PipelineConfig,
) -> None:
    load(config, "orders/jan.csv", "id,amount\n1,1.5\n2,2.5\n")
    load(config, "orders/feb.csv", "id,amount\n3,3.5\n")
    load(config, "orders/jan.csv", "id,amount\n1,9.5\n")
    assert rows(config, "orders", "id", "amount") == [
        {"id": 1, "amount": Decimal("9.5")},
        {"id": 3, "amount": Decimal("3.5")},
    ]


def test_rows_deleted_by_hand_are_loaded_again(config: PipelineConfig) -> None:
    load(config, "orders.csv", ORDERS)
    table(config, "orders").delete("id = 2")
    assert load(config, "orders.csv").status == "loaded"
    assert len(rows(config, "orders")) == 3


def test_a_later_file_adds_and_widens_columns_in_the_commit_of_its_rows(
    config: PipelineConfig,
) -> None:
    load(config, "orders/a.csv", "id,price\n1,12.50\n")
    before = len(table(config, "orders").metadata.metadata_log)
    load(config, "orders/b.csv", "id,price,channel\n2,12345.75,web\n")
    orders = table(config, "orders")
    assert str(orders.schema().find_type("price")) == "decimal(7, 2)"
    assert str(orders.schema().find_type("channel")) == "string"
    assert rows(config, "orders", "id", "price", "channel") == [
        {"id": 1, "price": Decimal("12.50"), "channel": None},
        {"id": 2, "price": Decimal("12345.75"), "channel": "web"},
    ]
    # Schema change, delete and append: one commit, one new metadata file.
    assert len(orders.metadata.metadata_log) == before + 1


def test_a_load_that_fails_leaves_the_table_exactly_as_it_was(
    config: PipelineConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(config, "orders/a.csv", "id,amount\n1,1.5\n")
    orders = table(config, "orders")
    snapshot, schema = orders.current_snapshot(), orders.schema()

    def broken(*_: object) -> None:
        raise OSError("the object store went away")

    # A file that needs a new column, failing after its files are written.
    monkeypatch.setattr("lakehouse_loader.raw_zone.upload", broken)
    with pytest.raises(OSError, match="went away"):
        load(config, "orders/b.csv", "id,amount,channel\n2,2.5,web\n")
    orders = table(config, "orders")
    assert orders.current_snapshot() == snapshot
    assert orders.schema() == schema
    # A new table is not created either.
    with pytest.raises(OSError, match="went away"):
        load(config, "customers.csv", "id,name\n1,Ann\n")
    with pytest.raises(NoSuchTableError):
        table(config, "customers")


def _ids(count: int, bad: dict[int, str]) -> str:
    """A file of `count` rows `id,amount`: row i has id i, unless `bad` gives its text."""
    lines = [f"{bad.get(i, str(i))},{i}.5" for i in range(1, count + 1)]
    return "id,amount\n" + "\n".join(lines) + "\n"


def test_the_table_is_the_contract_a_value_that_does_not_fit_is_a_reject(
    config: PipelineConfig,
) -> None:
    load(config, "orders/a.csv", "id,amount\n1,1.5\n")
    result = load(config, "orders/b.csv", _ids(40, {7: "N/A"}))
    assert (result.rows_accepted, result.rows_rejected) == (39, 1)
    assert str(table(config, "orders").schema().find_type("id")) == "long"
    [reject] = rows(config, "orders__rejects")
    assert {k: v for k, v in reject.items() if k != "_ingested_at"} == {
        "line": 8,
        "column_name": "id",
        "value": "N/A",
        "reason": "column id: 'N/A' is not an integer",
        "raw": "N/A,7.5",
        "_source_file": "data/raw/orders/b.csv",
    }


def test_more_decimals_than_the_tables_decimal_are_rejects_never_rounded(
    config: PipelineConfig,
) -> None:
    write(config, "prices.contract.yaml", 'columns:\n  price: { type: "decimal(6,1)" }\n')
    load(config, "prices/a.csv", "id,price\n1,1.5\n")
    (config.data_dir / "raw" / "prices.contract.yaml").unlink()
    lines = "".join(f"{i},{i}.5\n" for i in range(2, 40))
    result = load(config, "prices/b.csv", "id,price\n" + lines + "40,2.75\n")
    assert (result.rows_accepted, result.rows_rejected) == (38, 1)
    assert str(table(config, "prices").schema().find_type("price")) == "decimal(6, 1)"
    [reject] = rows(config, "prices__rejects", "line", "reason")
    assert reject == {"line": 40, "reason": "column price: '2.75' does not fit decimal(6,1)"}


def test_too_many_values_that_do_not_fit_fail_the_file_naming_a_line_and_value(
    config: PipelineConfig,
) -> None:
    load(config, "orders/a.csv", "id,amount\n1,1.5\n")
    snapshot = table(config, "orders").current_snapshot()
    with pytest.raises(IngestError, match=r"line 2: column id: 'x1' is not an integer"):
        load(config, "orders/b.csv", "id,amount\nx1,2.5\n")
    assert table(config, "orders").current_snapshot() == snapshot


def test_a_contract_type_the_table_cannot_hold_is_refused_before_anything_is_written(
    config: PipelineConfig,
) -> None:
    load(config, "orders/a.csv", "id,amount\n1,1.5\n")
    snapshot = table(config, "orders").current_snapshot()
    write(config, "orders.contract.yaml", "columns:\n  id: { type: varchar }\n")
    with pytest.raises(IngestError, match="stores it as bigint"):
        load(config, "orders/b.csv", "id,amount\nx1,2.5\n")
    assert table(config, "orders").current_snapshot() == snapshot


def _pending(config: PipelineConfig, source: str) -> PendingCommit:
    columns = [("id", ColumnType("bigint"))]
    return PendingCommit(catalog(config), Target(NS, "events", columns, [], source))


def _local_rows(tmp: Path, name: str, source: str, ids: list[int]) -> Path:
    """A load's local copy of its rows (what a commit writes the table's files again from)."""
    from datetime import UTC, datetime

    path = tmp / f"{name}.parquet"
    pq.write_table(
        pa.table(
            {
                "id": pa.array(ids, pa.int64()),
                "_source_file": pa.array([source] * len(ids)),
                "_ingested_at": pa.array(
                    [datetime.now(UTC)] * len(ids), pa.timestamp("us", tz="UTC")
                ),
            }
        ),
        path,
    )
    return path


def test_commits_that_race_are_retried_on_the_table_as_it_is_now(
    config: PipelineConfig, tmp_path: Path
) -> None:
    # Two loads plan a new table at once (same file twice, and another file): each is
    # committed exactly once, whoever comes first.
    first, second, third = (
        _pending(config, "data/raw/events/a.csv"),
        _pending(config, "data/raw/events/a.csv"),
        _pending(config, "data/raw/events/b.csv"),
    )
    assert first.new and second.new and third.new
    first.commit(None, _local_rows(tmp_path, "first", "data/raw/events/a.csv", [1, 2]), "sha-a", 2)
    # The same file's second load: the table now exists elsewhere; rows replaced, not added.
    second.commit(
        None, _local_rows(tmp_path, "second", "data/raw/events/a.csv", [1, 2]), "sha-a", 2
    )
    third.commit(None, _local_rows(tmp_path, "third", "data/raw/events/b.csv", [3]), "sha-b", 1)
    assert rows(config, "events", "id") == [{"id": 1}, {"id": 2}, {"id": 3}]


def test_an_other_writers_commit_in_between_is_retried(
    config: PipelineConfig, tmp_path: Path
) -> None:
    load(config, "events/a.csv", "id\n1\n")
    mine = _pending(config, "data/raw/events/b.csv")
    load(config, "events/c.csv", "id\n3\n")  # commits first
    mine.commit(None, _local_rows(tmp_path, "mine", "data/raw/events/b.csv", [2]), "sha-b", 1)
    assert rows(config, "events", "id") == [{"id": 1}, {"id": 2}, {"id": 3}]


def test_a_commit_whose_ledger_entry_was_lost_is_known_by_its_table(
    config: PipelineConfig,
) -> None:
    tables: Catalog = catalog(config)
    first = load(config, "orders.csv", ORDERS)
    tables.drop_table((NS, LEDGER))  # as if the ledger write after the commit was lost
    again = load(config, "orders.csv")
    assert again.status == "unchanged"
    ledger = rows(config, LEDGER, "file_path", "status", "rows_accepted", "snapshot_id")
    assert ledger == [
        {
            "file_path": "data/raw/orders.csv",
            "status": "loaded",
            "rows_accepted": 3,
            "snapshot_id": first.snapshot_id,
        }
    ]


def test_rejects_go_to_their_table_and_are_replaced_with_the_file(
    config: PipelineConfig,
) -> None:
    write(
        config, "orders.contract.yaml", "columns:\n  id: { type: bigint }\nmax_reject_ratio: 0.5\n"
    )
    load(config, "orders.csv", "id,note\n1,a\nx,b\n3,c\n")
    assert rows(config, "orders__rejects", "line", "reason")[0]["line"] == 3
    assert [r["id"] for r in rows(config, "orders", "id")] == [1, 3]
    load(config, "orders.csv", "id,note\n1,a\n2,b\n")
    assert rows(config, "orders__rejects") == []
    assert load(config, "orders.csv").status == "unchanged"


def test_a_content_whose_snapshot_maintenance_expired_is_known_by_the_ledger(
    config: PipelineConfig,
) -> None:
    load(config, "orders/a.csv", "id,amount\n1,1.5\n")
    load(config, "orders/b.csv", "id,amount\n2,2.5\n")
    orders = table(config, "orders")
    current = orders.current_snapshot()
    assert current is not None
    older = [s.snapshot_id for s in orders.snapshots() if s.snapshot_id != current.snapshot_id]
    orders.maintenance.expire_snapshots().by_ids(older).commit()
    assert load(config, "orders/a.csv").status == "unchanged"
    # Without the ledger's word either, the file is simply loaded again: replaced, not added.
    catalog(config).drop_table((NS, LEDGER))
    assert load(config, "orders/a.csv").status == "loaded"
    assert rows(config, "orders", "id") == [{"id": 1}, {"id": 2}]


def test_a_commit_whose_answer_was_lost_keeps_its_files(
    config: PipelineConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyiceberg.exceptions import CommitStateUnknownException
    from pyiceberg.table import Transaction

    load(config, "orders/a.csv", "id,amount\n1,1.5\n")
    real = Transaction.commit_transaction

    def committed_but_unanswered(self: Transaction) -> Table:
        real(self)  # the catalog committed, and then the answer was lost
        raise CommitStateUnknownException("the catalog did not answer")

    monkeypatch.setattr(Transaction, "commit_transaction", committed_but_unanswered)
    with pytest.raises(CommitStateUnknownException):
        load(config, "orders/b.csv", "id,amount\n2,2.5\n")
    monkeypatch.undo()
    # Its files were not deleted under the table: every row reads back.
    assert rows(config, "orders", "id") == [{"id": 1}, {"id": 2}]
    assert load(config, "orders/b.csv").status == "unchanged"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 2 MiB tmpfs: a disk that really fills up (needs root, on Linux)."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    folder = tmp_path / "small-disk"
    folder.mkdir()
    try:
        mount = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)]
        mounted = subprocess.run(mount, capture_output=True, text=True, check=False)
    except OSError as error:
        pytest.skip(f"no mount command: {error}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _incompressible(rows: int) -> str:
    """Rows whose staged Parquet is about as large as their text (random hex): 80,000 rows
    are 4.5 MB of CSV, more than a 2 MiB disk holds staged, and not so large that the
    check before the read refuses them."""
    rng = random.Random(7)
    lines = [f"{i},{rng.getrandbits(128):032x},{rng.getrandbits(64):016x}" for i in range(rows)]
    return "id,token,code\n" + "\n".join(lines) + "\n"


def _tables_state(config: PipelineConfig) -> dict[str, object]:
    """What a failed load must not change: each table's snapshot, rows and files, the raw
    zone, the ledger's loads."""
    state: dict[str, object] = {}
    for name in ("orders", "orders__rejects"):
        orders = table(config, name)
        snapshot = orders.current_snapshot()
        state[name] = (
            snapshot.snapshot_id if snapshot else None,
            rows(config, name, "id" if name == "orders" else "line"),
            sorted(orders.inspect.files().column("file_path").to_pylist()),
        )
    store = Path(config.s3_endpoint.removeprefix("file://"))
    state["files"] = sorted(
        str(p) for p in store.rglob("*") if p.is_file() and LEDGER not in str(p)
    )
    state["loads"] = [
        r for r in rows(config, LEDGER, "status", "sha256") if r["status"] == "loaded"
    ]
    return state


def test_a_load_whose_staging_disk_fills_up_fails_naming_it_and_changes_no_table(
    config: PipelineConfig, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        config, "orders.contract.yaml", "columns:\n  id: { type: bigint }\nmax_reject_ratio: 0.5\n"
    )
    load(config, "orders.csv", "id,token,code\n1,a,b\nx,c,d\n3,e,f\n")  # one reject
    before = _tables_state(config)
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk))  # as TMPDIR would

    with pytest.raises(IngestError) as failed:
        load(config, "orders.csv", _incompressible(80_000))
    message = str(failed.value)
    assert message.startswith(
        f"data/raw/orders.csv: not enough space in {small_disk} to stage the file's Parquet: "
        "up to 6.8 MiB needed, 2.0 MiB free. "
        f"Fix: free space in {small_disk}, or set TMPDIR to a folder on a larger disk."
    ), message
    assert isinstance(failed.value.__cause__, OSError)  # the disk's own answer, for the log
    assert _tables_state(config) == before
    assert list(small_disk.iterdir()) == []  # the load's staging folder is gone
    # The attempt is logged as failed, not rejected: the scheduled scan tries it again.
    attempts = rows(config, LEDGER, "status", "message")
    assert {"status": "failed", "message": message} in attempts
    assert [a["status"] for a in attempts].count("loaded") == 1


def test_a_user_sees_one_line_per_file_when_the_staging_disk_is_too_small(
    config: PipelineConfig, small_disk: Path
) -> None:
    """`python -m lakehouse_loader ingest` as `./lakehouse ingest --direct` runs it, with
    TMPDIR on the small disk: a file that fills it while staged, and one refused before it
    is read (more than ten times the free space)."""
    filling = write(config, "orders.csv", _incompressible(80_000))
    refused = write(config, "events.csv", "id,name\n" + "1,abc\n" * 4_000_000)
    loader = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "TMPDIR": str(small_disk),
        "PYTHONPATH": str(loader),
        "LAKEHOUSE_TRINO_URL": "http://unused",
        "LAKEHOUSE_CATALOG_URL": config.catalog_url,
        "LAKEHOUSE_S3_ENDPOINT": config.s3_endpoint,
        "S3_ACCESS_KEY": "unused",
        "S3_SECRET_KEY": "unused",
        "LAKEHOUSE_DATA_DIR": str(config.data_dir),
        "LAKEHOUSE_SCHEMA": NS,
        "LAKEHOUSE_BUCKET": config.bucket,
    }
    ran = subprocess.run(
        [sys.executable, "-m", "lakehouse_loader", "ingest", str(filling), str(refused)],
        capture_output=True,
        text=True,
        env=env,
        cwd=loader,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1, ran.stderr
    outcomes = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [(o["file"], o["status"]) for o in outcomes] == [
        (str(filling), "failed"),
        (str(refused), "failed"),
    ]
    fix = f"Fix: free space in {small_disk}, or set TMPDIR to a folder on a larger disk."
    room = f"not enough space in {small_disk} to stage the file's Parquet"
    assert outcomes[0]["error"] == (
        f"data/raw/orders.csv: {room}: up to 6.8 MiB needed, 2.0 MiB free. {fix}"
    )
    assert outcomes[1]["error"] == (
        f"data/raw/events.csv: {room}: up to 37 MiB needed, 2.0 MiB free. {fix}"
    )
    assert "Traceback" not in ran.stderr
    errors = [line for line in ran.stderr.splitlines() if not line.startswith("progress: ")]
    assert errors == [f"error: {o['error']}" for o in outcomes]
    # The refused file was never read: no stage of its load was reached.
    assert "data/raw/events.csv:" not in ran.stderr.replace(f"error: {outcomes[1]['error']}", "")
    for name in ("orders", "events"):
        with pytest.raises(NoSuchTableError):
            table(config, name)
    assert list(small_disk.iterdir()) == []


def test_a_file_whose_staging_clearly_cannot_fit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # as TMPDIR would
    free = shutil.disk_usage(tmp_path).free
    check_space("data/raw/small.csv", free)  # may fit: the load is tried
    with pytest.raises(IngestError) as refused:
        check_space("data/raw/huge.csv", free * 20)  # cannot: less than a tenth of it free
    message = str(refused.value)
    assert message.startswith(
        f"data/raw/huge.csv: not enough space in {tmp_path} to stage the file's Parquet: up to "
    )
    assert "needed, " in message and " free. Fix: " in message and "TMPDIR" in message
    assert refused.value.retry
    assert pickle.loads(pickle.dumps(refused.value)).retry  # as Airflow's workers pass it


def test_the_out_of_space_message_names_the_folder_and_the_sizes() -> None:
    assert str(out_of_space("data/raw/orders.csv", 1 << 30, Path("/tmp"), 300 << 20)) == (
        "data/raw/orders.csv: not enough space in /tmp to stage the file's Parquet: "
        "up to 1.6 GiB needed, 300 MiB free. "
        "Fix: free space in /tmp, or set TMPDIR to a folder on a larger disk."
    )
    quota = out_of_space("data/raw/orders.csv", 5 << 20, Path("/scratch"), 0, quota=True)
    assert str(quota).startswith(
        "data/raw/orders.csv: not enough disk quota in /scratch to stage the file's Parquet: "
        "up to 8.0 MiB needed. Fix:"
    )
