"""The one error type of the ingestion stages: a file that cannot be loaded, and how to fix it."""

from __future__ import annotations

__all__ = ["IngestError"]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


class IngestError(Exception):
    """A file that cannot be loaded.

    ``str()`` reads like
    ``data/raw/orders.csv, line 1, column 3 ('Unit Price'): <what is wrong>. Fix: <what to do>.``
    where the parts that do not apply are left out.

    ``retry``: the file is not the cause (the loader's disk was full, say), so it is worth
    loading again as it is once the fix is made: the ledger records the attempt as failed,
    which the drop zone's watch tries again, not as rejected.
    """

    def __init__(
        self,
        file: str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
        fix: str | None = None,
        retry: bool = False,
    ) -> None:
        self.file = file
        self.message = message
        self.line = line
        self.column = column
        self.fix = fix
        self.retry = retry
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        text = f"{where}: {_sentence(self.message)}"
        if self.fix:
            text += f" Fix: {_sentence(self.fix)}"
        return text

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the keyword-only arguments when the error crosses a process boundary
        # (Airflow runs tasks in worker processes).
        return (
            _rebuild,
            (self.file, self.message, self.line, self.column, self.fix, self.retry),
        )


def _rebuild(
    file: str,
    message: str,
    line: int | None,
    column: str | None,
    fix: str | None,
    retry: bool = False,
) -> IngestError:
    return IngestError(file, message, line=line, column=column, fix=fix, retry=retry)
