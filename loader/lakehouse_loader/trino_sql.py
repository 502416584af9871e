"""Trino access for the pipeline: one connection, identifiers always quoted.

Values go through the driver's parameter binding (`?`), never into the SQL text;
identifiers cannot be parameters, so they are sanitised upstream and quoted here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from .config import PipelineConfig

# Errors of a server not ready to run queries yet, raised before a statement runs, so it
# is sent again: a restarted Trino reports itself started as it announces itself to its
# own discovery service, and until it has seen that announcement it knows no node to run
# on (NO_NODES_AVAILABLE), a few seconds at most. The CLI's client does the same.
NOT_READY = frozenset({"NO_NODES_AVAILABLE", "SERVER_STARTING_UP"})
NOT_READY_WAIT_S = 30.0


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
        from trino.exceptions import TrinoQueryError

        deadline = time.monotonic() + NOT_READY_WAIT_S
        pause = 0.25
        while True:
            cursor = self._conn.cursor()
            try:
                cursor.execute(sql, list(params) if params is not None else None)
                return [list(row) for row in cursor.fetchall()]
            except TrinoQueryError as error:
                if error.error_name not in NOT_READY or time.monotonic() + pause > deadline:
                    raise
            finally:
                cursor.close()
            time.sleep(pause)
            pause = min(pause * 2, 4.0)

    def table_exists(self, name: str) -> bool:
        rows = self.query(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = ? AND table_name = ?",
            [self.schema, name],
        )
        return bool(rows[0][0])
