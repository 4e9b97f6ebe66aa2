"""Shared fixtures: a named cast of API clients and contributors (STYLE practice 11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.db import connection

from trees.config import clear_config_cache

if TYPE_CHECKING:
    from collections.abc import Iterator


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip `postgres_only` tests, with a reason, when the suite runs on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL to a postgres:// URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_tree_config() -> Iterator[None]:
    """Resolved tree-manager configuration never leaks from one test into another."""
    clear_config_cache()
    yield
    clear_config_cache()


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"
