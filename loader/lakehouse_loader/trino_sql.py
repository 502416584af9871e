"""Trino access for the pipeline: one connection, identifiers always quoted.

Values go through the driver's parameter binding (`?`), never into the SQL text;
identifiers cannot be parameters, so they are sanitised upstream and quoted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from .config import PipelineConfig


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Trino:
    def __init__(self, config: PipelineConfig) -> None:
        import trino.dbapi  # heavy: imported only when a load runs

        url = urlparse(config.trino_url)
        self.catalog = config.catalog
        self.schema = config.schema
        # The driver ships without type hints.
        self._conn = trino.dbapi.connect(  # type: ignore[no-untyped-call]
            host=url.hostname or "127.0.0.1",
            port=url.port or 8080,
            http_scheme=url.scheme or "http",
            user="lakehouse-pipeline",
            catalog=config.catalog,
            schema=config.schema,
        )

    def table(self, name: str) -> str:
        return f"{quote(self.catalog)}.{quote(self.schema)}.{quote(name)}"

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[list[Any]]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, list(params) if params is not None else None)
            return [list(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def table_exists(self, name: str) -> bool:
        rows = self.query(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = ? AND table_name = ?",
            [self.schema, name],
        )
        return bool(rows[0][0])
