"""Every table's health as last measured, `iceberg.<schema>._table_health`: one row per
table, its data files, small files, snapshots, last compaction and oldest snapshot.

The Data quality dashboard reads it. Read live from each table's `$files` and `$snapshots`
instead, the health of a hundred tables is a query of two hundred stages, which Trino
refuses (query.max-stage-count, 150) and which would grow with every table. Here it is
one small table, whatever their number. It is written where tables change:

- after a run's loads, for the tables they changed (orchestration.keep_tables_healthy),
  once compaction and expiry have done what they had to;
- after a direct load (`python -m lakehouse_loader ingest`), for its tables;
- after the daily maintenance, for every table: a rewrite of the whole record, which
  also forgets the tables dropped since.

The dashboard shows only the tables that exist, so a row of a dropped table is never seen.
"""

from __future__ import annotations

import logging
import random
import time
import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .conventions import HEALTH_TABLE

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

log = logging.getLogger(__name__)

_ATTEMPTS = 6

_COLUMNS = (
    ("table_name", "string"),
    ("data_files", "int64"),
    ("small_files", "int64"),
    ("snapshots", "int64"),
    ("last_compaction", "timestamp"),
    ("oldest_snapshot", "timestamp"),
    ("measured_at", "timestamp"),
)


def _arrow_schema() -> pa.Schema:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "timestamp": pa.timestamp("us", "UTC")}
    return pa.schema([pa.field(name, types[kind]) for name, kind in _COLUMNS])


def _moment(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def measure(table: Table, name: str) -> dict[str, object]:
    """The table's health row, from its metadata and manifests (no data read). The last
    compaction is its latest snapshot that replaced files (Trino's optimize): gone once
    expired, as it is from `$snapshots`."""
    from pyiceberg.table.snapshots import Operation

    from .table_health import health_of

    health = health_of(table)
    replaced = [
        s.timestamp_ms
        for s in table.metadata.snapshots
        if s.summary is not None and s.summary.operation == Operation.REPLACE
    ]
    return {
        "table_name": name,
        "data_files": health.data_files,
        "small_files": health.small_files,
        "snapshots": health.snapshots,
        "last_compaction": _moment(max(replaced, default=None)),
        "oldest_snapshot": _moment(min(health.snapshot_times_ms, default=None)),
        "measured_at": datetime.now(UTC),
    }


def measure_tables(catalog: Catalog, namespace: str, names: list[str]) -> list[dict[str, object]]:
    """The rows of the tables of `names` that exist (a table dropped meanwhile has none)."""
    from pyiceberg.exceptions import NoSuchTableError

    rows = []
    for name in names:
        try:
            rows.append(measure(catalog.load_table((namespace, name)), name))
        except NoSuchTableError:
            pass
    return rows


def _health_table(catalog: Catalog, namespace: str) -> Table:
    from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError

    identifier = (namespace, HEALTH_TABLE)
    try:
        return catalog.load_table(identifier)
    except NoSuchTableError:
        pass
    try:
        return catalog.create_table(identifier, _arrow_schema())
    except TableAlreadyExistsError:  # another writer created it meanwhile
        return catalog.load_table(identifier)


def record(
    catalog: Catalog, namespace: str, rows: list[dict[str, object]], *, whole: bool = False
) -> None:
    """Replaces the rows of these tables in the record (with `whole`, every row: the record
    is then these rows alone), in one commit. Runs of the ingest DAG record side by side:
    a commit that lost the race to another is made again on the record as it is now."""
    import pyarrow as pa
    from pyiceberg.exceptions import CommitFailedException
    from pyiceberg.expressions import AlwaysTrue, BooleanExpression, In

    if not rows and not whole:
        return
    data = pa.Table.from_pylist(rows, schema=_arrow_schema())
    names = {str(r["table_name"]) for r in rows}
    replaced: BooleanExpression = AlwaysTrue() if whole else In("table_name", names)  # type: ignore[call-arg,arg-type]
    table = _health_table(catalog, namespace)
    for attempt in range(_ATTEMPTS):
        try:
            with warnings.catch_warnings():
                # A table measured for the first time has no row to replace: as expected.
                warnings.filterwarnings("ignore", "Delete operation did not match any records")
                table.overwrite(data, overwrite_filter=replaced)
            return
        except CommitFailedException:
            if attempt == _ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.1, 0.5) * 2**attempt)
            table = table.refresh()
