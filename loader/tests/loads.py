"""Loading a CSV file as a load does, for the tests of the extract stages: plan, read,
check the invariants; with the `reads` fixture (conftest), both ways a file is read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pytest

from lakehouse_loader.contract import Contract, load_contract
from lakehouse_loader.errors import IngestError
from lakehouse_loader.plan import FilePlan, plan_file
from lakehouse_loader.read import PlanDisproved, read_file
from lakehouse_loader.rejects import Reject
from lakehouse_loader.types import ColumnType

BIGINT = ColumnType("bigint")
VARCHAR = ColumnType("varchar")
DATE = ColumnType("date")


def write(tmp_path: Path, data: str | bytes, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def contract(tmp_path: Path, text: str, name: str = "orders") -> Contract:
    path = tmp_path / f"{name}.contract.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_contract(path)
    assert loaded is not None
    return loaded


#: Why the last load's one read was disproved (None: it was not, or was not tried).
disproved: list[str | None] = [None]


def load(
    path: Path, contract: Contract | None = None, batch_rows: int = 65536
) -> tuple[FilePlan, pa.Table, list[Reject]]:
    """Plan and read a file as a load does; checks the invariant and the batch shapes."""
    name = f"data/raw/{path.name}"
    plan = plan_file(path, contract, display_name=name, from_first_block=True, hash_file=True)
    reading = read_file(plan, contract, batch_rows=batch_rows, hash_file=True)
    disproved[0] = None
    try:
        batches = list(reading)
    except PlanDisproved as why:
        disproved[0] = str(why)
        reading = read_file(plan_file(path, contract, display_name=name), contract, batch_rows)
        batches = list(reading)
    plan = reading.plan
    assert not plan.provisional
    if disproved[0] is None:
        assert plan.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    schema = pa.schema([pa.field(c.name, c.type.arrow()) for c in plan.columns])
    for batch in batches:
        assert batch.accepted.schema == schema
        assert batch.accepted.num_rows <= batch_rows
    table = pa.Table.from_batches([b.accepted for b in batches], schema=schema)
    rejects = [r for b in batches for r in b.rejects]
    assert table.num_rows + len(rejects) == plan.data_rows
    return plan, table, rejects


def types(plan: FilePlan) -> dict[str, ColumnType]:
    return {c.name: c.type for c in plan.columns}


def error_of(path: Path, contract: Contract | None = None) -> str:
    with pytest.raises(IngestError) as info:
        load(path, contract)
    return str(info.value)
