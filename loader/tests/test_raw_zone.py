"""Writing the raw zone's Parquet (to local disk here; S3 in the integration tests)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from lakehouse_loader.raw_zone import write_parquet

SCHEMA = pa.schema([("id", pa.int64()), ("code", pa.string()), ("region", pa.string())])


def test_dictionaries_only_for_text_whose_values_repeat(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "id": list(range(1000)),
            "code": [f"C{i:05d}" for i in range(1000)],  # distinct: an id in text
            "region": ["Europe", "Asia"] * 500,
        },
        schema=SCHEMA,
    )
    path = tmp_path / "rows.parquet"
    assert write_parquet(pafs.LocalFileSystem(), str(path), SCHEMA, [batch, batch]) == 2000
    parquet = pq.ParquetFile(path)
    group = parquet.metadata.row_group(0)
    dictionary = {
        group.column(i).path_in_schema: group.column(i).has_dictionary_page for i in range(3)
    }
    assert dictionary == {"id": False, "code": False, "region": True}
    assert parquet.read().num_rows == 2000


def test_no_rows_still_make_a_file_with_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    assert write_parquet(pafs.LocalFileSystem(), str(path), SCHEMA, []) == 0
    table = pq.read_table(path)
    assert table.schema == SCHEMA
    assert table.num_rows == 0
