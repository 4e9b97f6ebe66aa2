"""Fixtures of the tree-manager tests: the fake upstream of the external calls (TREE-74)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.trees.fake_upstream import FakeUpstream

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def fake_upstream() -> Iterator[FakeUpstream]:
    """A real HTTP server on 127.0.0.1 (random port) that records requests."""
    upstream = FakeUpstream()
    upstream.start()
    yield upstream
    upstream.stop()
