"""Create the PostgreSQL database named by DATABASE_URL if it does not exist yet.

`make run` calls this before migrating, so pointing Canopy at a fresh PostgreSQL server
needs no manual `createdb`. For SQLite it does nothing: the file is created on first use.
Run it as `python -m config.ensure_database`.
"""

import sys

import environ
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from config.env import env


def ensure_database(url: str) -> str:
    """Create the database of `url` when missing; returns what was done, for the log."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return "not PostgreSQL: nothing to create"
    name = config["NAME"]
    params = {
        key: str(config[setting])
        for key, setting in (("host", "HOST"), ("port", "PORT"), ("user", "USER"))
        if config.get(setting)
    }
    if config.get("PASSWORD"):
        params["password"] = str(config["PASSWORD"])
    try:
        psycopg.connect(make_conninfo(dbname=name, **params), connect_timeout=10).close()
        return f"database {name!r} exists"
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    maintenance = make_conninfo(dbname="postgres", **params)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"created database {name!r}"


if __name__ == "__main__":
    try:
        print(ensure_database(env.str("DATABASE_URL", default="sqlite:///db.sqlite3")))  # noqa: T201
    except psycopg.Error as exc:
        sys.exit(f"Cannot reach or create the database of DATABASE_URL: {exc}")
