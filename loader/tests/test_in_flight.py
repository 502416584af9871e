"""The claims that keep overlapping scans from queueing the same files again."""

from __future__ import annotations

from pathlib import Path

from lakehouse_loader.in_flight import InFlight


def test_a_claim_holds_while_its_run_is_active(tmp_path: Path) -> None:
    claims = InFlight(tmp_path / "in-flight")
    claims.claim(["data/raw/a.csv", "data/raw/b.csv"], "scan_1")
    assert claims.held(lambda run: run == "scan_1", "scan_2") == {
        "data/raw/a.csv",
        "data/raw/b.csv",
    }
    # A run never leaves its own files to itself.
    assert claims.held(lambda run: True, "scan_1") == set()


def test_a_run_that_ended_holds_nothing_and_its_claims_go(tmp_path: Path) -> None:
    claims = InFlight(tmp_path / "in-flight")
    claims.claim(["data/raw/a.csv"], "crashed")
    asked: list[str] = []
    assert claims.held(lambda run: asked.append(run) is not None, "scan_2") == set()
    assert asked == ["crashed"]
    assert list((tmp_path / "in-flight").iterdir()) == []


def test_release_removes_only_the_runs_own_claim(tmp_path: Path) -> None:
    claims = InFlight(tmp_path / "in-flight")
    claims.claim(["data/raw/a.csv", "data/raw/b.csv"], "scan_1")
    claims.claim(["data/raw/b.csv"], "manual_1")  # the user's ingest took b over
    claims.release("data/raw/a.csv", "scan_1")
    claims.release("data/raw/b.csv", "scan_1")
    assert claims.held(lambda run: True, "other") == {"data/raw/b.csv"}
    claims.release("data/raw/b.csv", "manual_1")
    assert claims.held(lambda run: True, "other") == set()


def test_a_damaged_claim_is_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "in-flight"
    folder.mkdir()
    (folder / "0123.json").write_text('{"source": "data/raw/a.csv", "run_')
    assert InFlight(folder).held(lambda run: True, "scan") == set()
    assert list(folder.iterdir()) == []


def test_no_folder_no_claims(tmp_path: Path) -> None:
    assert InFlight(tmp_path / "missing").held(lambda run: True, "scan") == set()
