"""The DAG's dashboards refresh: skipped when a refresh that began after the run's loads
already saw their tables; run (and remembered) otherwise."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lakehouse_loader.orchestration import refresh_dashboards


@pytest.fixture
def refreshes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A refresh command that counts its runs in a file; the state folder in tmp_path."""
    count = tmp_path / "refreshes"
    monkeypatch.setenv("LAKEHOUSE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("LAKEHOUSE_DASHBOARDS_COMMAND", f"sh -c 'echo x >> {count}'")
    return count


def runs(count: Path) -> int:
    return len(count.read_text().splitlines()) if count.exists() else 0


def loaded(table: str, finished_at: float) -> dict[str, object]:
    return {"table": table, "status": "loaded", "finished_at": finished_at}


def test_a_refresh_since_the_loads_makes_another_unneeded(refreshes: Path) -> None:
    before = time.time() - 60
    refresh_dashboards([loaded("a", before)])
    assert runs(refreshes) == 1
    # Loads committed before that refresh began: it saw their tables.
    refresh_dashboards([loaded("b", before), loaded("c", before + 1)])
    assert runs(refreshes) == 1
    # A load committed after it began: a new refresh.
    refresh_dashboards([loaded("d", time.time() + 1)])
    assert runs(refreshes) == 2


def test_nothing_loaded_nothing_refreshed(refreshes: Path) -> None:
    refresh_dashboards([{"table": "a", "status": "unchanged", "finished_at": time.time()}])
    assert runs(refreshes) == 0


def test_a_failed_refresh_is_not_remembered(
    refreshes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEHOUSE_DASHBOARDS_COMMAND", "false")
    with pytest.raises(RuntimeError, match="exited 1"):
        refresh_dashboards([loaded("a", time.time() - 60)])
    assert not (tmp_path / "state" / "dashboards-refreshed.json").exists()
    monkeypatch.setenv("LAKEHOUSE_DASHBOARDS_COMMAND", f"sh -c 'echo x >> {refreshes}'")
    refresh_dashboards([loaded("a", time.time() - 60)])
    assert runs(refreshes) == 1
