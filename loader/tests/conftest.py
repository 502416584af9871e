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


@pytest.fixture(params=["first blocks of 4 MB", "first blocks of 64 KB"])
def first_block_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """A test that uses it runs twice: with the reader's first blocks as loads have them,
    and with blocks smaller than its long lines."""
    if request.param == "first blocks of 64 KB":
        monkeypatch.setattr("lakehouse_loader.scan.INITIAL_BLOCK_SIZE", 64 << 10)
    from lakehouse_loader import scan

    return scan.INITIAL_BLOCK_SIZE
