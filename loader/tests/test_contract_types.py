"""Column types and contract files."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyarrow as pa
import pytest

from lakehouse_loader.contract import (
    DEFAULT_MAX_REJECT_RATIO,
    ColumnRule,
    contract_path_for,
    load_contract,
)
from lakehouse_loader.errors import IngestError
from lakehouse_loader.types import ColumnType, parse_type


@pytest.mark.parametrize(
    ("ctype", "arrow", "trino"),
    [
        (ColumnType("boolean"), pa.bool_(), "boolean"),
        (ColumnType("bigint"), pa.int64(), "bigint"),
        (ColumnType("decimal", 12, 2), pa.decimal128(12, 2), "decimal(12,2)"),
        (ColumnType("double"), pa.float64(), "double"),
        (ColumnType("date"), pa.date32(), "date"),
        (ColumnType("timestamp"), pa.timestamp("us"), "timestamp(6)"),
        (ColumnType("varchar"), pa.string(), "varchar"),
    ],
)
def test_type_mapping(ctype: ColumnType, arrow: pa.DataType, trino: str) -> None:
    assert ctype.arrow() == arrow
    assert ctype.trino() == trino


def test_parse_type() -> None:
    assert parse_type("decimal(12, 2)") == ColumnType("decimal", 12, 2)
    assert parse_type(" BIGINT ") == ColumnType("bigint")
    assert parse_type("timestamp(6)") == ColumnType("timestamp")
    with pytest.raises(ValueError, match="unknown type"):
        parse_type("int")
    with pytest.raises(ValueError, match="precision"):
        parse_type("decimal(40,2)")


def test_error_text_reads_like_a_sentence() -> None:
    err = IngestError(
        "data/raw/orders.csv",
        "'abc' is not a number",
        line=1,
        column="3 ('Unit Price')",
        fix="correct the value",
    )
    assert str(err) == (
        "data/raw/orders.csv, line 1, column 3 ('Unit Price'): 'abc' is not a number. "
        "Fix: correct the value."
    )
    assert str(IngestError("f.csv", "the file is empty.")) == "f.csv: the file is empty."
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == str(err)
    assert copy.line == 1


def test_contract_path_for(tmp_path: Path) -> None:
    assert contract_path_for(tmp_path / "orders.csv") == tmp_path / "orders.contract.yaml"
    folder = tmp_path / "orders"
    folder.mkdir()
    assert contract_path_for(folder) == tmp_path / "orders.contract.yaml"


def test_missing_contract_is_none(tmp_path: Path) -> None:
    assert load_contract(tmp_path / "nope.contract.yaml") is None


def test_full_contract(tmp_path: Path) -> None:
    path = tmp_path / "orders.contract.yaml"
    path.write_text(
        """
columns:
  order_id: {type: bigint, required: true}
  Unit Price: {type: "decimal(12,2)"}
  order_date: {type: date, format: "%d/%m/%Y"}
  note: varchar
partition: ["month(order_date)"]
encoding: latin1
delimiter: tab
max_reject_ratio: 0.1
require_rows: true
thousands_separator: "."
decimal_separator: ","
""",
        encoding="utf-8",
    )
    c = load_contract(path)
    assert c is not None
    assert c.columns["order_id"] == ColumnRule("order_id", ColumnType("bigint"), True, None)
    assert c.columns["Unit Price"].type == ColumnType("decimal", 12, 2)
    assert c.columns["order_date"].format == "%d/%m/%Y"
    assert c.columns["note"].type == ColumnType("varchar")
    assert c.partition == ["month(order_date)"]
    assert (c.encoding, c.delimiter) == ("latin-1", "\t")
    assert c.max_reject_ratio == 0.1
    assert c.require_rows is True
    assert (c.thousands_separator, c.decimal_separator) == (".", ",")


def test_empty_contract_has_defaults(tmp_path: Path) -> None:
    path = tmp_path / "t.contract.yaml"
    path.write_text("", encoding="utf-8")
    c = load_contract(path)
    assert c is not None
    assert c.columns == {}
    assert c.partition is None
    assert c.max_reject_ratio == DEFAULT_MAX_REJECT_RATIO
    assert c.require_rows is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: [a, b]", "'columns' must map column names"),
        ("colums: {}", "unknown contract setting 'colums'"),
        ("columns: {a: {type: int}}", "column 'a': unknown type 'int'"),
        ("columns: {a: {type: bigint, nullable: true}}", "unknown setting 'nullable'"),
        ("columns: {a: {type: bigint, format: '%Y'}}", "format applies to date and timestamp"),
        ("encoding: utf-16", "unsupported encoding"),
        ("delimiter: '::'", "must be one character"),
        ("max_reject_ratio: 5", "from 0 to 1"),
        ("require_rows: maybe", "require_rows must be true or false"),
        ("partition: ['month(a b)']", "is not a column or a transform"),
        ("thousands_separator: ','\ndecimal_separator: ','", "are the same character"),
        ("thousands_separator: ';'\ndelimiter: ';'", "is also the delimiter"),
        ("columns: {a: [1, 2", "not valid YAML"),
    ],
)
def test_invalid_contract(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.contract.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match="Fix: ") as info:
        load_contract(path)
    assert message in str(info.value)
    assert str(info.value).startswith(path.as_posix())
