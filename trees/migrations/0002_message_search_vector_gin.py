"""GIN index on message.search_vector (DATA-4, MOD-18), on PostgreSQL only.

The column is a tsvector there and unused text on SQLite, so the index is created with
SQL guarded by the database vendor rather than as a model index.
"""

from django.db import migrations

INDEX = "message_search_vector_gin_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON message USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("trees", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
