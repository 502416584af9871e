"""Column name normalization."""

from __future__ import annotations

import pytest

from lakehouse_loader.names import MAX_NAME_LENGTH, normalize_headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Unit Price", "unit_price"),
        ("  Order ID  ", "order_id"),
        ("Café Crème", "cafe_creme"),
        ("Straße", "strasse"),
        ("Ñandú", "nandu"),
        ("amount (€)", "amount"),
        ("a--b__c", "a_b_c"),
        ("2024 sales", "c_2024_sales"),
        ("7", "c_7"),
        ("SELECT", "select_"),
        ("from", "from_"),
        ("Table", "table_"),
        ("order", "order_"),
        ("group", "group_"),
        ("date", "date"),  # not reserved in Trino
        ("_source_file", "source_file"),
        ("__x__", "x"),
        ('id"; DROP TABLE x; --', "id_drop_table_x"),
        ("\ufeffid", "id"),
    ],
)
def test_single_header(header: str, expected: str) -> None:
    assert normalize_headers([header]) == [expected]


def test_empty_headers_are_named_by_position() -> None:
    assert normalize_headers(["a", "", "   ", "€€"]) == ["a", "column_2", "column_3", "column_4"]


def test_duplicates_get_numbered_suffixes() -> None:
    assert normalize_headers(["Name", "name", "NAME ", "n-a-m-e"]) == [
        "name",
        "name_2",
        "name_3",
        "n_a_m_e",
    ]


def test_suffix_never_steals_a_name_in_the_file() -> None:
    assert normalize_headers(["a", "a", "a_2"]) == ["a", "a_3", "a_2"]


def test_names_are_at_most_128_chars_also_with_suffix() -> None:
    long = "x" * 300
    names = normalize_headers([long, long])
    assert names[0] == "x" * MAX_NAME_LENGTH
    assert len(names[1]) == MAX_NAME_LENGTH
    assert names[1].endswith("_2")


def test_never_starts_with_underscore_or_digit() -> None:
    for name in normalize_headers(["_a", "1", "-", "__", "9lives"]):
        assert not name.startswith("_")
        assert not name[0].isdigit()
