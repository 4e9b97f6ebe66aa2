"""The table of the database cache, used for rate-limit counters when REDIS_URL is unset.

Created here so that `migrate` is the only set-up step (no `createcachetable`).
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "canopy_cache"


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
