"""Column names that are safe, stable SQL identifiers for Trino and Iceberg."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_NAME_LENGTH", "TRINO_RESERVED_WORDS", "normalize_header", "normalize_headers"]

#: Longest column name produced.
MAX_NAME_LENGTH = 128

#: Trino's reserved keywords (https://trino.io/docs/current/language/reserved.html). A column
#: named like one of them would need quoting in every query, so it gets a "_" suffix.
TRINO_RESERVED_WORDS = frozenset(
    [
        "alter",
        "and",
        "as",
        "auto",
        "between",
        "by",
        "case",
        "cast",
        "constraint",
        "create",
        "cross",
        "cube",
        "current_catalog",
        "current_date",
        "current_path",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "deallocate",
        "delete",
        "describe",
        "distinct",
        "drop",
        "else",
        "end",
        "escape",
        "except",
        "execute",
        "exists",
        "extract",
        "false",
        "for",
        "from",
        "full",
        "group",
        "grouping",
        "having",
        "in",
        "inner",
        "insert",
        "intersect",
        "into",
        "is",
        "join",
        "json_array",
        "json_exists",
        "json_object",
        "json_query",
        "json_table",
        "json_value",
        "left",
        "like",
        "listagg",
        "localtime",
        "localtimestamp",
        "natural",
        "normalize",
        "not",
        "null",
        "on",
        "or",
        "order",
        "outer",
        "prepare",
        "recursive",
        "right",
        "rollup",
        "select",
        "skip",
        "table",
        "then",
        "trim",
        "true",
        "uescape",
        "union",
        "unnest",
        "using",
        "values",
        "when",
        "where",
        "with",
    ]
)

# Letters that Unicode does not decompose into an ASCII base letter.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ł": "l",
        "Ł": "L",
        "\u0131": "i",  # dotless i
    }
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def normalize_header(header: str, position: int) -> str:
    """Normalize one header; ``position`` is 1-based and names an empty header.

    Lowercase snake_case ASCII: accents stripped, every run of other
    characters becomes one "_", trimmed at both ends. A leading digit gets the prefix "c_",
    a Trino reserved word the suffix "_", an empty result becomes ``column_<position>``.
    """
    text = _ascii_fold(header.replace("\ufeff", "").strip())
    name = _NON_ALNUM.sub("_", text.lower()).strip("_")
    if not name:
        return f"column_{position}"
    if name[0].isdigit():
        name = "c_" + name
    name = name[:MAX_NAME_LENGTH].rstrip("_")
    if name in TRINO_RESERVED_WORDS:
        name += "_"
    return name


def normalize_headers(headers: list[str]) -> list[str]:
    """Normalize a header row into unique column names (see :func:`normalize_header`).

    Names that collide after normalization get "_2", "_3"... in order of appearance, never
    taking a name another column already has. No name starts with "_" (reserved for lineage
    columns such as ``_source_file``) and none is longer than 128 characters.
    """
    bases = [normalize_header(h, i) for i, h in enumerate(headers, start=1)]
    taken: set[str] = set()
    wanted = set(bases)
    result: list[str] = []
    for base in bases:
        name = base
        n = 1
        # A suffixed name must not take the name another column has in the file itself.
        while name in taken or (n > 1 and name in wanted):
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_NAME_LENGTH - len(suffix)] + suffix
        taken.add(name)
        result.append(name)
    return result
