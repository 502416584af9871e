"""Connection settings for the pipeline, from the environment.

The `lakehouse` CLI (and, in docker mode, Compose) sets these from the one `.env`, so
no value is defined twice and no secret is written in code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .contract import DEFAULT_MAX_REJECT_RATIO

# A table past either is compacted or expired after its load (table_health.py), unless its
# contract says otherwise.
COMPACT_AT_SMALL_FILES = 32
EXPIRE_AT_SNAPSHOTS = 100


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; run the pipeline through `./lakehouse ingest`")
    return value


@dataclass(frozen=True)
class PipelineConfig:
    trino_url: str
    catalog_url: str
    s3_endpoint: str
    s3_region: str
    bucket: str
    schema: str
    data_dir: Path
    catalog: str = "iceberg"
    s3_access_key: str = field(repr=False, default="")
    s3_secret_key: str = field(repr=False, default="")
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO
    # How long old snapshots (time travel) and unreferenced files are kept by maintenance.
    snapshot_retention: str = "7d"
    compact_at_small_files: int = COMPACT_AT_SMALL_FILES
    expire_at_snapshots: int = EXPIRE_AT_SNAPSHOTS

    @staticmethod
    def from_env() -> PipelineConfig:
        return PipelineConfig(
            trino_url=_required("LAKEHOUSE_TRINO_URL"),
            catalog_url=_required("LAKEHOUSE_CATALOG_URL"),
            s3_endpoint=_required("LAKEHOUSE_S3_ENDPOINT"),
            s3_region=os.environ.get("S3_REGION", "us-east-1"),
            s3_access_key=_required("S3_ACCESS_KEY"),
            s3_secret_key=_required("S3_SECRET_KEY"),
            bucket=os.environ.get("LAKEHOUSE_BUCKET", "lakehouse"),
            schema=os.environ.get("LAKEHOUSE_SCHEMA", "lakehouse"),
            data_dir=Path(_required("LAKEHOUSE_DATA_DIR")),
            max_reject_ratio=float(
                os.environ.get("LAKEHOUSE_MAX_REJECT_RATIO") or DEFAULT_MAX_REJECT_RATIO
            ),
            snapshot_retention=os.environ.get("LAKEHOUSE_SNAPSHOT_RETENTION", "7d"),
            compact_at_small_files=_count(
                "LAKEHOUSE_COMPACT_AT_SMALL_FILES", COMPACT_AT_SMALL_FILES
            ),
            expire_at_snapshots=_count("LAKEHOUSE_EXPIRE_AT_SNAPSHOTS", EXPIRE_AT_SNAPSHOTS),
        )


def _count(name: str, default: int) -> int:
    """A whole-number setting; unset or empty (Compose passes an unset one so): `default`.
    The CLI checks the values in `.env`."""
    value = os.environ.get(name)
    return int(value) if value else default
