"""A table's own data files, written from rows as they come, for the commit to add.

The rows are shaped to the table's columns and types, split by its partition spec, and
written as Parquet with the table's field ids and the statistics its manifests need. They
are written while the CSV file is read (with the raw zone's rows), for the layout the table
will have at the commit (commit.py); the commit adds them only to a table that still has that
layout, and otherwise has them written again from the raw zone's local copy.

Writing the files here rather than through a Trino MERGE matters for speed: Trino would
read every row back and rewrite it, most of a large load's time on a small machine.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import uuid
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .conventions import SOURCE_FILE
from .errors import IngestError
from .raw_zone import dictionary_columns

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pyarrow as pa
    from pyiceberg.io import FileIO, OutputFile
    from pyiceberg.io.fileformat import FileFormatWriter
    from pyiceberg.manifest import DataFile
    from pyiceberg.partitioning import PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.table.metadata import TableMetadata
    from pyiceberg.typedef import Properties, Record

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
SOURCE_METRICS = (f"write.metadata.metrics.column.{SOURCE_FILE}", "full")
WRITERS = 2


@dataclass(frozen=True)
class TableLayout:
    """What a table's data files are written for: only a table that still has this
    location, schema and partition spec may take them."""

    location: str
    schema: Schema
    spec: PartitionSpec
    properties: dict[str, str]
    io: FileIO

    @staticmethod
    def of(metadata: TableMetadata, io: FileIO) -> TableLayout:
        properties = {**metadata.properties, SOURCE_METRICS[0]: SOURCE_METRICS[1]}
        return TableLayout(metadata.location, metadata.schema(), metadata.spec(), properties, io)

    def matches(self, other: TableLayout) -> bool:
        return (
            other.location == self.location
            and other.schema.as_struct() == self.schema.as_struct()
            and other.spec == self.spec
        )


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
        """Uploads the finished files into the table's location."""

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
