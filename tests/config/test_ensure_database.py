"""`make run` creates a missing PostgreSQL database itself (no manual createdb)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.conf import settings

from config.ensure_database import ensure_database


def test_sqlite_needs_nothing() -> None:
    assert ensure_database("sqlite:///db.sqlite3") == "not PostgreSQL: nothing to create"


@pytest.mark.postgres_only
def test_missing_postgres_database_is_created_once() -> None:
    db = settings.DATABASES["default"]
    name = f"canopy_ensure_{uuid.uuid4().hex[:12]}"
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    try:
        assert ensure_database(url) == f"created database {name!r}"
        assert ensure_database(url) == f"database {name!r} exists"
        psycopg.connect(url).close()
    finally:
        with psycopg.connect(
            dbname="postgres", host=db["HOST"], port=db["PORT"], user=db["USER"], autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
