"""Pass 1's scan: rows longer than a block, a quote that is never closed."""

from __future__ import annotations

from pathlib import Path

import pytest
from loads import contract, error_of, load, write

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
        Reject(
            2 + 3 * 1024 * 1024 + 2, "bad,row", "column id: 'bad' is not an integer", "id", "bad"
        )
    ]


@pytest.mark.usefixtures("first_block_size")
def test_a_first_data_row_of_2_mb(tmp_path: Path) -> None:
    blob = "z," * (1 << 20)  # 2 MB of delimiters, quoted
    text = f'id,blob,qty\n1,"{blob}",3\n2,small,x\n'
    c = contract(tmp_path, "columns: {qty: bigint}\nmax_reject_ratio: 1")
    plan, table, rejects = load(write(tmp_path, text), c)
    assert table.to_pylist() == [{"id": 1, "blob": blob, "qty": 3}]
    assert rejects == [Reject(3, "2,small,x", "column qty: 'x' is not an integer", "qty", "x")]
    assert plan.block_size > len(blob)


# --- a quote that is never closed ------------------------------------------------------------

NEVER_CLOSED = (
    "a quote opened here is never closed: every line after it would be one value. "
    'Fix: close the quoted value; a quote inside a value is written twice ("").'
)


def _rows(first: int, last: int, end: str = "\n") -> str:
    return "".join(f"{i},n{i},{i}{end}" for i in range(first, last + 1))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(
            "id,note,qty\n" + _rows(1, 5) + '6,x,"7\n' + _rows(7, 9),
            7,
            id="in the last column: the value swallows the rest",
        ),
        pytest.param(
            "id,note,qty\n" + _rows(1, 5) + '6,"x,7\n' + _rows(7, 9),
            7,
            id="in another column: a row of too few fields swallows the rest",
        ),
        pytest.param(
            'id,note,qty\r\n1,"a\r\nb",1\r\n\r\n2,"c\r\n\r\nd",2\r\n3,x,"3\r\n'
            + _rows(4, 5, "\r\n"),
            8,
            id="after blank lines and values with line breaks, CRLF",
        ),
        pytest.param(
            "id,note,qty\n" + _rows(1, 3) + '4,x,"4', 5, id="on the last line, no line end"
        ),
        pytest.param("id,note,qty\n" + _rows(1, 3) + '4,x,"', 5, id="the last character"),
        pytest.param(
            "id,note,qty\n" + _rows(1, 3) + '4,x,"""', 5, id="a doubled quote in it at the end"
        ),
        pytest.param('name\nAna\n"Bo\nCy\n', 3, id="one column"),
        pytest.param(
            "id,note,qty\n" + _rows(1, 9000) + '9001,"x,9001\n' + _rows(9002, 9100),
            9002,
            id="far beyond the first block",
        ),
    ],
)
@pytest.mark.usefixtures("first_block_size")
def test_a_quote_never_closed_is_refused_with_its_line(
    tmp_path: Path, text: str, line: int
) -> None:
    message = error_of(write(tmp_path, text))
    assert message == f"data/raw/orders.csv, line {line}: {NEVER_CLOSED}"


def test_a_quote_never_closed_with_a_contract(tmp_path: Path) -> None:
    text = 'id;note\n1;caf\xe9\n2;"caf\xe9\n3;x\n'
    path = write(tmp_path, text.encode("latin-1"))
    c = contract(tmp_path, "encoding: latin-1\ncolumns: {id: bigint}\nmax_reject_ratio: 0")
    assert error_of(path, c) == f"data/raw/orders.csv, line 3: {NEVER_CLOSED}"


@pytest.mark.parametrize(
    ("end", "value"),
    [
        ('"multi\nline"\n', "multi\nline"),
        ('"ends with a line break\n"', "ends with a line break\n"),
        ('"say ""hi"""\n', 'say "hi"'),
        ('"x""\n"\n\n\n', 'x"\n'),
        ('""', None),
        ('""""', '"'),
        ('"a,""b"""', 'a,"b"'),
        ("plain", "plain"),
    ],
)
def test_quoted_values_closed_at_the_end_of_the_file_load(
    tmp_path: Path, end: str, value: str | None
) -> None:
    text = 'id,note\n1,"two\nlines"\n2,' + end
    _, table, rejects = load(write(tmp_path, text))
    assert rejects == []
    assert table.column("note").to_pylist() == ["two\nlines", value]
