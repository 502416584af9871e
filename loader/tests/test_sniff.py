"""Sniffing: encodings, delimiters, headers and the files that cannot be loaded at all."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from loads import BIGINT, VARCHAR, contract, error_of, load, types, write

from lakehouse_loader import sniff
from lakehouse_loader.plan import plan_file
from lakehouse_loader.read import read_batches
from lakehouse_loader.types import ColumnType

pytestmark = pytest.mark.usefixtures("reads")


# --- encodings -----------------------------------------------------------------------------


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfid,name\n1,Zo\xc3\xab\n")
    plan, table, _ = load(path)
    assert [c.source_name for c in plan.columns] == ["id", "name"]
    assert table.to_pylist() == [{"id": 1, "name": "Zoë"}]


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


# --- delimiters ----------------------------------------------------------------------------


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


# --- unusable files ------------------------------------------------------------------------


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


# --- headers and names ---------------------------------------------------------------------


def test_contract_column_missing_from_header(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n1,a\n")
    message = error_of(path, contract(tmp_path, "columns: {order_total: {type: double}}"))
    assert message.startswith(
        "data/raw/orders.csv, line 1: the contract column 'order_total' is not in the header"
    )
    assert "orders.contract.yaml" in message


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


def test_header_without_line_end_and_no_rows(tmp_path: Path) -> None:
    plan, table, rejects = load(write(tmp_path, "\ufeffa,b"))
    assert (plan.data_rows, table.num_rows, rejects) == (0, 0, [])
    assert [c.name for c in plan.columns] == ["a", "b"]


def test_a_bare_quote_inside_a_header_is_a_literal_character(tmp_path: Path) -> None:
    path = tmp_path / "injection.csv"
    path.write_text('id"; DROP TABLE sales; --,value\n1,2\n')
    plan = plan_file(path)
    assert [c.name for c in plan.columns] == ["id_drop_table_sales", "value"]
    batches = list(read_batches(plan))
    assert sum(b.accepted.num_rows for b in batches) == 1


# --- long first lines --------------------------------------------------------------------------
# The header is found in the first megabyte, read again with more while its line goes on;
# pyarrow's blocks grow for a header or row longer than a block (see test_scan).

MB = 1 << 20


def test_a_header_only_file_of_one_2mb_line(tmp_path: Path) -> None:
    headers = [f"measurement_{i:05d}_{'m' * 90}" for i in range(20_000)]  # 20,000 columns
    text = ",".join(headers) + "\n"
    assert len(text) > 2 * MB
    plan, table, rejects = load(write(tmp_path, text))
    assert [c.source_name for c in plan.columns] == headers
    assert [c.name for c in plan.columns] == headers
    assert (plan.data_rows, table.num_rows, rejects) == (0, 0, [])
    assert set(types(plan).values()) == {VARCHAR}


def test_a_header_only_file_of_one_2mb_name(tmp_path: Path) -> None:
    name = "n" * (2 * MB)
    plan, table, _ = load(write(tmp_path, f"id,{name}"))
    assert [c.source_name for c in plan.columns] == ["id", name]
    assert [c.name for c in plan.columns] == ["id", "n" * 128]
    assert (plan.data_rows, table.num_rows) == (0, 0)


@pytest.mark.usefixtures("first_block_size")
def test_a_header_of_1_5_mb_and_a_few_rows(tmp_path: Path) -> None:
    long_name = "Remarks " + "r" * (3 * MB // 2)
    text = f"id;amount;{long_name}\n1;2.50;a\n2;-3;{'b' * (MB // 4)}\n3;4;\n"
    plan, table, rejects = load(write(tmp_path, text))
    assert plan.delimiter == ";"
    assert plan.columns[2].source_name == long_name
    assert plan.columns[2].name == ("remarks_" + "r" * 120)
    assert types(plan) == {
        "id": BIGINT,
        "amount": ColumnType("decimal", 3, 2),
        plan.columns[2].name: VARCHAR,
    }
    assert rejects == []
    assert table.to_pylist() == [
        {"id": 1, "amount": Decimal("2.50"), plan.columns[2].name: "a"},
        {"id": 2, "amount": Decimal("-3.00"), plan.columns[2].name: "b" * (MB // 4)},
        {"id": 3, "amount": Decimal("4.00"), plan.columns[2].name: None},
    ]
    assert plan.block_size > len(text.split("\n")[0])


def test_a_header_line_longer_than_any_header_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sniff, "_SAMPLE_BYTES", 64 << 10)
    monkeypatch.setattr(sniff, "_MAX_SAMPLE_BYTES", MB)
    path = write(tmp_path, "\n\n" + "x" * (2 * MB) + "\n1\n")
    assert error_of(path) == (
        "data/raw/orders.csv, line 3: the header line is longer than 1 MB: this is no CSV "
        "header. Fix: export the file again as delimited text whose first line names the "
        "columns."
    )
    path = write(tmp_path, '"id\n' + "x," * MB + "\n", "quoted.csv")
    assert error_of(path).startswith(
        "data/raw/quoted.csv, line 1: the header has an unclosed quote (or is longer than 1 MB)"
    )


def test_a_header_with_an_unclosed_quote(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, 'id,"name\n1,2\n'))
    assert message == (
        "data/raw/orders.csv, line 1: the header has an unclosed quote. "
        "Fix: close the quoted header name."
    )
