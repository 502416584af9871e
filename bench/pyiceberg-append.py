"""The load most comparable projects do, for bench/ingest-throughput.ts to set beside ours.

    python bench/pyiceberg-append.py FILE.csv TABLE

The whole CSV is read with pyarrow.csv.read_csv, a table TABLE is created from its schema and
partitioned by month(order_date), and the data appended with pyiceberg, through the catalog
the loader uses, connected as the loader connects (lakehouse_loader.catalog, from the
loader's environment: LAKEHOUSE_CATALOG_URL, LAKEHOUSE_S3_ENDPOINT, S3_*, LAKEHOUSE_SCHEMA).
The table is purged after.

Prints JSON lines: {"location": ...} for every table location written to (the caller
deletes what the purge leaves of it), then {"seconds": ..., "rows": ..., "peak_rss_mib": ...}:
the time of read, create and append, the rows the table holds, and the process's peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import pyarrow.csv
from pyiceberg.transforms import MonthTransform

from lakehouse_loader.catalog import catalog
from lakehouse_loader.config import PipelineConfig


def emit(**values: object) -> None:
    print(json.dumps(values), flush=True)


def main(csv: str, table: str) -> None:
    config = PipelineConfig.from_env()
    tables = catalog(config)
    identifier = (config.schema, table)
    if tables.table_exists(identifier):  # left by a run that was killed
        emit(location=tables.load_table(identifier).location())
        tables.purge_table(identifier)

    started = time.perf_counter()
    data = pyarrow.csv.read_csv(csv)
    created = tables.create_table(identifier, schema=data.schema)
    emit(location=created.location())
    try:
        with created.update_spec() as spec:
            spec.add_field("order_date", MonthTransform(), "order_date_month")
        created.append(data)
        seconds = time.perf_counter() - started
        snapshot = created.current_snapshot()
        rows = snapshot.summary["total-records"] if snapshot and snapshot.summary else None
        # ru_maxrss is in KiB on Linux.
        peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        emit(seconds=seconds, rows=int(rows or 0), peak_rss_mib=peak_rss_mib)
    finally:
        tables.purge_table(identifier)


if __name__ == "__main__":
    main(*sys.argv[1:3])
