"""A file in the drop zone and the names it goes by: its source name (as the ledger and the
lineage column say it), its table, its contract, its raw-zone object name and its content
hash. Which files are in the drop zone is drop_zone's rule.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .config import PipelineConfig
from .errors import IngestError


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_name(path: Path, config: PipelineConfig) -> str:
    """How the ledger and lineage name a file: as users see it in the spec's layout
    (data/raw/...), whatever the data directory's real path."""
    return "data/" + path.resolve().relative_to(config.data_dir.resolve()).as_posix()


def path_of(source: str, config: PipelineConfig) -> Path:
    """The file a source name stands for; only names inside data/raw/ are accepted."""
    relative = Path(source.removeprefix("data/"))
    raw_dir = (config.data_dir / "raw").resolve()
    path = (config.data_dir / relative).resolve()
    if relative.is_absolute() or not path.is_relative_to(raw_dir):
        raise IngestError(
            source, "not a file under data/raw/", fix="name files as data/raw/<name>.csv"
        )
    return path


def table_for(path: Path, raw_dir: Path) -> str:
    """data/raw/<name>.csv and data/raw/<name>/<any>.csv both load into table <name>."""
    from .names import normalize_headers

    relative = path.resolve().relative_to(raw_dir.resolve())
    stem = relative.parts[0] if len(relative.parts) > 1 else relative.stem
    return normalize_headers([stem])[0]


def object_name(path: Path) -> str:
    """A plain name for the file's objects in S3: its normalised stem, plus a short hash of
    the real name when normalising changed it, so "Jan 2026.csv" and "jan_2026.csv" differ."""
    from .names import normalize_headers

    name = normalize_headers([path.stem])[0]
    if name == path.stem:
        return name
    return f"{name}_{hashlib.sha256(path.name.encode()).hexdigest()[:8]}"


def contract_path(path: Path, raw_dir: Path, table: str) -> Path:
    relative = path.resolve().relative_to(raw_dir.resolve())
    base = relative.parts[0] if len(relative.parts) > 1 else relative.stem
    return raw_dir / f"{base}.contract.yaml"
