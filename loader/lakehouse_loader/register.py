"""A table's schema changes for a load, decided first and issued through Trino as DDL.

A later file may add columns, widen a decimal or carry a narrower type the table stores
wider; anything that could lose values is refused before the table is touched. The rows
themselves are committed afterwards by iceberg_commit.
"""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class TableChange:
    """What a load will do to the table's schema, decided before anything is changed."""

    create: bool
    add_columns: list[tuple[str, str]]
    # Iceberg can widen a decimal's precision in place (same scale): done before loading.
    widen_columns: list[tuple[str, str]]


def _decimal(t: str) -> tuple[int, int] | None:
    m = _DECIMAL.match(t)
    return (int(m.group(1)), int(m.group(2))) if m else None


def widens(file_type: str, table_type: str) -> bool:
    """True when every value of `file_type` fits `table_type` without loss of meaning."""
    if file_type == table_type or table_type == "varchar":
        return True
    if file_type == "bigint":
        # A later file whose amounts happen to be whole numbers infers bigint. The cast to
        # the table's type checks each value; one that does not fit fails the load uncommitted.
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
        return TableChange(create=True, add_columns=[], widen_columns=[])
    add: list[tuple[str, str]] = []
    widen: list[tuple[str, str]] = []
    for name, file_type in columns:
        table_type = existing.get(name)
        if table_type is None:
            add.append((name, file_type))
        elif (wider := _wider_decimal(file_type, table_type)) is not None:
            widen.append((name, wider))
        elif not widens(file_type, table_type):
            raise IngestError(
                source,
                f"column {name} holds {file_type} values, but table {table} stores it as "
                f"{table_type}; the table was left unchanged",
                column=name,
                fix=f"correct the values so they are {table_type}, or load the file into a new "
                "table (rename it)",
            )
    return TableChange(create=False, add_columns=add, widen_columns=widen)


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


def plan_for(
    trino: Trino, table: str, columns: list[tuple[str, str]], source_file: str
) -> TableChange:
    """What loading the file's columns would change in `table` as it is now (nothing yet)."""
    existing = trino.columns(table) if trino.table_exists(table) else None
    return plan_change(existing, columns, table, source_file)


def prepare_table(
    trino: Trino,
    table: str,
    columns: list[tuple[str, str]],
    source_file: str,
    partition: list[str],
    location: str | None = None,
) -> TableChange:
    """Creates `table` (at `location` when given), or adds and widens its columns, so it can
    hold the file's columns.

    Rows are committed afterwards (iceberg_commit). A load that fails between the two leaves
    at most a new empty table or new (null) columns, which the re-run needs anyway.
    """
    for spec in partition:
        if not _PARTITION.match(spec):
            raise ValueError(f"unsupported partition spec {spec!r}")
    all_columns = [*columns, *LINEAGE.items()]
    change = plan_for(trino, table, columns, source_file)

    target = trino.table(table)
    if change.create:
        # Table properties take no bound parameters: the partition specs passed _PARTITION
        # above, and the location is the pipeline's own (catalog location, table name, uuid).
        settings = []
        if partition:
            settings.append("partitioning = ARRAY[" + ", ".join(f"'{p}'" for p in partition) + "]")
        if location is not None:
            settings.append("location = '" + location.replace("'", "''") + "'")
        properties = f" WITH ({', '.join(settings)})" if settings else ""
        trino.query(
            f"CREATE TABLE IF NOT EXISTS {target} ({_column_list(all_columns)}){properties}"
        )
    for name, trino_type in change.add_columns:
        trino.query(f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS {quote(name)} {trino_type}")
    for name, trino_type in change.widen_columns:
        trino.query(f"ALTER TABLE {target} ALTER COLUMN {quote(name)} SET DATA TYPE {trino_type}")
    return change


def _column_list(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{quote(name)} {trino_type}" for name, trino_type in columns)
