"""The PostgreSQL backend's health check does not query an idle connection (config/postgresql).

Real connections on a real server: the check must keep a healthy persistent connection
without a round trip, and must still notice one the server has ended, so that the next
request reconnects instead of failing.
"""

from __future__ import annotations

import select
import time
from typing import TYPE_CHECKING

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.test import Client

from tests.factories import ApiClientFactory

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _admin() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


def _last_statement(pid: int) -> str:
    with _admin() as admin:
        row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def _wait_readable(seconds: float = 10) -> None:
    """Until the server's goodbye reaches our connection's socket."""
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + seconds
    while not poller.poll(50):
        assert time.monotonic() < deadline, "the server did not close the connection"


@pytest.fixture
def persistent() -> Iterator[None]:
    """The connection persists across requests and is health-checked, as in production."""
    connection.close()
    saved = connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_MAX_AGE"] = 600
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    yield
    connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"] = saved
    connection.close()


def test_an_idle_healthy_connection_is_usable_without_a_statement(persistent: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    pid = connection.connection.info.backend_pid

    assert connection.is_usable()
    assert _last_statement(pid) == "SELECT 'the last statement'"


def test_a_connection_the_server_ended_is_not_usable(persistent: None) -> None:
    connection.ensure_connection()
    with _admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    _wait_readable()

    assert not connection.is_usable()


def test_a_request_after_the_server_ended_the_connection_reconnects(persistent: None) -> None:
    """Not a 500: the health check at the request's first query replaces the connection."""
    _, key = ApiClientFactory.create_with_key()
    http = Client()
    assert http.get("/api/v1/text_labels/report_labels", HTTP_X_API_KEY=key).status_code == 200
    pid = connection.connection.info.backend_pid
    with _admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_readable()
    # What a WSGI server's request_started does (the test client leaves it out).
    close_old_connections()

    response = http.get("/api/v1/text_labels/report_labels", HTTP_X_API_KEY=key)

    assert response.status_code == 200
    assert connection.connection.info.backend_pid != pid


def test_inside_a_transaction_the_check_asks_the_server(persistent: None) -> None:
    """An open transaction can hold unread results; only a statement tells its state."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'in the transaction'")
        assert connection.is_usable()
        assert _last_statement(pid) == "SELECT 1"
    finally:
        connection.rollback()
        connection.set_autocommit(True)
