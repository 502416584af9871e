"""Pass 1's scan: rows longer than a block."""

from __future__ import annotations

from pathlib import Path

import pytest
from loads import contract, load, write

from lakehouse_loader import scan
from lakehouse_loader.rejects import Reject

pytestmark = pytest.mark.usefixtures("reads")


def test_ten_megabyte_field(tmp_path: Path) -> None:
    big = "x" * (10 * 1024 * 1024)
    path = write(tmp_path, f'id,blob\n1,"{big}"\n2,small\n')
    plan, table, _ = load(path)
    assert table.column("blob").to_pylist() == [big, "small"]
    assert plan.data_rows == 2
    assert plan.block_size > len(big)  # grown from the initial block size


def test_field_larger_than_a_block_grows_the_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "INITIAL_BLOCK_SIZE", 1 << 20)
    big = "y\n" * (3 * 1024 * 1024)
    path = write(tmp_path, f'id,blob\n1,"{big}"\n2,small\nbad,row\n')
    plan, table, rejects = load(
        path, contract(tmp_path, "columns: {id: bigint}\nmax_reject_ratio: 1")
    )
    assert plan.block_size > 1 << 20
    assert table.column("blob").to_pylist() == [big, "small"]
    assert rejects == [
        Reject(2 + 3 * 1024 * 1024 + 2, "bad,row", "column id: 'bad' is not an integer")
    ]


@pytest.mark.usefixtures("first_block_size")
def test_a_first_data_row_of_2_mb(tmp_path: Path) -> None:
    blob = "z," * (1 << 20)  # 2 MB of delimiters, quoted
    text = f'id,blob,qty\n1,"{blob}",3\n2,small,x\n'
    c = contract(tmp_path, "columns: {qty: bigint}\nmax_reject_ratio: 1")
    plan, table, rejects = load(write(tmp_path, text), c)
    assert table.to_pylist() == [{"id": 1, "blob": blob, "qty": 3}]
    assert rejects == [Reject(3, "2,small,x", "column qty: 'x' is not an integer")]
    assert plan.block_size > len(blob)
