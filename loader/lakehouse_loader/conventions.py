"""Names the loader and the `lakehouse` CLI share: tables, columns, the Airflow pool, the
raw zone's object keys and the drop zone's rule. Defined once, in conventions.json beside
this file, which src/pipeline/conventions.ts reads too; tests/unit/conventions.test.ts
fails when the two disagree or a copy of a name appears in code elsewhere.

Standard library only: the DAG files import it when Airflow parses them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

_JSON: Final[dict[str, Any]] = json.loads(
    Path(__file__).with_name("conventions.json").read_text(encoding="utf-8")
)

# The lineage columns every stored row gets: the file it came from (as data/raw/...) and
# when it was loaded.
SOURCE_FILE: Final[str] = _JSON["lineage_columns"]["source_file"]
INGESTED_AT: Final[str] = _JSON["lineage_columns"]["ingested_at"]
LINEAGE_COLUMNS: Final[tuple[str, str]] = (SOURCE_FILE, INGESTED_AT)

# A table's quarantined rows go to the table of its name and this suffix.
REJECTS_SUFFIX: Final[str] = _JSON["rejects_table_suffix"]
# The ledger: one row per load attempt.
LEDGER_TABLE: Final[str] = _JSON["ledger_table"]
# Every table's health as last measured: one row per table (health_record.py).
HEALTH_TABLE: Final[str] = _JSON["health_table"]
# The Airflow pool every load (and every table's maintenance) runs in.
LOAD_POOL: Final[str] = _JSON["load_pool"]

# A load attempt's status in the ledger (what each means: ledger.py).
_STATUS: Final[dict[str, str]] = _JSON["ledger_status"]
LOADED: Final[str] = _STATUS["loaded"]
REJECTED: Final[str] = _STATUS["rejected"]
FAILED: Final[str] = _STATUS["failed"]
CHANGED: Final[str] = _STATUS["changed"]

# Maintenance compacts data files smaller than this; the Data quality dashboard counts them.
SMALL_FILE_MB: Final[int] = _JSON["small_file_mb"]

# The raw zone's object keys, below the bucket.
_RAW_ZONE: Final[dict[str, Any]] = _JSON["raw_zone"]
SHA_CHARS: Final[int] = _RAW_ZONE["sha_chars"]

# The S3 landing zone's prefix in the bucket (landing.py).
LANDING_PREFIX: Final[str] = _JSON["landing_zone"]["prefix"]

# The drop zone's rule (drop_zone.py).
CSV_SUFFIX: Final[str] = _JSON["drop_zone"]["csv_suffix"]
SKIPPED_PREFIXES: Final[tuple[str, ...]] = tuple(_JSON["drop_zone"]["skipped_prefixes"])


def rejects_table(table: str) -> str:
    """The table of `table`'s quarantined rows."""
    return table + REJECTS_SUFFIX


def is_rejects_table(name: str) -> bool:
    return name.endswith(REJECTS_SUFFIX)


def _key(template: str, table: str, name: str, sha: str) -> str:
    return template.format(table=table, name=name, sha=sha[:SHA_CHARS])


def raw_key(table: str, name: str, sha: str) -> str:
    """The raw zone's object of one version of a file: raw/<table>/<name>.<sha12>.parquet."""
    return _key(_RAW_ZONE["rows_key"], table, name, sha)


def rejects_key(table: str, name: str, sha: str) -> str:
    """Its quarantined rows' object: rejects/<table>/<name>.<sha12>.parquet."""
    return _key(_RAW_ZONE["rejects_key"], table, name, sha)


def _prefix(template: str, table: str) -> str:
    return template[: template.index("{name}")].format(table=table)


def raw_prefix(table: str) -> str:
    """The prefix of every raw-zone object of `table`: raw/<table>/."""
    return _prefix(_RAW_ZONE["rows_key"], table)


def rejects_prefix(table: str) -> str:
    """The prefix of every quarantined-rows object of `table`: rejects/<table>/."""
    return _prefix(_RAW_ZONE["rejects_key"], table)
