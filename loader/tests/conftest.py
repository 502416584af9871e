"""Fixtures shared by the tests: the extract stages' (sniff, scan, plan, read, ...) and a
local catalog for the whole loader's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakehouse_loader.catalog import catalog
from lakehouse_loader.config import PipelineConfig

NS = "lakehouse"


@pytest.fixture
def config(tmp_path: Path) -> Iterator[PipelineConfig]:
    """pyiceberg's SQL catalog on local files, namespace `lakehouse`: the loader's whole
    path with no services."""
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "store" / "lakehouse").mkdir(parents=True)
    config = PipelineConfig(
        trino_url="http://unused",
        catalog_url=f"sqlite:///{tmp_path}/catalog.db",
        s3_endpoint=f"file://{tmp_path}/store",
        s3_region="us-east-1",
        bucket="lakehouse",
        schema=NS,
        data_dir=tmp_path / "data",
    )
    catalog(config).create_namespace(NS)
    yield config


@pytest.fixture(params=["two passes", "one read"])
def reads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test that uses it runs twice: files planned by pass 1, and read once on the types
    of their first block (what loads do for large files), which must come to the same
    result."""
    if request.param == "one read":
        monkeypatch.setattr("lakehouse_loader.plan.SINGLE_PASS_FROM", 0)
    return str(request.param)


@pytest.fixture(params=["first blocks of 4 MB", "first blocks of 64 KB"])
def first_block_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """A test that uses it runs twice: with the reader's first blocks as loads have them,
    and with blocks smaller than its long lines."""
    if request.param == "first blocks of 64 KB":
        monkeypatch.setattr("lakehouse_loader.scan.INITIAL_BLOCK_SIZE", 64 << 10)
    from lakehouse_loader import scan

    return scan.INITIAL_BLOCK_SIZE
