"""Model fields that differ between PostgreSQL and SQLite (GEN-9)."""

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class SearchVectorColumn(models.Field[Any, Any]):
    """A `tsvector` on PostgreSQL (full-text search, MOD-18); always NULL on SQLite.

    Unlike `django.contrib.postgres.search.SearchVectorField`, this migrates on both
    databases. It is maintained by services with raw SQL on PostgreSQL only.
    """

    description = "Full-text search vector (PostgreSQL only)"

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"
