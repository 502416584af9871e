"""`python -m lakehouse_loader ingest FILE...`: load files directly, without Airflow.

Prints one JSON object per file on stdout; a file that cannot be loaded is reported on
stderr (file, line, column, fix) and makes the exit code 1.

`python -m lakehouse_loader list [--raw-dir DIR]`: the CSV files the drop zone holds (the
drop zone watch's rule, drop_zone.py), as a JSON array of paths below data/raw/.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import PipelineConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_loader")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="load CSV files into their Iceberg tables")
    ingest.add_argument("files", nargs="+", type=Path)
    listing = sub.add_parser("list", help="the CSV files in data/raw/ that loads consider")
    listing.add_argument(
        "--raw-dir", type=Path, help="the drop zone (default: $LAKEHOUSE_DATA_DIR/raw)"
    )
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list(args.raw_dir)
    return _ingest(args.files)


def _list(raw_dir: Path | None) -> int:
    from .drop_zone import listing

    if raw_dir is None:
        raw_dir = Path(os.environ.get("LAKEHOUSE_DATA_DIR", "data")) / "raw"
    print(json.dumps(listing(raw_dir)))
    return 0


def _ingest(files: list[Path]) -> int:
    from .config import PipelineConfig
    from .conventions import LOADED
    from .errors import IngestError
    from .ingest import ingest_file

    # Stage lines for the `lakehouse` CLI, which shows them as they come.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("progress: %(message)s"))
    progress = logging.getLogger("lakehouse_loader.progress")
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    progress.propagate = False

    config = PipelineConfig.from_env()
    failed = 0
    loaded: set[str] = set()
    for path in files:
        try:
            result = ingest_file(path, config)
        except IngestError as error:
            failed += 1
            outcome = {"file": str(path), "status": "failed", "error": str(error)}
            # Flushed at once, as every outcome: the CLI pairs outcomes with files in order,
            # and one lost in the buffer to a crash would pin it on the wrong file.
            print(json.dumps(outcome), flush=True)
            print(f"error: {error}", file=sys.stderr)
            continue
        # The process's peak memory so far: what a load of this size needs.
        peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(json.dumps({**result.as_dict(), "peak_rss_mib": peak_rss_mib}), flush=True)
        if result.status == LOADED:
            loaded.add(result.table)
    _record_health(config, sorted(loaded))
    return 1 if failed else 0


def _record_health(config: PipelineConfig, tables: list[str]) -> None:
    """The loaded tables' health, for the Data quality dashboard (health_record.py). The
    loads stand without it: a failure is said, and the next load or maintenance records."""
    from . import health_record
    from .catalog import catalog
    from .conventions import rejects_table

    if not tables:
        return
    try:
        iceberg = catalog(config)
        names = [name for table in tables for name in (table, rejects_table(table))]
        health_record.record(
            iceberg, config.schema, health_record.measure_tables(iceberg, config.schema, names)
        )
    except Exception as error:
        print(f"warning: the tables' health was not recorded: {error}", file=sys.stderr)


def _exit(code: int) -> None:
    """Ends the process without the interpreter's teardown: with pyarrow and pyiceberg loaded
    it takes 0.3 s (measured), a fifth of a small file's whole load. Everything is written
    by then: outcomes and stage lines are flushed here, files closed, threads joined."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
