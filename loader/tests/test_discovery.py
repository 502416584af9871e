"""The scheduled scan's decision: which files are due, from the ledger's recent attempts and
the files' content; and how a failed load is recorded for it (ingest_file's failure path,
against pyiceberg's SQL catalog on local files)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from lakehouse_loader import ingest
from lakehouse_loader.catalog import catalog
from lakehouse_loader.config import PipelineConfig
from lakehouse_loader.conventions import CHANGED, FAILED, LOADED, REJECTED
from lakehouse_loader.discovery import MAX_FAILED_ATTEMPTS, due_files, verdict
from lakehouse_loader.errors import IngestError
from lakehouse_loader.ledger import (
    LEDGER,
    Attempt,
    changed_since,
    failure_status,
    file_state,
)
from lakehouse_loader.trino_sql import Trino

SHA = "a" * 64
OTHER = "b" * 64


def content(sha: str = SHA) -> Callable[[], str]:
    return lambda: sha


def never() -> str:
    raise AssertionError("the file was hashed, though nothing depended on its content")


def failed(sha: str = SHA, message: str = "S3 answered 503") -> Attempt:
    return Attempt(sha, FAILED, message)


def test_a_new_file_is_due_without_being_hashed() -> None:
    assert verdict([], never).due


def test_loaded_or_rejected_content_waits_until_it_changes() -> None:
    assert not verdict([Attempt(SHA, LOADED, None)], content()).due
    rejected = verdict([Attempt(SHA, REJECTED, "line 3: not a date")], content())
    assert not rejected.due
    assert "line 3: not a date" in rejected.reason
    assert verdict([Attempt(SHA, LOADED, None)], content(OTHER)).due
    assert verdict([Attempt(SHA, REJECTED, "bad")], content(OTHER)).due


def test_a_file_that_changed_while_it_was_loaded_is_due_again() -> None:
    # Recorded with no hash: it is due whatever its content is now, without hashing it.
    assert verdict([Attempt("", CHANGED, "the file changed while it was read")], never).due


def test_failed_content_is_retried_until_it_failed_max_times_in_a_row() -> None:
    for failures in range(1, MAX_FAILED_ATTEMPTS):
        assert verdict([failed()] * failures, content()).due
    gave_up = verdict([failed()] * MAX_FAILED_ATTEMPTS, content())
    assert not gave_up.due
    assert gave_up.reason.startswith(
        f"gave up after {MAX_FAILED_ATTEMPTS} failed attempts: S3 answered 503"
    )


def test_only_failures_of_the_same_content_in_a_row_count() -> None:
    # Earlier failures were of other content, or before a load of this content.
    assert verdict([failed(), failed(), failed(OTHER)], content()).due
    assert verdict([failed(), failed(), Attempt(SHA, LOADED, None), failed()], content()).due
    # New content after failures is due at once.
    assert verdict([failed()] * MAX_FAILED_ATTEMPTS, content(OTHER)).due


def test_an_unknown_status_leaves_the_file_due() -> None:
    assert verdict([Attempt(SHA, "interrupted", None)], never).due


class _Ledger:
    """Trino as discovery sees it: the ledger's recent attempts, file by file."""

    def __init__(self, rows: list[tuple[str, str, str, str | None]]) -> None:
        self.rows = rows

    def table_exists(self, name: str) -> bool:
        return name == LEDGER

    def table(self, name: str) -> str:
        return f'"iceberg"."lakehouse"."{name}"'

    def query(self, sql: str, params: object = None) -> list[tuple[object, ...]]:
        return list(self.rows)


def test_due_files_waits_for_settled_files_and_skips_what_it_gave_up_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    texts = {"new.csv": "a\n1\n", "loaded.csv": "a\n2\n", "broken.csv": "a\n3\n"}
    for name, text in texts.items():
        (raw / name).write_text(text)
    (raw / "fresh.csv").write_text("a\n4\n")
    hashes = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in texts.items()}
    rows = [("data/raw/loaded.csv", hashes["loaded.csv"], LOADED, None)]
    rows += [
        ("data/raw/broken.csv", hashes["broken.csv"], FAILED, "S3 answered 503")
    ] * MAX_FAILED_ATTEMPTS
    config = _config(tmp_path)
    now = time.time() + 60
    os.utime(raw / "fresh.csv", (now, now))  # written a moment ago: may still be copied
    with caplog.at_level("WARNING"):
        due = due_files(config, cast(Trino, _Ledger(rows)), now=now)
    assert due == ["data/raw/new.csv"]
    assert (
        f"broken.csv: not loaded: gave up after {MAX_FAILED_ATTEMPTS} failed attempts"
        in caplog.text
    )


def _config(tmp_path: Path) -> PipelineConfig:
    """A loader on local files: a `sqlite:` catalog and a `file://` object store."""
    env = {
        "LAKEHOUSE_TRINO_URL": "http://unused",
        "LAKEHOUSE_CATALOG_URL": f"sqlite:///{tmp_path}/catalog.db",
        "LAKEHOUSE_S3_ENDPOINT": f"file://{tmp_path}/store",
        "S3_ACCESS_KEY": "unused",
        "S3_SECRET_KEY": "unused",
        "LAKEHOUSE_DATA_DIR": str(tmp_path / "data"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return PipelineConfig.from_env()


def test_a_file_counts_as_changed_when_written_after_the_load_started(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("a\n1\n")
    started = file_state(path)
    assert not changed_since(path, started)
    with path.open("a") as f:  # at once: within the same tick of the file clock
        f.write("2\n")
    assert changed_since(path, started)
    replaced = tmp_path / "new.csv"
    replaced.write_text("a\n1\n2\n")
    started = file_state(path)
    replaced.replace(path)  # a rename into place
    assert changed_since(path, started)
    assert changed_since(tmp_path / "removed.csv", file_state(tmp_path / "removed.csv"))
    error = IngestError("data/raw/orders.csv", "the file changed while it was read")
    assert failure_status(error, changed=True) == CHANGED
    assert failure_status(error, changed=False) == REJECTED
    assert failure_status(RuntimeError("S3 answered 503"), changed=False) == FAILED


def _ledger(config: PipelineConfig) -> list[dict[str, object]]:
    ledger = catalog(config).load_table((config.schema, LEDGER))
    return ledger.scan(selected_fields=("sha256", "status", "message")).to_arrow().to_pylist()


def _loading(tmp_path: Path, text: str) -> tuple[PipelineConfig, Path]:
    config = _config(tmp_path)
    (tmp_path / "store" / config.bucket).mkdir(parents=True)
    catalog(config).create_namespace(config.schema)
    path = config.data_dir / "raw" / "orders.csv"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return config, path


def test_a_file_written_during_its_load_is_recorded_as_changed_and_stays_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, path = _loading(tmp_path, "id\n1\n")

    def load_while_written(job: object) -> object:
        with path.open("a") as f:  # the rest of the file arrives meanwhile
            f.write("2\n3\n")
        raise IngestError("data/raw/orders.csv", "the file changed while it was read")

    monkeypatch.setattr(ingest, "_load", load_while_written)
    with pytest.raises(IngestError):
        ingest.ingest_file(path, config)
    [entry] = _ledger(config)
    assert (entry["status"], entry["sha256"]) == (CHANGED, "")
    attempt = Attempt(str(entry["sha256"]), str(entry["status"]), None)
    # The finished file is due: it is loaded once it settles.
    assert verdict([attempt], content(hashlib.sha256(path.read_bytes()).hexdigest())).due


def test_unloadable_content_is_recorded_as_rejected_with_its_hash(tmp_path: Path) -> None:
    config, path = _loading(tmp_path, "")
    with pytest.raises(IngestError):
        ingest.ingest_file(path, config)
    [entry] = _ledger(config)
    assert (entry["status"], entry["sha256"]) == (REJECTED, hashlib.sha256(b"").hexdigest())
