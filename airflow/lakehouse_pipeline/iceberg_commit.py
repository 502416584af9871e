"""Make a table hold exactly one Parquet file's rows for a source file, in one Iceberg commit.

The rows are written as the table's own data files, split by its partition spec, and a
single transaction through the REST catalog deletes the rows an earlier load of the same
source file left and adds the new files. Readers see the old rows or the new, never both,
never half; a load killed before the commit leaves only unreferenced files (removed by
maintenance's `remove_orphan_files`), and a re-run replaces rather than duplicates.

Writing the files here rather than through a Trino MERGE matters for speed: Trino would
read every row back and rewrite it, most of a large load's time on a small machine.
Schema changes (create, add or widen columns) stay with Trino and happen before this.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
import warnings
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from .errors import IngestError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pyarrow as pa
    import pyarrow.fs as pafs
    from pyiceberg.catalog import Catalog
    from pyiceberg.io.fileformat import FileFormatWriter
    from pyiceberg.manifest import DataFile
    from pyiceberg.schema import Schema
    from pyiceberg.table import Table
    from pyiceberg.typedef import Record

    from .config import PipelineConfig

# Rows read back and split by partition at a time.
CHUNK_ROWS = 250_000
# A partition's rows are written once this many have gathered (one row group), or, the
# biggest first, when all partitions together hold more than BUFFER_ROWS: memory stays
# bounded however the rows are spread over partitions.
GROUP_ROWS = 100_000
BUFFER_ROWS = 400_000
# Files open at once (each holds an upload buffer); beyond, the least recently written is
# finished and its partition starts a new file if more rows come.
MAX_OPEN_FILES = 32
# A partition's file is finished after this many rows and a new one begun.
FILE_ROWS = 10_000_000
# Exact (not truncated) statistics for the lineage column let the delete of a file's earlier
# rows drop whole data files instead of reading them to decide.
SOURCE_METRICS = ("write.metadata.metrics.column._source_file", "full")
COMMIT_ATTEMPTS = 5
WRITERS = 2


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


def replace_source_rows(
    config: PipelineConfig, fs: pafs.S3FileSystem, table: str, parquet_key: str, source: str
) -> int | None:
    """Makes `table` hold exactly the rows of the Parquet object `parquet_key` for `source`;
    returns the snapshot committed."""
    from pyiceberg.exceptions import CommitFailedException
    from pyiceberg.expressions import EqualTo

    tables = catalog(config)
    identifier = (config.schema, table)
    iceberg_table = tables.load_table(identifier)
    if iceberg_table.properties.get(SOURCE_METRICS[0]) != SOURCE_METRICS[1]:
        # Table metadata only (no data changes): how statistics of new files are kept.
        with iceberg_table.transaction() as settings:
            settings.set_properties({SOURCE_METRICS[0]: SOURCE_METRICS[1]})
        iceberg_table = tables.load_table(identifier)

    data_files = _write_data_files(iceberg_table, fs, parquet_key, source)
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
                _delete(iceberg_table, data_files)  # refused for sure: nobody's files
                raise
            attempt += 1
            iceberg_table = tables.load_table(identifier)


def _write_data_files(
    table: Table, fs: pafs.S3FileSystem, parquet_key: str, source: str
) -> list[DataFile]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyiceberg.io.pyarrow import schema_to_pyarrow
    from pyiceberg.schema import sanitize_column_names

    # The files carry the table's field ids; pyiceberg maps text to large_string, and plain
    # string is the same to Parquet and needs no copy.
    names = [field.name for field in table.schema().fields]
    file_schema = sanitize_column_names(table.schema())
    target = pa.schema(
        field.with_type(pa.string()) if field.type == pa.large_string() else field
        for field in schema_to_pyarrow(file_schema, include_field_ids=True)
    )
    files = _PartitionFiles(table, file_schema)
    try:
        with fs.open_input_file(parquet_key) as stream:
            for batch in pq.ParquetFile(stream).iter_batches(batch_size=CHUNK_ROWS):
                chunk = _to_table_schema(pa.Table.from_batches([batch]), target, source, names)
                for key, rows in _by_partition(table, chunk):
                    files.add(key, rows)
        return files.finish()
    except BaseException:
        # A value that does not fit, say, in a later chunk: the load fails uncommitted, so
        # what it wrote is deleted now instead of waiting for maintenance's orphan sweep.
        files.abort()
        raise


def _delete(table: Table, data_files: list[DataFile]) -> None:
    for data_file in data_files:
        with contextlib.suppress(Exception):  # best effort: maintenance sweeps the rest
            table.io.delete(data_file.file_path)


PartitionValues = tuple[object, ...]


@dataclass
class _OpenFile:
    path: str
    writer: FileFormatWriter
    partition: Record
    rows: int = 0
    pending: Future[object] | None = None  # its last write or close, in order


class _PartitionFiles:
    """The new data files of a load: one open file per partition, fed chunk after chunk.

    A partition's rows from every chunk go to the same file, in row groups of up to
    GROUP_ROWS: two years of orders make 24 files, not one per month per chunk (about 500
    for 1 GiB), each of which costs S3 round trips, a manifest entry and work for readers.
    Files are encoded on WRITERS threads (pyarrow releases the GIL), each file's writes in
    order, while the caller prepares the next chunk.
    """

    def __init__(self, table: Table, file_schema: Schema) -> None:
        from pyiceberg.io.fileformat import FileFormatFactory
        from pyiceberg.manifest import FileFormat
        from pyiceberg.table.locations import load_location_provider

        self._table = table
        self._file_schema = file_schema
        self._format = FileFormatFactory.get(FileFormat.PARQUET)
        self._locations = load_location_provider(table.location(), table.properties)
        self._uuid, self._counter = uuid.uuid4(), itertools.count(0)
        self._buffers: dict[PartitionValues, list[pa.Table]] = {}
        self._buffered: dict[PartitionValues, int] = {}
        self._open: OrderedDict[PartitionValues, _OpenFile] = OrderedDict()  # least recent first
        self._started: list[str] = []  # every file begun, to delete after a failure
        self._in_flight: deque[Future[object]] = deque()
        self._pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="table-files")
        self._data_files: list[DataFile] = []

    def add(self, key: PartitionValues, rows: pa.Table) -> None:
        self._buffers.setdefault(key, []).append(rows)
        self._buffered[key] = self._buffered.get(key, 0) + rows.num_rows
        if self._buffered[key] >= GROUP_ROWS:
            self._flush(key)
        while sum(self._buffered.values()) > BUFFER_ROWS:
            self._flush(max(self._buffered, key=self._buffered.__getitem__))

    def finish(self) -> list[DataFile]:
        for key in list(self._buffers):
            self._flush(key)
        for key in list(self._open):
            self._close(key)
        self._pool.shutdown(wait=True)
        for future in self._in_flight:
            future.result()  # raises a failed write's error
        return self._data_files

    def abort(self) -> None:
        """Waits for the writes under way, then deletes every file begun."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        for file in self._open.values():
            with contextlib.suppress(Exception):
                file.writer.close()
        for path in self._started:
            with contextlib.suppress(Exception):  # best effort: maintenance sweeps the rest
                self._table.io.delete(path)

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
        from pyiceberg.partitioning import PartitionFieldValue, PartitionKey
        from pyiceberg.typedef import Record

        spec = self._table.spec()
        partition_key = None
        if not spec.is_unpartitioned():
            partition_key = PartitionKey(
                field_values=[
                    PartitionFieldValue(field=field, value=value)
                    for field, value in zip(spec.fields, key, strict=True)
                ],
                partition_spec=spec,
                schema=self._table.schema(),
            )
        path = self._locations.new_data_location(
            data_file_name=f"00000-{next(self._counter)}-{self._uuid}.parquet",
            partition_key=partition_key,
        )
        self._started.append(path)
        writer = self._format.create_writer(
            self._table.io.new_output(path), self._file_schema, self._table.properties
        )
        partition = partition_key.partition if partition_key is not None else Record()
        return _OpenFile(path, writer, partition)

    def _close(self, key: PartitionValues) -> None:
        from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

        file = self._open.pop(key)

        def close() -> None:
            statistics = file.writer.close()
            self._data_files.append(
                DataFile.from_args(
                    content=DataFileContent.DATA,
                    file_path=file.path,
                    file_format=FileFormat.PARQUET,
                    partition=file.partition,
                    file_size_in_bytes=len(self._table.io.new_input(file.path)),
                    sort_order_id=None,
                    spec_id=self._table.metadata.default_spec_id,
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


def _by_partition(table: Table, rows: pa.Table) -> Iterator[tuple[PartitionValues, pa.Table]]:
    """The rows split by partition, each part with its partition values.

    pyiceberg splits a table by filtering all of it once per partition, which costs
    rows x partitions; one sort by the partition values, then taking each partition's
    rows, costs a sort and one copy.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    spec, schema = table.spec(), table.schema()
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
    start = 0
    for group in groups.to_pylist():
        count = group["count_all"]
        yield tuple(group[name] for name in keys.column_names), rows.take(order.slice(start, count))
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
