"""The reject budget: max_reject_ratio."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from loads import contract, error_of, load, write

pytestmark = pytest.mark.usefixtures("reads")


def test_max_reject_ratio(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'x' if i % 10 == 0 else i}\n" for i in range(100))
    path = write(tmp_path, "id,qty\n" + rows)
    c = contract(tmp_path, "columns: {qty: bigint}\nmax_reject_ratio: 0.05")
    message = error_of(path, c)
    # One read fails as soon as the rejects exceed 5% of the lines counted meanwhile.
    assert re.search(r"more than 5\.00% of (the|at most) 100 rows are rejected", message)
    assert "line 2: column qty: 'x' is not an integer" in message
    c = contract(tmp_path, "columns: {qty: bigint}\nmax_reject_ratio: 0.1")
    _, table, rejects = load(path, c)
    assert (table.num_rows, len(rejects)) == (90, 10)
