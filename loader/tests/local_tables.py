"""The drop zone and the tables of the local catalog (conftest's `config`), for the tests of
whole loads."""

from __future__ import annotations

from pathlib import Path

from pyiceberg.table import Table

from lakehouse_loader.catalog import catalog
from lakehouse_loader.config import PipelineConfig

NS = "lakehouse"


def write(config: PipelineConfig, name: str, text: str) -> Path:
    """Writes data/raw/<name>."""
    path = config.data_dir / "raw" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def table(config: PipelineConfig, name: str) -> Table:
    return catalog(config).load_table((NS, name))
