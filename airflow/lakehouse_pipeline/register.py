"""Register a Parquet file as rows of an Iceberg table, through Trino.

Trino's `add_files` registers Parquet without rewriting it, but rejects partitioned
tables. So each load registers its file into a throw-away, unpartitioned staging table
(no copy: the staging table points at the raw-zone file), then one MERGE moves the rows
into the real table. The MERGE deletes the rows an earlier load of the same source file
left and inserts the new ones in a single Iceberg commit: readers see the old rows or
the new, never both, never half; a re-run after a crash replaces rather than duplicates.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

from .errors import IngestError
from .trino_sql import Trino, quote

# Every row says where it came from and when.
LINEAGE = {"_source_file": "varchar", "_ingested_at": "timestamp(6) with time zone"}

# Partition specs go into DDL text, so only these plain shapes are let through.
_PARTITION = re.compile(
    r"^((year|month|day|hour)\([a-z0-9_]+\)|(bucket|truncate)\(\d+, ?[a-z0-9_]+\)|[a-z0-9_]+)$"
)
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_IDENTIFIER = re.compile(r"^[a-z0-9_]+$")
_SAFE_URI = re.compile(r"^s3://[a-z0-9.-]+/[A-Za-z0-9_./-]+$")


@dataclass(frozen=True)
class TableChange:
    """What a load will do to the table's schema, decided before anything is changed."""

    create: bool
    add_columns: list[tuple[str, str]]
    # Iceberg can widen a decimal's precision in place (same scale): done before loading.
    widen_columns: list[tuple[str, str]]
    casts: dict[str, str]  # file column -> table type, where the two differ


def _decimal(t: str) -> tuple[int, int] | None:
    m = _DECIMAL.match(t)
    return (int(m.group(1)), int(m.group(2))) if m else None


def widens(file_type: str, table_type: str) -> bool:
    """True when every value of `file_type` fits `table_type` without loss of meaning."""
    if file_type == table_type or table_type == "varchar":
        return True
    if file_type == "bigint":
        # A later file whose amounts happen to be whole numbers infers bigint. The cast in the
        # MERGE checks each value; one that does not fit fails the whole (atomic) MERGE.
        return table_type == "double" or _decimal(table_type) is not None
    fdec = _decimal(file_type)
    if fdec is not None:
        tdec = _decimal(table_type)
        if table_type == "double":
            return True
        return tdec is not None and fdec[1] <= tdec[1] and fdec[0] - fdec[1] <= tdec[0] - tdec[1]
    return file_type == "date" and table_type.startswith("timestamp(")


def plan_change(
    existing: dict[str, str] | None, columns: list[tuple[str, str]], table: str, source: str
) -> TableChange:
    if existing is None:
        return TableChange(create=True, add_columns=[], widen_columns=[], casts={})
    add: list[tuple[str, str]] = []
    widen: list[tuple[str, str]] = []
    casts: dict[str, str] = {}
    for name, file_type in columns:
        table_type = existing.get(name)
        if table_type is None:
            add.append((name, file_type))
        elif (wider := _wider_decimal(file_type, table_type)) is not None:
            widen.append((name, wider))
            if wider != file_type:
                casts[name] = wider
        elif not widens(file_type, table_type):
            raise IngestError(
                source,
                f"column {name} holds {file_type} values, but table {table} stores it as "
                f"{table_type}; the table was left unchanged",
                column=name,
                fix=f"correct the values so they are {table_type}, or load the file into a new "
                "table (rename it)",
            )
        elif file_type != table_type:
            casts[name] = table_type
    return TableChange(create=False, add_columns=add, widen_columns=widen, casts=casts)


def _wider_decimal(file_type: str, table_type: str) -> str | None:
    """The widened table type when a file's decimal needs more integer digits than the table's."""
    fdec, tdec = _decimal(file_type), _decimal(table_type)
    if fdec is None or tdec is None or fdec[1] > tdec[1]:
        return None
    integer_digits = max(fdec[0] - fdec[1], tdec[0] - tdec[1])
    if integer_digits <= tdec[0] - tdec[1]:
        return None  # the table's type already holds every value
    precision = integer_digits + tdec[1]
    return f"decimal({precision},{tdec[1]})" if precision <= 38 else None


def merge_parquet(
    trino: Trino,
    table: str,
    columns: list[tuple[str, str]],
    parquet_uri: str,
    source_file: str,
    partition: list[str],
) -> TableChange:
    """Makes `table` hold exactly the rows of `parquet_uri` for `source_file`."""
    for spec in partition:
        if not _PARTITION.match(spec):
            raise ValueError(f"unsupported partition spec {spec!r}")
    all_columns = [*columns, *LINEAGE.items()]
    existing = trino.columns(table) if trino.table_exists(table) else None
    change = plan_change(existing, columns, table, source_file)

    target = trino.table(table)
    if change.create:
        spec = ", ".join(f"'{p}'" for p in partition)
        properties = f" WITH (partitioning = ARRAY[{spec}])" if partition else ""
        trino.query(
            f"CREATE TABLE IF NOT EXISTS {target} ({_column_list(all_columns)}){properties}"
        )
    for name, trino_type in change.add_columns:
        trino.query(f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS {quote(name)} {trino_type}")
    for name, trino_type in change.widen_columns:
        trino.query(f"ALTER TABLE {target} ALTER COLUMN {quote(name)} SET DATA TYPE {trino_type}")

    # The start time in the name lets a later load tell a crashed load's table from a running one.
    stage_name = f"_stage_{table}_{int(time.time())}_{uuid.uuid4().hex[:8]}"
    stage = trino.table(stage_name)
    trino.query(f"CREATE TABLE {stage} ({_column_list(all_columns)})")
    try:
        # Table procedures take no bound parameters either; the URI is ours and plain.
        if not _SAFE_URI.match(parquet_uri):
            raise ValueError(f"unexpected characters in {parquet_uri!r}")
        trino.query(
            f"ALTER TABLE {stage} EXECUTE add_files("
            f"location => '{parquet_uri}', format => 'PARQUET')"
        )
        names = [name for name, _ in all_columns]
        values = [
            f"CAST(s.{quote(n)} AS {change.casts[n]})" if n in change.casts else f"s.{quote(n)}"
            for n in names
        ]
        select_new = ", ".join(quote(n) for n in names)
        nulls = ", ".join("NULL" if n != "_source_file" else "_source_file" for n in names)
        trino.query(
            f"MERGE INTO {target} t USING ("
            f" SELECT {select_new}, 'I' AS _op FROM {stage}"
            f" UNION ALL"
            f" SELECT DISTINCT {nulls}, 'D' FROM {target} WHERE _source_file = ?"
            f") s ON (s._op = 'D' AND t._source_file = s._source_file)"
            f" WHEN MATCHED THEN DELETE"
            f" WHEN NOT MATCHED AND s._op = 'I'"
            f" THEN INSERT ({select_new}) VALUES ({', '.join(values)})",
            [source_file],
        )
    finally:
        drop_staging(trino, stage_name)
    return change


def drop_staging(trino: Trino, stage_name: str) -> None:
    """Forgets a staging table without deleting files: its data file is the raw-zone Parquet.

    CALL takes no bound parameters, so the two names are checked to be plain identifiers
    (both are ours: the configured schema and a generated table name) before use.
    """
    for name in (trino.schema, stage_name):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain identifier: {name!r}")
    trino.query(
        "CALL system.unregister_table("
        f"schema_name => '{trino.schema}', table_name => '{stage_name}')"
    )


def drop_leftover_staging(trino: Trino, table: str, older_than_seconds: int = 3600) -> None:
    """Staging tables that a killed load left behind (not those of loads still running)."""
    prefix = f"_stage_{table}_"
    pattern = prefix.replace("_", "\\_") + "%"
    rows = trino.query(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = ? AND table_name LIKE ? ESCAPE '\\'",
        [trino.schema, pattern],
    )
    for (name,) in rows:
        started = str(name)[len(prefix) :].split("_")[0]
        if started.isdigit() and time.time() - int(started) > older_than_seconds:
            drop_staging(trino, str(name))


def _column_list(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{quote(name)} {trino_type}" for name, trino_type in columns)
