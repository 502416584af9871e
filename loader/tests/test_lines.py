"""Physical line numbers of rejects: line ends, quoted line breaks, blank lines, blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from loads import BIGINT, VARCHAR, contract, load, types, write

from lakehouse_loader import scan
from lakehouse_loader.rejects import Reject

pytestmark = pytest.mark.usefixtures("reads")


def test_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "id,city\r\n1,Paris\r\n2,Lyon\r\n\r\n")
    plan, table, rejects = load(path)
    assert types(plan) == {"id": BIGINT, "city": VARCHAR}
    assert table.column("city").to_pylist() == ["Paris", "Lyon"]
    assert rejects == []


def test_old_mac_line_ends(tmp_path: Path) -> None:
    c = contract(tmp_path, "columns: {b: bigint}\nmax_reject_ratio: 1")
    _, table, rejects = load(write(tmp_path, "a,b\r1,2\r3,x\r"), c)
    assert table.column("b").to_pylist() == [2]
    assert [r.line for r in rejects] == [3]


def test_last_line_without_line_end_and_leading_blank_lines(tmp_path: Path) -> None:
    c = contract(tmp_path, "columns: {b: bigint}\nmax_reject_ratio: 1")
    plan, table, rejects = load(write(tmp_path, "\n\na,b\n1,2\n3,x"), c)
    assert plan.header_lines == 3
    assert table.to_pylist() == [{"a": 1, "b": 2}]
    assert rejects == [Reject(5, "3,x", "column b: 'x' is not an integer", "b", "x")]


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


@pytest.mark.parametrize(("threads", "ragged"), [(False, True), (True, True), (False, False)])
def test_exact_lines_across_many_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: bool, ragged: bool
) -> None:
    """Type errors and ragged rows between quoted line breaks and blank lines, 4 KB blocks."""
    monkeypatch.setattr(scan, "INITIAL_BLOCK_SIZE", 4096)
    monkeypatch.setattr(scan, "_PASS1_THREADS", threads)
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
