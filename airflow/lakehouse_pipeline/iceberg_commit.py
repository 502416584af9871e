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
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from .errors import IngestError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa
    import pyarrow.fs as pafs
    from pyiceberg.catalog import Catalog
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table

    from .config import PipelineConfig

# Rows read back and split by partition at a time. Bigger chunks mean fewer, larger files
# for unsorted data (each chunk writes one file per partition it touches) and a little
# more speed, at the cost of memory: a 256 MiB sales file peaked at ~650 MB with 500k rows,
# ~1 GB with a million.
CHUNK_ROWS = 500_000
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
    from pyiceberg.io.pyarrow import _dataframe_to_data_files, schema_to_pyarrow

    # pyiceberg maps text to large_string; plain string is the same to it and needs no copy.
    target = pa.schema(
        field.with_type(pa.string()) if field.type == pa.large_string() else field
        for field in schema_to_pyarrow(table.schema(), include_field_ids=False)
    )
    write_uuid, counter = uuid.uuid4(), itertools.count(0)

    def write(rows: pa.Table) -> list[DataFile]:
        return list(
            _dataframe_to_data_files(
                table.metadata, rows, table.io, write_uuid=write_uuid, counter=counter
            )
        )

    # Two partitions are encoded at a time (pyarrow releases the GIL), a third is prepared.
    data_files: list[DataFile] = []
    pending: deque[Future[list[DataFile]]] = deque()
    try:
        with ThreadPoolExecutor(max_workers=WRITERS) as writers:
            with fs.open_input_file(parquet_key) as stream:
                for batch in pq.ParquetFile(stream).iter_batches(batch_size=CHUNK_ROWS):
                    chunk = _to_table_schema(pa.Table.from_batches([batch]), target, source)
                    for rows in _by_partition(table, chunk):
                        if len(pending) >= WRITERS:
                            data_files.extend(pending.popleft().result())
                        pending.append(writers.submit(write, rows))
            while pending:
                data_files.extend(pending.popleft().result())
    except BaseException:
        # A value that does not fit, say, in a later chunk: the load fails uncommitted, so
        # what it wrote is deleted now instead of waiting for maintenance's orphan sweep.
        for future in pending:  # finished: leaving the executor waited for them
            with contextlib.suppress(Exception):
                data_files.extend(future.result())
        _delete(table, data_files)
        raise
    return data_files


def _delete(table: Table, data_files: list[DataFile]) -> None:
    for data_file in data_files:
        with contextlib.suppress(Exception):  # best effort: maintenance sweeps the rest
            table.io.delete(data_file.file_path)


def _by_partition(table: Table, rows: pa.Table) -> Iterator[pa.Table]:
    """The rows split into one table per partition.

    pyiceberg splits a table by filtering all of it once per partition, which costs
    rows x partitions; one sort by the partition values, then taking each partition's
    rows, costs a sort and one copy.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    spec, schema = table.spec(), table.schema()
    if spec.is_unpartitioned():
        yield rows
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
    counts = pa.TableGroupBy(keys.take(order), keys.column_names, use_threads=False).aggregate(
        [([], "count_all")]
    )
    start = 0
    for count in counts.column("count_all").to_pylist():
        yield rows.take(order.slice(start, count))
        start += count


def _to_table_schema(rows: pa.Table, target: pa.Schema, source: str) -> pa.Table:
    """The rows with the table's columns, in its order and types: a column the file lacks is
    null, and a file's type the table stores wider (bigint into decimal, say) is cast."""
    import pyarrow as pa

    columns: list[pa.Array | pa.ChunkedArray] = []
    for field in target:
        if field.name not in rows.column_names:
            columns.append(pa.nulls(rows.num_rows, field.type))
            continue
        column = rows.column(field.name)
        if column.type != field.type:
            try:
                column = _cast(column, field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise IngestError(
                    source,
                    f"a value does not fit the table's type {field.type} ({error}); "
                    "none of the file's rows were committed",
                    column=field.name,
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
