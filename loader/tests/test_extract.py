"""Extract + validate on real-world CSV files, generated in tmp_path."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from lakehouse_loader import extract
from lakehouse_loader.contract import Contract, load_contract
from lakehouse_loader.errors import IngestError
from lakehouse_loader.extract import (
    FilePlan,
    PlanDisproved,
    Reject,
    plan_file,
    read_batches,
    read_file,
)
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


@pytest.fixture(autouse=True, params=["two passes", "one read"])
def reads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs twice: files planned by pass 1, and read once on the types of their
    first block (what loads do for large files), which must come to the same result."""
    if request.param == "one read":
        monkeypatch.setattr(extract, "SINGLE_PASS_FROM", 0)
    return str(request.param)


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


# --- the happy path --------------------------------------------------------------------------


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


# --- encodings ---------------------------------------------------------------------------------


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfid,name\n1,Zo\xc3\xab\n")
    plan, table, _ = load(path)
    assert [c.source_name for c in plan.columns] == ["id", "name"]
    assert table.to_pylist() == [{"id": 1, "name": "Zoë"}]


def test_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "id,city\r\n1,Paris\r\n2,Lyon\r\n\r\n")
    plan, table, rejects = load(path)
    assert types(plan) == {"id": BIGINT, "city": VARCHAR}
    assert table.column("city").to_pylist() == ["Paris", "Lyon"]
    assert rejects == []


def test_invalid_utf8_names_line_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,name\n1,ok\n2,caf\xe9\n")
    message = error_of(path)
    assert message.startswith(
        "data/raw/orders.csv, line 3: invalid UTF-8 (byte 0xe9 at byte offset 18)"
    )
    assert "Fix: re-save the file as UTF-8, or declare encoding: latin-1" in message


def test_invalid_utf8_after_the_first_megabyte(tmp_path: Path) -> None:
    rows = "".join(f"{i},name{i}\n" for i in range(200_000))
    data = b"id,name\n" + rows.encode() + b"200000,caf\xe9\n"
    path = write(tmp_path, data)
    message = error_of(path)
    assert "line 200002: invalid UTF-8" in message
    assert f"byte offset {len(data) - 2}" in message


def test_latin1_when_declared(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,name\n1,caf\xe9\n")
    plan, table, _ = load(path, contract(tmp_path, "encoding: latin-1"))
    assert plan.encoding == "latin-1"
    assert table.column("name").to_pylist() == ["café"]


# --- delimiters and quoting ------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_detection(tmp_path: Path, delimiter: str) -> None:
    lines = [["id", "label", "price"], ["1", "a,b;c", "1.5"], ["2", "x", "2.25"]]
    text = "\n".join(
        delimiter.join(f'"{f}"' if any(d in f for d in ",;\t|") else f for f in row)
        for row in lines
    )
    plan, table, rejects = load(write(tmp_path, text + "\n"))
    assert plan.delimiter == delimiter
    assert table.column("label").to_pylist() == ["a,b;c", "x"]
    assert types(plan)["price"] == ColumnType("decimal", 3, 2)
    assert rejects == []


def test_semicolon_file_with_decimal_commas_is_text_without_contract(tmp_path: Path) -> None:
    path = write(tmp_path, "id;amount\n1;1,5\n2;2,25\n")
    plan, _, _ = load(path)
    assert plan.delimiter == ";"
    assert types(plan)["amount"] == VARCHAR
    plan, table, _ = load(path, contract(tmp_path, 'decimal_separator: ","'))
    assert types(plan)["amount"] == ColumnType("decimal", 3, 2)
    assert table.column("amount").to_pylist() == [Decimal("1.50"), Decimal("2.25")]


def test_one_column_file(tmp_path: Path) -> None:
    plan, table, _ = load(write(tmp_path, "comment\nhello, world\nbye\n"))
    assert [c.name for c in plan.columns] == ["comment"]
    assert table.column("comment").to_pylist() == ["hello, world", "bye"]


def test_unsupported_delimiter_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "id^name^qty\n1^a^2\n2^b^3\n")
    message = error_of(path)
    assert "look delimited by '^', which is not detected automatically" in message
    assert "delimiter: '^'" in message
    _, table, _ = load(path, contract(tmp_path, 'delimiter: "^"'))
    assert table.column("qty").to_pylist() == [2, 3]


def test_quoted_fields_doubled_quotes_and_newlines_with_exact_lines(tmp_path: Path) -> None:
    text = (
        "id,note,qty\n"  # line 1
        '1,"multi\nline\nnote",5\n'  # lines 2-4
        "\n"  # line 5, blank
        '2,"say ""hi"", ok",x\n'  # line 6: bad qty
        '3,"a\r\nb",7\n'  # lines 7-8
        "4,ragged\n"  # line 9
        '5,"tail\n\nwith blank line inside",oops\n'  # lines 10-12: bad qty
        "\n\n"  # lines 13-14
        "6,end,8\n"  # line 15
    )
    plan, table, rejects = load(write(tmp_path, text))
    assert plan.data_rows == 6
    assert types(plan) == {"id": BIGINT, "note": VARCHAR, "qty": VARCHAR}
    plan, table, rejects = load(
        write(tmp_path, text), contract(tmp_path, "columns: {qty: bigint}\nmax_reject_ratio: 1")
    )
    assert table.column("note").to_pylist() == ["multi\nline\nnote", "a\r\nb", "end"]
    assert table.column("qty").to_pylist() == [5, 7, 8]
    assert [(r.line, r.reason) for r in rejects] == [
        (6, "column qty: 'x' is not an integer"),
        (9, "expected 3 fields, found 2"),
        (10, "column qty: 'oops' is not an integer"),
    ]
    assert rejects[0].raw == '2,"say ""hi"", ok",x'
    assert rejects[1].raw == "4,ragged"
    assert rejects[2].raw == '5,"tail\n\nwith blank line inside",oops'


def test_blank_trailing_lines_are_not_rows(tmp_path: Path) -> None:
    plan, table, rejects = load(write(tmp_path, "a,b\n1,2\n\n\n   \n\r\n"))
    assert plan.data_rows == 1
    assert table.num_rows == 1
    assert rejects == []


def test_ragged_rows(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"
    plan, table, rejects = load(write(tmp_path, text))
    assert plan.data_rows == 4
    assert table.column("a").to_pylist() == [1, 10]
    assert rejects == [
        Reject(3, "4,5", "expected 3 fields, found 2"),
        Reject(4, "6,7,8,9", "expected 3 fields, found 4"),
    ]


def test_trailing_delimiter_drops_the_empty_column(tmp_path: Path) -> None:
    plan, table, _ = load(write(tmp_path, "a,b,\n1,2,\n3,4,\n"))
    assert [c.name for c in plan.columns] == ["a", "b"]
    assert table.to_pylist() == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    # With a value under the empty header, the column stays.
    plan, table, _ = load(write(tmp_path, "a,b,\n1,2,\n3,4,x\n", "kept.csv"))
    assert [c.name for c in plan.columns] == ["a", "b", "column_3"]
    assert table.column("column_3").to_pylist() == [None, "x"]


def test_trailing_delimiter_reject_keeps_raw_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,\n1,2,\nx,4,\n")
    _, table, rejects = load(path, contract(tmp_path, "columns: {a: bigint}\nmax_reject_ratio: 1"))
    assert table.num_rows == 1
    assert rejects == [Reject(3, "x,4,", "column a: 'x' is not an integer")]


# --- unusable files ----------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, b""))
    assert message.startswith("data/raw/orders.csv: the file is empty. Fix: ")
    message = error_of(write(tmp_path, b" \n\n\t\n", "blank.csv"))
    assert message.startswith("data/raw/blank.csv: the file contains only whitespace. Fix: ")


def test_binary_file(tmp_path: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    message = error_of(write(tmp_path, data, "image.csv"))
    assert "this is not delimited text" in message
    assert "NUL byte at offset 8" in message
    assert "Fix: export the data as a CSV text file" in message


def test_utf16_file(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "id,name\n1,a\n".encode("utf-16")))
    assert "the file is UTF-16 encoded. Fix: save it as CSV UTF-8" in message


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n")
    plan, table, _ = load(path)
    assert plan.data_rows == 0
    assert table.num_rows == 0
    assert types(plan) == {"id": VARCHAR, "name": VARCHAR}
    message = error_of(path, contract(tmp_path, "require_rows: true"))
    assert "the file has a header but no data rows" in message
    assert "Fix: " in message


def test_contract_column_missing_from_header(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n1,a\n")
    message = error_of(path, contract(tmp_path, "columns: {order_total: {type: double}}"))
    assert message.startswith(
        "data/raw/orders.csv, line 1: the contract column 'order_total' is not in the header"
    )
    assert "orders.contract.yaml" in message


# --- names -------------------------------------------------------------------------------------


def test_duplicate_accented_and_empty_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,name,Café Crème,,Prix (€)\n1,2,3,4,5\n")
    plan, table, _ = load(path)
    assert [c.name for c in plan.columns] == ["name", "name_2", "cafe_creme", "column_4", "prix"]
    assert [c.source_name for c in plan.columns] == ["Name", "name", "Café Crème", "", "Prix (€)"]
    assert table.num_rows == 1


def test_injection_header(tmp_path: Path) -> None:
    path = write(tmp_path, '"id""; DROP TABLE x; --",select\n1,2\n')
    plan, _, _ = load(path)
    assert [c.name for c in plan.columns] == ["id_drop_table_x", "select_"]
    assert plan.columns[0].source_name == 'id"; DROP TABLE x; --'


# --- size --------------------------------------------------------------------------------------


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
    monkeypatch.setattr(extract, "_INITIAL_BLOCK_SIZE", 1 << 20)
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


@pytest.mark.parametrize(("threads", "ragged"), [(False, True), (True, True), (False, False)])
def test_exact_lines_across_many_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: bool, ragged: bool
) -> None:
    """Type errors and ragged rows between quoted line breaks and blank lines, 4 KB blocks."""
    monkeypatch.setattr(extract, "_INITIAL_BLOCK_SIZE", 4096)
    monkeypatch.setattr(extract, "_PASS1_THREADS", threads)
    lines = ["id,note,qty"]
    expected: list[tuple[int, str]] = []
    good = 0
    for i in range(3000):
        line_no = len(lines) + 1
        if i % 97 == 0:
            lines.append(f"{i},bad,notanumber")
            expected.append((line_no, "column qty: 'notanumber' is not an integer"))
        elif ragged and i % 89 == 0:
            lines.append(f"{i},too,many,fields")
            expected.append((line_no, "expected 3 fields, found 4"))
        elif i % 13 == 0:
            lines.append(f'{i},"two\nlines",{i}')
            good += 1
        elif i % 7 == 0:
            lines.append("")  # blank line, not a row
            lines.append(f"{i},plain,{i}")
            good += 1
        else:
            lines.append(f"{i},plain,{i}")
            good += 1
    text = "\n".join(lines) + "\n"
    # Physical line numbers account for the embedded line breaks: recompute them.
    physical: list[tuple[int, str]] = []
    offset = 0
    for idx, line in enumerate(lines, start=1):
        for line_no, reason in expected:
            if line_no == idx:
                physical.append((idx + offset, reason))
        offset += line.count("\n")
    path = write(tmp_path, text)
    c = contract(tmp_path, "columns: {qty: bigint}\nmax_reject_ratio: 1")
    plan, table, rejects = load(path, c, batch_rows=100)
    assert plan.block_size == 4096
    assert plan.multiline
    assert plan.irregular_lines is ragged
    assert table.num_rows == good
    assert [(r.line, r.reason) for r in rejects] == physical
    for r in rejects:
        assert text.split("\n")[r.line - 1].startswith(r.raw.split(",")[0] + ",")


# --- inference on files ----------------------------------------------------------------------


def test_all_null_column_is_varchar(tmp_path: Path) -> None:
    plan, table, _ = load(write(tmp_path, "id,empty\n1,\n2,\n"))
    assert types(plan)["empty"] == VARCHAR
    assert table.column("empty").to_pylist() == [None, None]


def test_mixed_types_are_varchar_without_rejects(tmp_path: Path) -> None:
    plan, table, rejects = load(write(tmp_path, "v\n1\n2.5\nabc\n2026-01-01\ntrue\n"))
    assert types(plan)["v"] == VARCHAR
    assert rejects == []
    assert table.column("v").to_pylist() == ["1", "2.5", "abc", "2026-01-01", "true"]


def test_mixed_date_formats_without_contract_are_text(tmp_path: Path) -> None:
    path = write(tmp_path, "id,day\n1,2026-01-03\n2,03/01/2026\n3,2026/01/03\n")
    plan, table, rejects = load(path)
    assert types(plan)["day"] == VARCHAR
    assert plan.partition == []
    assert rejects == []
    assert table.column("day").to_pylist() == ["2026-01-03", "03/01/2026", "2026/01/03"]


def test_date_format_from_contract(tmp_path: Path) -> None:
    path = write(tmp_path, "id,day\n1,03/01/2026\n2,2026-01-03\n3,31/01/2026\n4,31/02/2026\n")
    c = contract(tmp_path, 'columns: {day: {type: date, format: "%d/%m/%Y"}}\nmax_reject_ratio: 1')
    plan, table, rejects = load(path, c)
    assert types(plan)["day"] == DATE
    assert plan.partition == ["month(day)"]
    assert table.column("day").to_pylist() == [dt.date(2026, 1, 3), dt.date(2026, 1, 31)]
    assert [(r.line, r.raw, r.reason) for r in rejects] == [
        (
            3,
            "2,2026-01-03",
            "column day: '2026-01-03' does not match the format %d/%m/%Y (DD/MM/YYYY)",
        ),
        (
            5,
            "4,31/02/2026",
            "column day: '31/02/2026' does not match the format %d/%m/%Y (DD/MM/YYYY)",
        ),
    ]


def test_thousands_separator_with_contract(tmp_path: Path) -> None:
    text = "id;amount\n1;1,234.50\n2;12.00\n3;1,234,567.25\n"
    plan, _, _ = load(write(tmp_path, text))
    assert types(plan)["amount"] == VARCHAR
    c = contract(tmp_path, 'thousands_separator: ","\ncolumns: {amount: "decimal(12,2)"}')
    plan, table, rejects = load(write(tmp_path, text), c)
    assert table.column("amount").to_pylist() == [
        Decimal("1234.50"),
        Decimal("12.00"),
        Decimal("1234567.25"),
    ]
    assert rejects == []
    # inferred columns use the separator too
    c = contract(tmp_path, 'thousands_separator: ","')
    plan, table, _ = load(write(tmp_path, text), c)
    assert types(plan)["amount"] == ColumnType("decimal", 9, 2)


def test_thousands_separator_equal_to_delimiter_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, 'id,amount\n1,"1,234"\n')
    message = error_of(path, contract(tmp_path, 'thousands_separator: ","'))
    assert message == (
        "data/raw/orders.csv: the thousands separator ',' is also the delimiter. "
        "Fix: remove thousands_separator from data/raw/orders.contract.yaml or use another "
        "delimiter."
    )
    path = write(tmp_path, "id;amount\n1;1.234,5\n", "semi.csv")
    c = contract(tmp_path, 'thousands_separator: "."\ndecimal_separator: ","', "semi")
    _, table, _ = load(path, c)
    assert table.column("amount").to_pylist() == [Decimal("1234.5")]


def test_required_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "order_id,customer,qty\n1,Ana,2\n,Bo,3\n3,,4\n4,Cy,\n")
    c = contract(
        tmp_path,
        "columns:\n  order_id: {type: bigint, required: true}\n"
        "  Customer: {required: true}\n  qty: {type: bigint}\nmax_reject_ratio: 1",
    )
    plan, table, rejects = load(path, c)
    assert [col.required for col in plan.columns] == [True, True, False]
    assert table.column("order_id").to_pylist() == [1, 4]
    assert table.column("qty").to_pylist() == [2, None]
    assert [(r.line, r.reason) for r in rejects] == [
        (3, "column order_id is required but empty"),
        (4, "column customer is required but empty"),
    ]


def test_contract_types_win_and_reject_what_does_not_fit(tmp_path: Path) -> None:
    path = write(
        tmp_path, "id,price,flag,at\n1,1.5,yes,2026-01-03T10:00:00+02:00\nx,1.234,maybe,soon\n"
    )
    c = contract(
        tmp_path,
        "columns:\n  id: bigint\n  price: decimal(5,2)\n  flag: boolean\n  at: timestamp\n"
        "max_reject_ratio: 1",
    )
    _, table, rejects = load(path, c)
    assert table.to_pylist() == [
        {"id": 1, "price": Decimal("1.50"), "flag": True, "at": dt.datetime(2026, 1, 3, 8, 0)}
    ]
    assert len(rejects) == 1
    assert rejects[0].line == 3
    assert rejects[0].reason == (
        "column id: 'x' is not an integer; column price: '1.234' does not fit decimal(5,2); "
        "column flag: 'maybe' is not a boolean (true/false/t/f/yes/no/y/n/1/0); "
        "column at: 'soon' is not a timestamp in the format YYYY-MM-DD HH:MM:SS"
    )


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


def test_contract_partition(tmp_path: Path) -> None:
    path = write(tmp_path, "Order Date,Region\n2026-01-03,eu\n")
    plan, _, _ = load(path, contract(tmp_path, 'partition: ["day(order_date)", "Region"]'))
    assert plan.partition == ["day(order_date)", "region"]
    message = error_of(path, contract(tmp_path, 'partition: ["month(region)"]'))
    assert "needs a date or timestamp column, but region is varchar" in message
    plan, _, _ = load(path, contract(tmp_path, "partition: []"))
    assert plan.partition == []


def test_file_changed_between_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n1\n")
    plan = plan_file(path)
    path.write_text("a\n1\n2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="the file changed after it was planned"):
        list(read_batches(plan))


def test_header_without_line_end_and_no_rows(tmp_path: Path) -> None:
    plan, table, rejects = load(write(tmp_path, "\ufeffa,b"))
    assert (plan.data_rows, table.num_rows, rejects) == (0, 0, [])
    assert [c.name for c in plan.columns] == ["a", "b"]


def test_last_line_without_line_end_and_leading_blank_lines(tmp_path: Path) -> None:
    c = contract(tmp_path, "columns: {b: bigint}\nmax_reject_ratio: 1")
    plan, table, rejects = load(write(tmp_path, "\n\na,b\n1,2\n3,x"), c)
    assert plan.header_lines == 3
    assert table.to_pylist() == [{"a": 1, "b": 2}]
    assert rejects == [Reject(5, "3,x", "column b: 'x' is not an integer")]


def test_old_mac_line_ends(tmp_path: Path) -> None:
    c = contract(tmp_path, "columns: {b: bigint}\nmax_reject_ratio: 1")
    _, table, rejects = load(write(tmp_path, "a,b\r1,2\r3,x\r"), c)
    assert table.column("b").to_pylist() == [2]
    assert [r.line for r in rejects] == [3]


def test_one_column_file_with_blank_and_whitespace_lines(tmp_path: Path) -> None:
    plan, table, _ = load(write(tmp_path, "n\n1\n\n2\n   \n3\n"))
    assert plan.data_rows == 3
    assert types(plan) == {"n": BIGINT}
    assert table.column("n").to_pylist() == [1, 2, 3]


def test_inferred_columns_never_reject(tmp_path: Path) -> None:
    text = (
        "i,d,t,b\n"
        " 1 ,.5,2026-01-03T10,true\n"
        "+2,-.5,2026-01-03 10:00:00.5,TRUE\n"
        "-0,5.,2026-01-03,False\n"
        ",,,\n"
        "3,1.25,2026-01-04T10:00:00.1234567,tRuE\n"
    )
    plan, table, rejects = load(write(tmp_path, text))
    assert types(plan) == {
        "i": BIGINT,
        "d": ColumnType("decimal", 3, 2),
        "t": ColumnType("timestamp"),
        "b": ColumnType("boolean"),
    }
    assert rejects == []
    assert plan.data_rows == 4
    assert table.column("i").to_pylist() == [1, 2, 0, 3]
    assert table.column("b").to_pylist() == [True, True, False, True]
    assert table.column("t").to_pylist()[3] == dt.datetime(2026, 1, 4, 10, 0, 0, 123456)


def test_a_bare_quote_inside_a_header_is_a_literal_character(tmp_path: Path) -> None:
    path = tmp_path / "injection.csv"
    path.write_text('id"; DROP TABLE sales; --,value\n1,2\n')
    plan = plan_file(path)
    assert [c.name for c in plan.columns] == ["id_drop_table_sales", "value"]
    batches = list(read_batches(plan))
    assert sum(b.accepted.num_rows for b in batches) == 1


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
    monkeypatch.setattr(extract, "_INITIAL_BLOCK_SIZE", 4096)
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
    monkeypatch.setattr(extract, "_INITIAL_BLOCK_SIZE", 4096)
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
