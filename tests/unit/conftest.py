"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def pure_search(monkeypatch: pytest.MonkeyPatch):
    """The allocator on the pure-Python search (``fpv.channels.search``'s own classes), for
    tests that patch the search's internals: the compiled copy (fpv.tooling.native), when
    built, neither sees patched methods nor the module's patched constants."""
    from fpv.channels import allocator, search

    monkeypatch.setattr(allocator, "Search", search.PureSearch)
    monkeypatch.setattr(allocator, "Class", search.PureClass)
    monkeypatch.setattr(allocator, "optimise", search.pure_optimise)
    return search
