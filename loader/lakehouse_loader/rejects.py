"""Rejects: the rows that are not loaded, and how many of them a file may have.

A row is rejected, never silently changed, when it does not fit (``validate`` decides
which and why); it goes to the table's ``<table>__rejects`` with its line, raw text and
reason, and the column and value at fault (the first, when several are). Too many rejects
fail the whole file (``max_reject_ratio``): a file that mostly does not fit its contract
is a wrong file, not a file with a few bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import IngestError

if TYPE_CHECKING:
    from .contract import Contract
    from .plan import FilePlan

__all__ = ["Reject", "RejectBudget", "reject_ratio"]


@dataclass(frozen=True)
class Reject:
    """A row that was not loaded."""

    line: int  # physical 1-based line number in the file where the row starts
    raw: str  # the raw text of the row (type errors: the fields re-joined with the delimiter)
    reason: str  # e.g. "column quantity: 'abc' is not an integer"
    # The (first) column whose value does not fit, and that value (None when empty, or for a
    # row with the wrong number of fields).
    column: str | None = None
    value: str | None = None


def reject_ratio(
    plan: FilePlan, contract: Contract | None, max_reject_ratio: float | None
) -> float | None:
    """The ratio asked for, else the contract's, else the plan's."""
    if max_reject_ratio is not None:
        return max_reject_ratio
    return contract.max_reject_ratio if contract else plan.max_reject_ratio


class RejectBudget:
    """Fails the read once the rejects exceed `ratio` of the file's data rows. While they
    are not known yet (one read for a provisional plan), it fails against their upper
    bound, the physical lines: a verdict that can only hold once they are."""

    def __init__(self, name: str, contract_ref: str, ratio: float | None) -> None:
        self.name, self.contract_ref, self.ratio = name, contract_ref, ratio
        self.count = 0
        self.first: Reject | None = None
        self.data_rows: int | None = None

    def rows(self, data_rows: int) -> None:
        self.data_rows = data_rows
        self.add([])

    def add(self, rejects: list[Reject], most_rows: int | None = None) -> None:
        self.count += len(rejects)
        if self.first is None and rejects:
            self.first = rejects[0]
        rows = self.data_rows if self.data_rows is not None else most_rows
        if self.ratio is None or rows is None or self.count <= int(self.ratio * rows):
            return
        assert self.first is not None
        counted = f"the {rows} rows" if self.data_rows is not None else f"at most {rows} rows"
        raise IngestError(
            self.name,
            f"more than {self.ratio:.2%} of {counted} are rejected (max_reject_ratio); "
            f"e.g. line {self.first.line}: {self.first.reason}",
            fix=f"correct the rows in the file, or raise max_reject_ratio in {self.contract_ref}",
        )
