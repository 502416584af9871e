"""The raw zone on S3: every load's accepted rows as Parquet, kept as the audit trail.

`s3://<bucket>/raw/<table>/<file>.parquet` for rows and
`s3://<bucket>/rejects/<table>/<file>.parquet` for quarantined rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from .config import PipelineConfig

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.fs as pafs


def s3_filesystem(config: PipelineConfig) -> pafs.S3FileSystem:
    import pyarrow.fs as pafs

    endpoint = urlparse(config.s3_endpoint)
    return pafs.S3FileSystem(
        access_key=config.s3_access_key,
        secret_key=config.s3_secret_key,
        endpoint_override=endpoint.netloc,
        scheme=endpoint.scheme or "http",
        # SeaweedFS ignores regions, but every client must agree on one.
        region=config.s3_region,
        allow_bucket_creation=False,
        allow_bucket_deletion=False,
    )


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns worth dictionary encoding in Parquet: text, dates and timestamps, whose
    values repeat. Numbers are mostly distinct (ids, amounts): encoding them with a
    dictionary cost a tenth of the writing time and saved no space."""
    import pyarrow as pa

    return [
        field.name
        for field in schema
        if pa.types.is_string(field.type)
        or pa.types.is_large_string(field.type)
        or pa.types.is_temporal(field.type)
    ]


def write_parquet(
    fs: pafs.FileSystem, key: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
) -> int:
    """Streams batches into one Parquet file or object; returns the number of rows written.

    Each batch is encoded (and written) on a second thread while the caller produces the
    next (pyarrow releases the GIL): on two cores, 40% less time than one after the other.
    """
    import pyarrow.parquet as pq

    rows = 0
    writing: Future[None] | None = None
    # No statistics: the raw zone is read whole (an audit trail, or to write a table's
    # files again), never filtered; they cost a fifth of its encoding.
    with (
        fs.open_output_stream(key) as stream,
        pq.ParquetWriter(
            stream,
            schema,
            compression="zstd",
            use_dictionary=dictionary_columns(schema),
            write_statistics=False,
        ) as writer,
        # Innermost, so a write in flight finishes before the writer closes.
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet") as encoder,
    ):
        for batch in batches:
            if batch.num_rows:
                if writing is not None:
                    writing.result()  # one batch in flight: memory stays bounded
                writing = encoder.submit(writer.write_batch, batch)
                rows += batch.num_rows
        if writing is not None:
            writing.result()
    return rows


def upload(fs: pafs.S3FileSystem, local: Path, key: str) -> None:
    """Copies a local file to the object `key`."""
    import pyarrow.fs as pafs

    pafs.copy_files(
        str(local), key, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs
    )
