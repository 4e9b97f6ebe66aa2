"""Django's PostgreSQL backend, with a health check that does not query an idle connection.

With `CONN_HEALTH_CHECKS`, Django checks a persistent connection at the first query of
every request by sending `SELECT 1`: a round trip for each API request, about an eighth of
all the statements of a task cycle. An idle connection has nothing to read; when the
server ends it (a restart, `pg_terminate_backend`, `idle_session_timeout`), the backend
sends its FATAL message and closes the socket, which makes the socket readable. So a
connection whose socket has nothing to read is taken as usable without a query, and one
whose socket has something to read gets Django's own check, which then finds it broken
(or, for a harmless asynchronous message, reads it and keeps the connection).

A peer that vanished without closing the socket (a cut network path) is found by the first
real query instead of the check, as without health checks; TCP keepalives (libpq's
`keepalives_*` options) bound how long that takes.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

_CAN_POLL = hasattr(select, "poll")  # not on Windows


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE or not _CAN_POLL:
            return super().is_usable()  # inside a transaction: only a query tells
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            ready = poller.poll(0)
        except (OSError, ValueError):
            return False
        return not ready or super().is_usable()
