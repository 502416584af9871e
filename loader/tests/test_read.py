"""Reading files end to end, both ways: pass 2 after a plan, and one read on the types of
the first block."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from loads import BIGINT, DATE, VARCHAR, contract, disproved, load, types, write

from lakehouse_loader import scan
from lakehouse_loader.errors import IngestError
from lakehouse_loader.plan import plan_file
from lakehouse_loader.read import read_batches
from lakehouse_loader.types import ColumnType

pytestmark = pytest.mark.usefixtures("reads")


# --- the happy path ------------------------------------------------------------------------


def test_types_values_and_partition(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Order ID,Customer,Unit Price,Quantity,Order Date,Shipped At,Paid\n"
        "1,Ana,12.50,3,2026-01-03,2026-01-04 10:00:00,true\n"
        "2,Bo,7.25,1,2026-01-05,2026-01-06T08:30:00.5,false\n"
        "3,,100,2,2026-02-01,,TRUE\n",
    )
    plan, table, rejects = load(path)
    assert types(plan) == {
        "order_id": BIGINT,
        "customer": VARCHAR,
        "unit_price": ColumnType("decimal", 5, 2),
        "quantity": BIGINT,
        "order_date": DATE,
        "shipped_at": ColumnType("timestamp"),
        "paid": ColumnType("boolean"),
    }
    assert [c.source_name for c in plan.columns][2] == "Unit Price"
    assert plan.partition == ["month(order_date)"]
    assert plan.data_rows == 3
    assert (plan.encoding, plan.delimiter) == ("utf-8", ",")
    assert rejects == []
    assert table.to_pylist()[2] == {
        "order_id": 3,
        "customer": None,  # empty string is null, also for varchar
        "unit_price": Decimal("100.00"),
        "quantity": 2,
        "order_date": dt.date(2026, 2, 1),
        "shipped_at": None,
        "paid": True,
    }
    assert table.column("shipped_at").to_pylist()[1] == dt.datetime(2026, 1, 6, 8, 30, 0, 500000)


def test_batches_are_sliced(tmp_path: Path) -> None:
    path = write(tmp_path, "n\n" + "".join(f"{i}\n" for i in range(10)))
    plan = plan_file(path)
    sizes = [b.accepted.num_rows for b in read_batches(plan, batch_rows=3)]
    assert sizes == [3, 3, 3, 1]


def test_package_import_does_not_load_pyarrow() -> None:
    code = "import sys, lakehouse_loader; assert 'pyarrow' not in sys.modules"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_blank_trailing_lines_are_not_rows(tmp_path: Path) -> None:
    plan, table, rejects = load(write(tmp_path, "a,b\n1,2\n\n\n   \n\r\n"))
    assert plan.data_rows == 1
    assert table.num_rows == 1
    assert rejects == []


def test_one_column_file_with_blank_and_whitespace_lines(tmp_path: Path) -> None:
    plan, table, _ = load(write(tmp_path, "n\n1\n\n2\n   \n3\n"))
    assert plan.data_rows == 3
    assert types(plan) == {"n": BIGINT}
    assert table.column("n").to_pylist() == [1, 2, 3]


def test_file_changed_between_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n1\n")
    plan = plan_file(path)
    path.write_text("a\n1\n2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="the file changed after it was planned"):
        list(read_batches(plan))


# --- one read on the first block's types ---------------------------------------------------


def _orders(rows: int, late: dict[int, str] | None = None) -> str:
    """`rows` regular order lines; `late` replaces some lines (by row index) with others."""
    lines = ["id,ordered,price,note,"]
    for i in range(rows):
        lines.append((late or {}).get(i, f"{i},2026-01-{i % 28 + 1:02d},{i % 90 + 10}.50,n{i},"))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("late", "why"),
    [
        ({2900: "2900,2026-01-02,123456.789,n,"}, "column price is decimal(9,3)"),
        ({2900: "2900,2026-01-02,n/a,n,"}, "column price is varchar"),
        ({2900: "2900,2026-01-02 10:00,1.50,n,"}, "column ordered is timestamp"),
        ({2900: "2900,2026-01-02,1.50,n,surprise"}, "the empty column 5 has values"),
        (
            {2900: '2900,2026-01-02,1.50,"two\nlines",', 2950: "2950,2026-01-02,1.50"},
            "values with line breaks",
        ),
        (  # the ragged row is the file's last: after every batch
            {2900: '2900,2026-01-02,1.50,"two\nlines",', 2999: "2999,2026-01-02,1.50"},
            "values with line breaks",
        ),
        ({2900: "2900,2026-01-02,1.50,n" + "x" * 10_000 + ","}, "longer than the first block"),
    ],
)
def test_a_later_row_disproving_the_first_block_gives_the_two_pass_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: str, late: dict[int, str], why: str
) -> None:
    if reads == "two passes":
        pytest.skip("the one read is the subject")
    monkeypatch.setattr(scan, "INITIAL_BLOCK_SIZE", 4096)
    path = write(tmp_path, _orders(3000, late))
    c = contract(tmp_path, "max_reject_ratio: 1")
    plan, table, rejects = load(path, c)
    assert disproved[0] is not None and why in disproved[0]
    two_passes = plan_file(path, c, display_name=f"data/raw/{path.name}")
    expected = list(read_batches(two_passes, c))
    assert types(plan) == types(two_passes)
    assert table == pa.Table.from_batches([b.accepted for b in expected])
    assert rejects == [r for b in expected for r in b.rejects]
    assert plan.data_rows == two_passes.data_rows == 3000


def test_one_read_holds_when_later_rows_keep_the_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: str
) -> None:
    """Values the first block did not show, but within its types: no second read; line
    breaks inside later values without any reject; rejects of a contract type and ragged
    rows far beyond the first block, with their exact lines."""
    if reads == "two passes":
        pytest.skip("the one read is the subject")
    monkeypatch.setattr(scan, "INITIAL_BLOCK_SIZE", 4096)
    late = {
        1500: "1500,2026-01-02,1.5,  spaced  ,",
        1600: '1600,2026-01-02,99.50,"two\nlines",',
        2000: "2000,2026-01-02, 7.25 ,n,",
        2100: "",
    }
    path = write(tmp_path, _orders(3000, late))
    assert plan_file(path, from_first_block=True).provisional
    plan, table, rejects = load(path)
    assert disproved[0] is None
    assert plan.multiline and plan.data_rows == 2999
    assert types(plan)["price"] == ColumnType("decimal", 4, 2)
    assert rejects == []
    assert table.column("note").to_pylist()[1600] == "two\nlines"
    assert table.column("price").to_pylist()[2000] == Decimal("7.25")

    late = {2500: "2500,2026-01-02,1.50", 2600: "2600,2026-13-02,1.50,n,"}
    path = write(tmp_path, _orders(3000, late))
    c = contract(tmp_path, "columns: {ordered: date}\nmax_reject_ratio: 1")
    plan, table, rejects = load(path, c)
    assert disproved[0] is None
    assert [(r.line, r.reason) for r in rejects] == [
        (2502, "expected 5 fields, found 3"),
        (2602, "column ordered: '2026-13-02' is not a valid date"),
    ]
    assert plan.irregular_lines and table.num_rows == 2998
