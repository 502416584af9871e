"""Make a table hold exactly one source file's rows, in one Iceberg commit.

The rows are written as the table's own data files, split by its partition spec, and a
single transaction through the REST catalog deletes the rows an earlier load of the same
source file left and adds the new files. Readers see the old rows or the new, never both,
never half; a load killed before the commit leaves only unreferenced files (removed by
maintenance's `remove_orphan_files`), and a re-run replaces rather than duplicates.

The files are written while the CSV file is read (the raw zone's rows, as they come),
for the table's layout as it will be after its DDL: the table as it is, or the one its
CREATE TABLE will make. Schema changes stay with Trino and happen after the file was read
(so a file that fails validation leaves its table as it was); if the table then does not
have the layout the files were written for (columns added or widened, or another writer
changed it meanwhile), they are dropped and written again from the raw zone.

Writing the files here rather than through a Trino MERGE matters for speed: Trino would
read every row back and rewrite it, most of a large load's time on a small machine.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import shutil
import uuid
import warnings
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from .errors import IngestError
from .raw_zone import dictionary_columns
from .staging import load_folder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pyarrow as pa
    import pyarrow.fs as pafs
    from pyiceberg.catalog import Catalog
    from pyiceberg.io import FileIO, OutputFile
    from pyiceberg.io.fileformat import FileFormatWriter
    from pyiceberg.manifest import DataFile
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table
    from pyiceberg.typedef import Properties, Record
    from pyiceberg.types import IcebergType

    from .config import PipelineConfig
    from .register import TableChange

# Rows read back from the raw zone at a time, when a load's files are written from it.
CHUNK_ROWS = 250_000
# A partition's rows are written once this many have gathered (one row group), or, the
# biggest first, when all partitions together hold more than BUFFER_ROWS: memory stays
# bounded however the rows are spread over partitions.
GROUP_ROWS = 100_000
BUFFER_ROWS = 400_000
# Files open at once; beyond, the least recently written is finished and its partition
# starts a new file if more rows come.
MAX_OPEN_FILES = 64
# A partition's file is finished after this many rows and a new one begun.
FILE_ROWS = 10_000_000
UPLOAD_BYTES = 8 << 20
# Exact (not truncated) statistics for the lineage column let the delete of a file's earlier
# rows drop whole data files instead of reading them to decide.
SOURCE_METRICS = ("write.metadata.metrics.column._source_file", "full")
COMMIT_ATTEMPTS = 5
WRITERS = 2
# The pipeline's stage lines (see ingest.progress).
_progress = logging.getLogger("lakehouse_loader.progress")


def catalog(config: PipelineConfig) -> Catalog:
    from pyiceberg.catalog.rest import RestCatalog

    endpoint = urlparse(config.s3_endpoint)
    return RestCatalog(
        "lakehouse",
        uri=config.catalog_url,
        **{
            "s3.endpoint": f"{endpoint.scheme or 'http'}://{endpoint.netloc}",
            "s3.access-key-id": config.s3_access_key,
            "s3.secret-access-key": config.s3_secret_key,
            # SeaweedFS ignores regions, but every client must agree on one.
            "s3.region": config.s3_region,
            "s3.force-virtual-addressing": "false",
        },
    )


@dataclass(frozen=True)
class TableLayout:
    """What a table's data files are written for: only a table that still has this
    location, schema and partition spec may take them."""

    location: str
    schema: Schema
    spec: PartitionSpec
    properties: dict[str, str]
    io: FileIO
    new: bool = False  # a table the load creates, at this location

    @staticmethod
    def of(table: Table) -> TableLayout:
        properties = {**table.properties, SOURCE_METRICS[0]: SOURCE_METRICS[1]}
        return TableLayout(table.location(), table.schema(), table.spec(), properties, table.io)

    def matches(self, table: Table) -> bool:
        return (
            table.location() == self.location
            and table.schema().as_struct() == self.schema.as_struct()
            and table.spec() == self.spec
        )


def layout_for_load(
    config: PipelineConfig,
    table: str,
    change: TableChange,
    columns: list[tuple[str, str]],
    partition: list[str],
) -> TableLayout | None:
    """The layout `table` will have after the load's DDL (`change`), when it is known now:
    the table as it is when the DDL leaves its schema alone (narrower file types are cast
    to it), or, for a new table, the one prepare_table will create at the layout's
    location. None when the load adds or widens columns."""
    from pyiceberg.exceptions import NoSuchTableError

    from .register import LINEAGE

    if change.add_columns or change.widen_columns:
        return None
    tables = catalog(config)
    if change.create:
        return _new_table_layout(
            tables, config.schema, table, [*columns, *LINEAGE.items()], partition
        )
    try:
        return TableLayout.of(tables.load_table((config.schema, table)))
    except NoSuchTableError:  # dropped meanwhile: the files are written after the DDL
        return None


def _new_table_layout(
    tables: Catalog,
    namespace: str,
    table: str,
    columns: list[tuple[str, str]],
    partition: list[str],
) -> TableLayout | None:
    """What Trino's CREATE TABLE makes: columns numbered from 1 in order, all optional;
    partition fields numbered from 1000 and named as Trino names them; the location is ours
    (`WITH (location = ...)`), unique like Trino's own."""
    from pyiceberg.io import load_file_io
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import parse_transform
    from pyiceberg.types import NestedField

    from .contract import parse_partition

    base = tables.load_namespace_properties(namespace).get("location")
    types = [_iceberg_type(trino_type) for _, trino_type in columns]
    if not base or None in types:
        return None
    schema = Schema(
        *(
            NestedField(field_id, name, field_type, required=False)
            for field_id, ((name, _), field_type) in enumerate(
                zip(columns, types, strict=True), start=1
            )
            if field_type is not None
        )
    )
    fields = []
    for field_id, text in enumerate(partition, start=1000):
        spec = parse_partition(text)
        if spec is None:
            return None
        fields.append(
            PartitionField(
                source_id=schema.find_field(spec.column).field_id,
                field_id=field_id,
                transform=parse_transform(spec.transform),
                name=spec.column + _TRINO_PARTITION_SUFFIX[spec.transform.split("[")[0]],
            )
        )
    location = f"{base.rstrip('/')}/{table}-{uuid.uuid4().hex}"
    return TableLayout(
        location=location,
        schema=schema,
        spec=PartitionSpec(*fields, spec_id=0),
        properties={SOURCE_METRICS[0]: SOURCE_METRICS[1]},
        io=load_file_io(tables.properties, location),
        new=True,
    )


# How Trino names a partition field: its column, with a suffix for the transform.
_TRINO_PARTITION_SUFFIX = {
    "identity": "",
    "year": "_year",
    "month": "_month",
    "day": "_day",
    "hour": "_hour",
    "bucket": "_bucket",
    "truncate": "_trunc",
}


def _iceberg_type(trino_type: str) -> IcebergType | None:
    """The Iceberg type Trino stores for one of the pipeline's column types (or the
    lineage's time zone timestamp)."""
    from pyiceberg import types as t

    from .types import parse_type

    if trino_type == "timestamp(6) with time zone":
        return t.TimestamptzType()
    try:
        column = parse_type(trino_type)
    except ValueError:
        return None
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


def replace_source_rows(
    config: PipelineConfig,
    fs: pafs.FileSystem,
    table: str,
    parquet_key: str,
    source: str,
    written: TableFiles | None = None,
    before_commit: Callable[[], object] | None = None,
) -> int | None:
    """Makes `table` hold exactly the rows of the Parquet file `parquet_key` (in `fs`) for
    `source`: the files `written` (finished, not uploaded) when the table has the layout
    they were written for, else files written now from the Parquet file. `before_commit`
    waits for what must exist before the rows are visible. Returns the snapshot committed."""
    from pyiceberg.exceptions import CommitFailedException
    from pyiceberg.expressions import EqualTo

    tables = catalog(config)
    identifier = (config.schema, table)
    try:
        iceberg_table = tables.load_table(identifier)
        if iceberg_table.properties.get(SOURCE_METRICS[0]) != SOURCE_METRICS[1]:
            # Table metadata only (no data changes): how statistics of new files are kept.
            with iceberg_table.transaction() as settings:
                settings.set_properties({SOURCE_METRICS[0]: SOURCE_METRICS[1]})
            iceberg_table = tables.load_table(identifier)
        if written is not None and written.layout.matches(iceberg_table):
            data_files = written.upload()
        else:
            if written is not None:
                _progress.info("%s: the table changed meanwhile; writing its files again", source)
                written.abort()
                written = None
            data_files = _write_data_files(iceberg_table, fs, parquet_key, source)
    except BaseException:
        if written is not None:  # not committed
            written.abort()
        raise
    if before_commit is not None:
        try:
            before_commit()
        except BaseException:
            _delete(iceberg_table.io, data_files)  # not committed
            raise
    attempt = 1
    while True:
        try:
            with iceberg_table.transaction() as commit, warnings.catch_warnings():
                # A first load deletes nothing, which pyiceberg warns about.
                warnings.filterwarnings("ignore", "Delete operation did not match any records")
                # pyiceberg's own __init__ is hidden from mypy by its pydantic base.
                commit.delete(EqualTo("_source_file", source))  # type: ignore[call-arg,arg-type]
                with commit.update_snapshot().fast_append() as append:
                    for data_file in data_files:
                        append.append_data_file(data_file)
            # The commit updated the table object: its current snapshot is the one made.
            return iceberg_table.metadata.current_snapshot_id
        except CommitFailedException:
            # Another writer (maintenance, a user's SQL) committed first: start again from
            # the table as it is now; the data files written are still valid for it.
            if attempt == COMMIT_ATTEMPTS:
                _delete(iceberg_table.io, data_files)  # refused for sure: nobody's files
                raise
            attempt += 1
            iceberg_table = tables.load_table(identifier)


def _write_data_files(
    table: Table, fs: pafs.FileSystem, parquet_key: str, source: str
) -> list[DataFile]:
    import pyarrow.parquet as pq

    with load_folder() as staging:
        files = TableFiles(TableLayout.of(table), source, staging)
        try:
            with fs.open_input_file(parquet_key) as stream:
                for batch in pq.ParquetFile(stream).iter_batches(batch_size=CHUNK_ROWS):
                    files.add(batch)
            files.finish()
            return files.upload()
        except BaseException:
            files.abort()
            raise


def _delete(io: FileIO, data_files: list[DataFile]) -> None:
    for data_file in data_files:
        with contextlib.suppress(Exception):  # best effort: maintenance sweeps the rest
            io.delete(data_file.file_path)


PartitionValues = tuple[object, ...]


@dataclass
class _OpenFile:
    path: str  # in the table's location
    local: Path  # where it is written first
    writer: FileFormatWriter
    partition: Record
    rows: int = 0
    pending: Future[object] | None = None  # its last write or close, in order


class TableFiles:
    """New data files for a table layout, from rows as they come; committed by the caller.

    Rows are shaped to the table's columns and types, split by partition, and every
    partition's rows go to one open file, in row groups of up to GROUP_ROWS: two years of
    orders make 24 files, not one per month per batch, each of which would cost S3 round
    trips, a manifest entry and work for readers. Files are encoded on WRITERS threads
    (pyarrow releases the GIL), each file's writes in order, while the caller goes on. They
    are written to the load's `staging` folder first (see the staging module).

    A value that does not fit the table's type fails the load (IngestError); after any
    failure `abort` deletes what was written instead of leaving it to the orphan sweep.
    """

    def __init__(self, layout: TableLayout, source: str, staging: Path) -> None:
        import pyarrow as pa
        from pyiceberg.io.pyarrow import schema_to_pyarrow
        from pyiceberg.schema import sanitize_column_names
        from pyiceberg.table.locations import load_location_provider

        self.layout, self._io, self._source = layout, layout.io, source
        # The files carry the table's field ids; pyiceberg maps text to large_string, and
        # plain string is the same to Parquet and needs no copy.
        self._names = [field.name for field in layout.schema.fields]
        self._file_schema = sanitize_column_names(layout.schema)
        self._target = pa.schema(
            field.with_type(pa.string()) if field.type == pa.large_string() else field
            for field in schema_to_pyarrow(self._file_schema, include_field_ids=True)
        )
        self._dictionary: list[str] | None = None  # decided on the first rows
        self._locations = load_location_provider(layout.location, layout.properties)
        self._uuid, self._counter = uuid.uuid4(), itertools.count(0)
        self._staging = staging
        self._buffers: dict[PartitionValues, list[pa.Table]] = {}
        self._buffered: dict[PartitionValues, int] = {}
        self._open: OrderedDict[PartitionValues, _OpenFile] = OrderedDict()  # least recent first
        self._started: list[str] = []  # every file begun, to delete after a failure
        self._in_flight: deque[Future[object]] = deque()
        self._pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="table-files")
        self._data_files: list[DataFile] = []

    def add(self, rows: pa.RecordBatch) -> None:
        import pyarrow as pa

        shaped = _to_table_schema(
            pa.Table.from_batches([rows]), self._target, self._source, self._names
        )
        if self._dictionary is None:
            self._dictionary = dictionary_columns(shaped)
        for key, part in _by_partition(self.layout.spec, self.layout.schema, shaped):
            self._buffers.setdefault(key, []).append(part)
            self._buffered[key] = self._buffered.get(key, 0) + part.num_rows
            if self._buffered[key] >= GROUP_ROWS:
                self._flush(key)
        while sum(self._buffered.values()) > BUFFER_ROWS:
            self._flush(max(self._buffered, key=self._buffered.__getitem__))

    def finish(self) -> None:
        """Writes what is buffered and completes every file, on local disk."""
        for key in list(self._buffers):
            self._flush(key)
        for key in list(self._open):
            self._close(key)
        self._pool.shutdown(wait=True)
        for future in self._in_flight:
            future.result()  # raises a failed write's error

    def upload(self) -> list[DataFile]:
        """Uploads the finished files into the table's location. Only once the table exists:
        Trino creates a table only at an empty location."""

        def upload(data_file: DataFile) -> None:
            local = self._local(data_file.file_path)
            with (
                local.open("rb") as data,
                self._io.new_output(data_file.file_path).create(overwrite=True) as out,
            ):
                shutil.copyfileobj(data, out, UPLOAD_BYTES)
            local.unlink()

        with ThreadPoolExecutor(WRITERS, thread_name_prefix="upload") as uploads:
            list(uploads.map(upload, self._data_files))
        return self._data_files

    def abort(self) -> None:
        """Waits for the writes under way, then deletes every file begun."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for file in self._open.values():
            with contextlib.suppress(Exception):
                file.writer.close()
        for path in self._started:
            self._local(path).unlink(missing_ok=True)
            with contextlib.suppress(Exception):  # best effort: maintenance sweeps the rest
                self._io.delete(path)

    def _flush(self, key: PartitionValues) -> None:
        import pyarrow as pa

        rows = pa.concat_tables(self._buffers.pop(key))
        del self._buffered[key]
        file = self._file_for(key)
        file.rows += rows.num_rows
        self._submit(file, lambda: file.writer.write(rows))

    def _file_for(self, key: PartitionValues) -> _OpenFile:
        file = self._open.get(key)
        if file is not None and file.rows >= FILE_ROWS:
            self._close(key)
            file = None
        if file is None:
            if len(self._open) >= MAX_OPEN_FILES:
                self._close(next(iter(self._open)))
            file = self._start(key)
            self._open[key] = file
        self._open.move_to_end(key)
        return file

    def _start(self, key: PartitionValues) -> _OpenFile:
        from pyiceberg.io.pyarrow import PyArrowFileIO
        from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
        from pyiceberg.typedef import Record

        spec = self.layout.spec
        partition_key = None
        if not spec.is_unpartitioned():
            partition_key = PartitionKey(
                field_values=[
                    PartitionFieldValue(field=field, value=value)
                    for field, value in zip(spec.fields, key, strict=True)
                ],
                partition_spec=spec,
                schema=self.layout.schema,
            )
        path = self._locations.new_data_location(
            data_file_name=f"00000-{next(self._counter)}-{self._uuid}.parquet",
            partition_key=partition_key,
        )
        self._started.append(path)
        local = self._local(path)
        writer = _parquet_writer(
            PyArrowFileIO().new_output(str(local)),
            self._file_schema,
            self.layout.properties,
            self._dictionary or [],
        )
        partition = partition_key.partition if partition_key is not None else Record()
        return _OpenFile(path, local, writer, partition)

    def _local(self, path: str) -> Path:
        """Where the file for `path` (in the table's location) is staged."""
        return self._staging / path.rsplit("/", 1)[-1]

    def _close(self, key: PartitionValues) -> None:
        from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

        file = self._open.pop(key)

        def close() -> None:
            statistics = file.writer.close()
            size = file.local.stat().st_size
            self._data_files.append(
                DataFile.from_args(
                    content=DataFileContent.DATA,
                    file_path=file.path,
                    file_format=FileFormat.PARQUET,
                    partition=file.partition,
                    file_size_in_bytes=size,
                    sort_order_id=None,
                    spec_id=self.layout.spec.spec_id,
                    equality_ids=None,
                    key_metadata=None,
                    **statistics.to_serialized_dict(),
                )
            )

        self._submit(file, close)

    def _submit(self, file: _OpenFile, operation: Callable[[], object]) -> None:
        if file.pending is not None:
            file.pending.result()  # one operation per file at a time, in order
        while len(self._in_flight) >= WRITERS:
            self._in_flight.popleft().result()  # bounded memory: the caller waits
        file.pending = self._pool.submit(operation)
        self._in_flight.append(file.pending)


def _parquet_writer(
    output: OutputFile, schema: Schema, properties: Properties, dictionary: list[str]
) -> FileFormatWriter:
    """pyiceberg's Parquet writer (field ids, the statistics the manifest needs), with
    dictionaries only for the `dictionary` columns (raw_zone.dictionary_columns): pyiceberg
    has no table property for that, so its keyword arguments for pq.ParquetWriter get it."""
    from pyiceberg.io.pyarrow import ParquetFormatWriter

    writer = ParquetFormatWriter(output, schema, properties)
    writer._parquet_writer_kwargs["use_dictionary"] = dictionary
    return writer


def _by_partition(
    spec: PartitionSpec, schema: Schema, rows: pa.Table
) -> Iterator[tuple[PartitionValues, pa.Table]]:
    """The rows split by partition, each part with its partition values.

    pyiceberg splits a table by filtering all of it once per partition, which costs
    rows x partitions; one sort by the partition values, the rows taken in that order once,
    then a slice per partition (no copy) costs a sort and one copy.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if spec.is_unpartitioned():
        yield (), rows
        return
    keys = pa.table(
        {
            f"k{i}": field.transform.pyarrow_transform(schema.find_type(field.source_id))(
                rows.column(schema.find_column_name(field.source_id))
            )
            for i, field in enumerate(spec.fields)
        }
    )
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names])
    groups = pa.TableGroupBy(keys.take(order), keys.column_names, use_threads=False).aggregate(
        [([], "count_all")]
    )
    ordered = rows.take(order)
    start = 0
    for group in groups.to_pylist():
        count = group["count_all"]
        yield tuple(group[name] for name in keys.column_names), ordered.slice(start, count)
        start += count


def _to_table_schema(
    rows: pa.Table, target: pa.Schema, source: str, names: list[str] | None = None
) -> pa.Table:
    """The rows with the table's columns, in its order and types: a column the file lacks is
    null, and a file's type the table stores wider (bigint into decimal, say) is cast.
    `names` are the table's column names when the target's differ (sanitised for Parquet)."""
    import pyarrow as pa

    columns: list[pa.Array | pa.ChunkedArray] = []
    for field, name in zip(target, names or target.names, strict=True):
        if name not in rows.column_names:
            columns.append(pa.nulls(rows.num_rows, field.type))
            continue
        column = rows.column(name)
        if column.type != field.type:
            try:
                column = _cast(column, field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise IngestError(
                    source,
                    f"a value does not fit the table's type {field.type} ({error}); "
                    "none of the file's rows were committed",
                    column=name,
                    fix="correct the values, or load the file into a new table (rename it)",
                ) from error
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=target)


def _cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    """A checked cast. Arrow refuses an integer to a decimal unless every int64 would fit,
    so integers go through the widest decimal of that scale, and each value is checked."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_integer(column.type) and pa.types.is_decimal(target):
        column = pc.cast(column, pa.decimal128(min(38, 19 + target.scale), target.scale))
    return pc.cast(column, target)
