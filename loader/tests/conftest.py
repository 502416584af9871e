"""Fixtures shared by the tests of the extract stages (sniff, scan, plan, read, ...)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["two passes", "one read"])
def reads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test that uses it runs twice: files planned by pass 1, and read once on the types
    of their first block (what loads do for large files), which must come to the same
    result."""
    if request.param == "one read":
        monkeypatch.setattr("lakehouse_loader.plan.SINGLE_PASS_FROM", 0)
    return str(request.param)
