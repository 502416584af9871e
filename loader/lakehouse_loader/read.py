"""Reading a planned file: typed Arrow record batches and rejected rows out.

Two ways, behind one interface (:func:`read_file`, then iterate the :class:`FileReading`):

* A complete plan (``plan.plan_file``, pass 1 over every row) is read again by pass 2,
  :func:`read_batches`: each column converted with the planned types, vectorized per batch
  with pyarrow.compute; every row that does not fit becomes a reject (``validate``) with
  its exact physical line number (``lines``).
* A large file can be read once instead: its provisional plan has the types of its first
  block, and every later batch is checked against them as pass 1 would infer them;
  :class:`PlanDisproved` says when it must be read twice after all. Both ways come to the
  same plan, rows and rejects.

For every file, ``sum(accepted rows) + sum(rejects) == plan.data_rows``.

File rules decided here:

* Blank lines are not rows: skipped wherever they are, neither counted nor rejected. So is a
  row whose fields are all empty (spreadsheets write ``,,,`` for an empty row).
* A row with the wrong number of fields is a reject "expected N fields, found M", N counting
  a dropped empty trailing column.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from .contract import Contract
from .csv_reader import (
    InvalidRow,
    arrow_error,
    blank_rows,
    is_blank_line,
    longer_than_block,
    open_csv,
    read_ahead,
    take_invalid,
)
from .errors import IngestError
from .formats import NumberFormat
from .lines import Lines, breaks_per_row
from .plan import FilePlan, direct_cast
from .rejects import Reject, RejectBudget, reject_ratio
from .scan import Scanner
from .sniff import contract_ref
from .validate import check_values, wrong_field_count

__all__ = ["Batch", "FileReading", "PlanDisproved", "read_batches", "read_file"]


@dataclass(frozen=True)
class Batch:
    """Accepted rows (plan order, normalized names, planned types) and this batch's rejects."""

    accepted: pa.RecordBatch
    rejects: list[Reject]


def read_batches(
    plan: FilePlan,
    contract: Contract | None = None,
    batch_rows: int = 65536,
    max_reject_ratio: float | None = None,
) -> Iterator[Batch]:
    """Pass 2: stream the file again, convert with the planned types, reject bad rows.

    Yields batches of at most ``batch_rows`` accepted rows (possibly 0 rows when a whole
    block was rejected) with the rejects found among them. Raises IngestError as soon as the
    rejects exceed ``max_reject_ratio`` (default: the contract's; not checked without
    either) of ``plan.data_rows``, or when the file changed since :func:`~.plan.plan_file`.
    """
    if plan.provisional:
        raise ValueError("a provisional plan is read with read_file")
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    contract = contract if contract is not None else plan.contract
    name = plan.display_name or plan.path.as_posix()
    ref = contract_ref(name, plan.path, contract)
    budget = RejectBudget(name, ref, reject_ratio(plan, contract, max_reject_ratio))
    budget.rows(plan.data_rows)
    try:
        stat = plan.path.stat()
    except OSError as exc:
        raise IngestError(name, f"cannot be read: {exc.strerror or exc}") from None
    if stat.st_size != plan.file_size or stat.st_mtime_ns != plan.file_mtime_ns:
        raise IngestError(
            name,
            "the file changed after it was planned",
            fix="plan the file again (wait until it is completely written)",
        )
    numbers = NumberFormat(plan.thousands_separator, plan.decimal_separator)
    schema = pa.schema([pa.field(c.name, c.type.arrow()) for c in plan.columns])
    if not plan.has_body:
        return
    # Columns whose every value pass 1 cast already are converted by the CSV reader itself.
    typed = {c.position: c.type.arrow() for c in plan.columns if c.position in plan.direct_cast}
    multiline = (
        [k for k, c in enumerate(plan.columns) if c.position not in typed] if plan.multiline else []
    )
    invalid: list[InvalidRow] = []
    reader = open_csv(
        plan.path,
        encoding=plan.encoding,
        delimiter=plan.delimiter,
        field_count=plan.field_count,
        header_lines=plan.header_lines,
        block_size=plan.block_size,
        include=[c.position for c in plan.columns],
        use_threads=not plan.irregular_lines,
        newlines_in_values=plan.multiline,
        invalid=invalid,
        typed=typed,
    )
    lines = Lines(plan.header_lines)
    pending: list[InvalidRow] = []
    try:
        for raw_batch in reader:
            if invalid:
                pending.extend(take_invalid(invalid))
            batch_out = _process_block(
                raw_batch, plan, numbers, schema, multiline, lines, pending, batch_rows
            )
            for out in batch_out:
                budget.add(out.rejects)
                yield out
        if invalid:
            pending.extend(take_invalid(invalid))
    except pa.ArrowInvalid as exc:
        raise arrow_error(exc, plan.path, name, ref) from None
    # Invalid rows after the last valid row.
    trailing = _trailing_invalid_rejects(pending, lines, plan)
    if trailing:
        budget.add(trailing)
        yield Batch(_empty(schema), trailing)


class PlanDisproved(Exception):
    """A provisional plan's types do not hold for the whole file (the message says why):
    what was read with it must be discarded and the file read with :func:`~.plan.plan_file`."""


def read_file(
    plan: FilePlan,
    contract: Contract | None = None,
    batch_rows: int = 65536,
    max_reject_ratio: float | None = None,
    *,
    hash_file: bool = False,
) -> FileReading:
    """The file's rows as :class:`Batch` es (see read_batches) and, once they are all read,
    its complete plan: one read for a provisional plan (its SHA-256 computed meanwhile with
    `hash_file`), pass 2 for a complete one."""
    return FileReading(plan, contract, batch_rows, max_reject_ratio, hash_file=hash_file)


class FileReading:
    """Iterate for the batches; then `plan` is the file's complete plan.

    A provisional plan (types from the first block) is checked as the file is read, pass 1
    and pass 2 in one: every batch is read as text, its values inferred as pass 1 does,
    then converted as pass 2 does. When a later value changes a column's type (or fills a
    dropped empty column), PlanDisproved is raised at once. Line breaks inside values that
    the first block did not show only matter for the line numbers of rejects: a file with
    both is disproved at its end.
    """

    def __init__(
        self,
        plan: FilePlan,
        contract: Contract | None,
        batch_rows: int,
        max_reject_ratio: float | None,
        *,
        hash_file: bool = False,
    ) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        self.plan = plan
        self._contract = contract if contract is not None else plan.contract
        self._batch_rows = batch_rows
        self._max_reject_ratio = max_reject_ratio
        self._hash_file = hash_file

    def __iter__(self) -> Iterator[Batch]:
        if not self.plan.provisional:
            return read_batches(self.plan, self._contract, self._batch_rows, self._max_reject_ratio)
        return self._read_once()

    def _read_once(self) -> Iterator[Batch]:
        plan, contract = self.plan, self._contract
        name = plan.display_name or plan.path.as_posix()
        ref = contract_ref(name, plan.path, contract)
        budget = RejectBudget(name, ref, reject_ratio(plan, contract, self._max_reject_ratio))
        numbers = NumberFormat(plan.thousands_separator, plan.decimal_separator)
        schema = pa.schema([pa.field(c.name, c.type.arrow()) for c in plan.columns])
        inferred = [c for c in plan.columns if not c.from_contract]
        kept = [c.position for c in plan.columns]
        dropped = [i for i in range(plan.field_count) if i not in kept]
        pinned = {c.position for c in plan.columns if c.from_contract}
        scanner = Scanner(
            plan.path,
            name=name,
            field_count=plan.field_count,
            header_lines=plan.header_lines,
            numbers=numbers,
            infer=[i not in pinned for i in range(plan.field_count)],
            hash_file=self._hash_file,
            seed=plan.first_block,
        )
        settled = {c.position: c.type for c in inferred}
        # Invalid rows need their row numbers, which only the single-threaded reader gives.
        reader = scanner.open(
            encoding=plan.encoding,
            delimiter=plan.delimiter,
            block_size=plan.block_size,
            use_threads=False,
        )
        lines = Lines(plan.header_lines)
        pending: list[InvalidRow] = []
        with scanner:
            try:
                for raw in read_ahead(reader):
                    invalid, converted = scanner.add(raw, settled)
                    pending.extend(invalid)
                    for column in inferred:
                        seen = scanner.inference[column.position].result()
                        if seen != column.type:
                            raise PlanDisproved(
                                f"column {column.name} is {seen.trino()}, not "
                                f"{column.type.trino()} as its first rows suggested"
                            )
                    for position in dropped:
                        if scanner.inference[position].non_null:
                            raise PlanDisproved(f"the empty column {position + 1} has values")
                    # As in plan.direct_cast: one column's blank lines were filtered before
                    # its values were inferred, not before they are converted.
                    direct = set(converted) | {
                        c.position
                        for c in inferred
                        if plan.field_count > 1
                        and c.position not in converted
                        and scanner.inference[c.position].casts_directly_to(c.type)
                    }
                    block = pa.RecordBatch.from_arrays(
                        [converted.get(i, raw.column(i)) for i in kept],
                        names=[f"f{i}" for i in kept],
                    )
                    multiline = [
                        k
                        for k, c in enumerate(plan.columns)
                        if plan.multiline and c.position not in converted
                    ]
                    for out in _process_block(
                        block,
                        plan,
                        numbers,
                        schema,
                        multiline,
                        lines,
                        pending,
                        self._batch_rows,
                        direct,
                    ):
                        budget.add(out.rejects, most_rows=scanner.most_rows())
                        yield out
                pending.extend(scanner.take_invalid())
            except pa.ArrowInvalid as exc:
                if longer_than_block(exc):
                    raise PlanDisproved("a row is longer than the first block") from None
                raise arrow_error(exc, plan.path, name, ref) from None
            trailing = _trailing_invalid_rejects(pending, lines, plan)
            found = scanner.result(plan.block_size)
        if found.multiline and not plan.multiline and (budget.count or trailing):
            raise PlanDisproved("values with line breaks make the rejects' line numbers differ")
        budget.rows(found.data_rows)
        budget.add(trailing)
        if trailing:
            yield Batch(_empty(schema), trailing)
        self.plan = replace(
            plan,
            data_rows=found.data_rows,
            multiline=found.multiline,
            irregular_lines=found.irregular_lines,
            sha256=found.sha256,
            direct_cast=direct_cast(plan.columns, plan.field_count, found.inference),
            first_block=(),
        )


def _empty(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


def _trailing_invalid_rejects(
    pending: list[InvalidRow], lines: Lines, plan: FilePlan
) -> list[Reject]:
    """Rejects for the invalid rows after the last valid row of the file."""
    return [
        wrong_field_count(line, row)
        for line, row in lines.after_last_block(pending, plan.display_name)
        if not is_blank_line(row.text)
    ]


def _process_block(
    raw: pa.RecordBatch,
    plan: FilePlan,
    numbers: NumberFormat,
    schema: pa.Schema,
    multiline: list[int],
    lines: Lines,
    pending: list[InvalidRow],
    batch_rows: int,
    direct: Collection[int] | None = None,
) -> list[Batch]:
    """The block's accepted rows and rejects; `direct`: the positions whose text casts as it
    is (default: the plan's)."""
    n = raw.num_rows
    columns = list(raw.columns)
    direct = set(plan.direct_cast) if direct is None else direct
    # Line breaks inside values: per row, only when some column has them.
    block = lines.block(n, pending, breaks_per_row(columns, multiline), plan.display_name)

    rejects: list[tuple[int, Reject]] = []  # (row position in block, reject)
    for record, invalid_row in block.invalid:
        if not is_blank_line(invalid_row.text):
            reject = wrong_field_count(block.line(record), invalid_row)
            rejects.append((block.rows_before(record), reject))

    blank = blank_rows(columns, plan.field_count) if n else pa.array([], pa.bool_())
    checked = check_values(
        columns, plan, numbers, blank, direct, lambda row: block.line(block.record_of(row))
    )
    rejects.extend(checked.rejects)
    keep = pc.invert(blank)
    has_rejects = checked.rejected is not None
    if checked.rejected is not None:
        keep = pc.and_not(keep, checked.rejected)

    accepted = pa.RecordBatch.from_arrays(checked.values, schema=schema)
    kept_before: list[int] | None = None
    if n and (has_rejects or pc.any(blank).as_py()):
        accepted = accepted.filter(keep)
        if rejects:
            # how many rows are kept before each row, to hand each reject to its slice
            kept_before = pc.cumulative_sum(pc.cast(keep, pa.int64())).to_pylist()
    block.done()

    rejects.sort(key=lambda item: item[1].line)
    out: list[Batch] = []
    total = accepted.num_rows
    slices = max(1, -(-total // batch_rows))
    buckets: list[list[Reject]] = [[] for _ in range(slices)]
    for position, reject in rejects:
        if kept_before is None:
            index = position
        else:
            index = kept_before[min(position, len(kept_before)) - 1] if position > 0 else 0
        buckets[min(index // batch_rows, slices - 1)].append(reject)
    for s in range(slices):
        out.append(Batch(accepted.slice(s * batch_rows, batch_rows), buckets[s]))
    return out
