"""A table's schema for a load, decided before anything is written.

A new table gets an Iceberg schema (the file's columns, then the lineage columns) and the
partition spec of its contract. An existing table may need columns added, or a type widened
the way Iceberg allows (an int to a long, a float to a double, a decimal to more digits of
the same scale); a file's narrower type is cast to the table's, each value checked. Anything
that could lose values is refused before the table is touched. The change is committed with
the rows that need it, in one transaction (commit.py): a failed load leaves the table as it
was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .conventions import INGESTED_AT, SOURCE_FILE
from .errors import IngestError
from .types import ColumnType, Kind

if TYPE_CHECKING:
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.table.update.schema import UpdateSchema
    from pyiceberg.types import IcebergType

    from .plan import FilePlan


def iceberg_type(column: ColumnType) -> IcebergType:
    """The Iceberg type a file's column is stored as in a new table or a new column."""
    from pyiceberg import types as t

    if column.kind == "decimal":
        assert column.precision is not None and column.scale is not None  # set for decimals
        return t.DecimalType(column.precision, column.scale)
    by_kind: dict[str, IcebergType] = {
        "boolean": t.BooleanType(),
        "bigint": t.LongType(),
        "double": t.DoubleType(),
        "date": t.DateType(),
        "timestamp": t.TimestampType(),
        "varchar": t.StringType(),
    }
    return by_kind[column.kind]


def column_type(table_type: IcebergType) -> ColumnType | None:
    """The loader's type a table's column has (None: one the loader never makes, such as an
    int or a real in a table made by others)."""
    from pyiceberg import types as t

    if isinstance(table_type, t.DecimalType):
        return ColumnType("decimal", table_type.precision, table_type.scale)
    kinds: list[tuple[type[IcebergType], Kind]] = [
        (t.BooleanType, "boolean"),
        (t.LongType, "bigint"),
        (t.DoubleType, "double"),
        (t.DateType, "date"),
        (t.TimestampType, "timestamp"),
        (t.StringType, "varchar"),
    ]
    kind = next((kind for cls, kind in kinds if type(table_type) is cls), None)
    return ColumnType(kind) if kind is not None else None


def type_name(table_type: IcebergType) -> str:
    """A table's type as users write it (in contracts and in Trino)."""
    column = column_type(table_type)
    return column.trino() if column is not None else str(table_type)


def held_to_table(plan: FilePlan, schema: Schema | None) -> FilePlan:
    """The file's plan with the table as its contract: a column whose values the table's
    type cannot hold as they are is read as the table's type, every value checked, and one
    that does not fit is a reject (its line, the column, the value and the reason) while
    the rest of the file loads. Not so when the commit widens the column the way Iceberg
    allows, when the table's type holds every value (text, a date into a timestamp), or
    when the user's contract pins the type (plan_change decides whether the table holds
    it)."""
    from pyiceberg.types import DecimalType

    if schema is None:
        return plan
    existing = {field.name: field.field_type for field in schema.fields}
    columns, pinned = [], set()
    for column in plan.columns:
        table_type = existing.get(column.name)
        held = column_type(table_type) if table_type is not None else None
        if table_type is None or held is None or column.from_contract or column.type == held:
            columns.append(column)
            continue
        # Numbers into a decimal may not fit its digits: each value is checked on reading.
        checked = isinstance(table_type, DecimalType) and column.type.kind in ("bigint", "decimal")
        if widens(column.type, table_type) and not checked:
            columns.append(column)
        elif promotion(column.type, table_type) is not None:
            columns.append(column)
        else:
            columns.append(replace(column, type=held, from_contract=True))
            pinned.add(column.position)
    if not pinned:
        return plan
    direct = tuple(p for p in plan.direct_cast if p not in pinned)
    return replace(plan, columns=columns, direct_cast=direct)


def lineage_types() -> dict[str, IcebergType]:
    """Every row says where it came from and when."""
    from pyiceberg import types as t

    return {SOURCE_FILE: t.StringType(), INGESTED_AT: t.TimestamptzType()}


def widens(file_type: ColumnType, table_type: IcebergType) -> bool:
    """True when every value of `file_type` fits `table_type` as it is (cast, each value
    checked: a later file whose amounts happen to be whole numbers infers bigint)."""
    from pyiceberg import types as t

    if iceberg_type(file_type) == table_type or isinstance(table_type, t.StringType):
        return True
    if file_type.kind == "bigint":
        return isinstance(table_type, t.LongType | t.DoubleType | t.DecimalType)
    if file_type.kind == "decimal":
        if isinstance(table_type, t.DoubleType):
            return True
        if not isinstance(table_type, t.DecimalType):
            return False
        assert file_type.precision is not None and file_type.scale is not None
        return (
            file_type.scale <= table_type.scale
            and file_type.precision - file_type.scale <= table_type.precision - table_type.scale
        )
    return file_type.kind == "date" and isinstance(table_type, t.TimestampType)


def promotion(file_type: ColumnType, table_type: IcebergType) -> IcebergType | None:
    """The wider type Iceberg lets the table's column become so it holds the file's values,
    or None. Iceberg changes neither a decimal's scale nor a kind of type into another."""
    from pyiceberg import types as t

    if file_type.kind == "bigint" and isinstance(table_type, t.IntegerType):
        return t.LongType()
    if file_type.kind == "double" and isinstance(table_type, t.FloatType):
        return t.DoubleType()
    if file_type.kind != "decimal" or not isinstance(table_type, t.DecimalType):
        return None
    assert file_type.precision is not None and file_type.scale is not None
    if file_type.scale > table_type.scale:
        return None
    digits = max(file_type.precision - file_type.scale, table_type.precision - table_type.scale)
    precision = digits + table_type.scale
    return t.DecimalType(precision, table_type.scale) if precision <= 38 else None


@dataclass(frozen=True)
class TableChange:
    """What a load does to an existing table's schema."""

    add_columns: list[tuple[str, IcebergType]]
    widen_columns: list[tuple[str, IcebergType]]

    def __bool__(self) -> bool:
        return bool(self.add_columns or self.widen_columns)

    def apply(self, update: UpdateSchema) -> None:
        for name, added in self.add_columns:
            update.add_column(name, added)
        for name, wider in self.widen_columns:
            update.update_column(name, field_type=wider)


def plan_change(
    schema: Schema, columns: list[tuple[str, ColumnType]], table: str, source: str
) -> TableChange:
    """The changes `schema` needs to hold the file's `columns`; IngestError for a column
    whose values it cannot hold."""
    existing = {field.name: field.field_type for field in schema.fields}
    add: list[tuple[str, IcebergType]] = []
    widen: list[tuple[str, IcebergType]] = []
    for name, file_type in columns:
        table_type = existing.get(name)
        if table_type is None:
            add.append((name, iceberg_type(file_type)))
        elif widens(file_type, table_type):
            continue
        elif (wider := promotion(file_type, table_type)) is not None:
            widen.append((name, wider))
        else:
            raise IngestError(
                source,
                f"column {name} holds {file_type.trino()} values, but table {table} stores it "
                f"as {type_name(table_type)}; the table was left unchanged",
                column=name,
                fix=f"correct the values so they are {type_name(table_type)}, or load the file "
                "into a new table (rename it)",
            )
    return TableChange(add, widen)


def new_table(
    columns: list[tuple[str, ColumnType]], partition: list[str]
) -> tuple[Schema, PartitionSpec]:
    """A new table's schema (the file's columns, then the lineage columns; ids from 1, all
    optional) and its partition spec (contract syntax: `month(order_date)`, `bucket(8, id)`)."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import parse_transform
    from pyiceberg.types import NestedField

    from .contract import parse_partition

    types = [(name, iceberg_type(column)) for name, column in columns]
    types += lineage_types().items()
    schema = Schema(
        *(
            NestedField(field_id, name, field_type, required=False)
            for field_id, (name, field_type) in enumerate(types, start=1)
        )
    )
    fields = []
    for field_id, text in enumerate(partition, start=1000):
        spec = parse_partition(text)
        if spec is None:
            raise ValueError(f"unsupported partition spec {text!r}")
        transform = parse_transform(spec.transform)
        suffix = "" if spec.transform == "identity" else "_" + spec.transform.split("[")[0]
        fields.append(
            PartitionField(
                source_id=schema.find_field(spec.column).field_id,
                field_id=field_id,
                transform=transform,
                name=spec.column + suffix,
            )
        )
    return schema, PartitionSpec(*fields, spec_id=0)
