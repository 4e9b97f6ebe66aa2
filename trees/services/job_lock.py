"""Database-level locks for periodic jobs (TREE-72) and short per-key critical sections.

`job_lock(name)` is held for the whole run of a periodic job so that two instances never
run concurrently: on PostgreSQL a session-level `pg_try_advisory_lock`, on SQLite (a
single-host development database) an exclusive `flock` on a lock file, which excludes
other threads and processes alike. `advisory_xact_lock(scope, key)` serialises one
critical section per key inside the caller's transaction (PostgreSQL only; SQLite
serialises writers itself).
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from collections.abc import Iterator

# First half of every two-key advisory lock Canopy takes, so that our locks never collide
# with another application's on the same database ("canopy" in ASCII, as a signed int32).
LOCK_NAMESPACE = 0x63616E6F


def _int32(name: str) -> int:
    """A stable signed 32-bit key for `name` (the same in every process)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= (1 << 31) else value


def job_lock_key(name: str) -> tuple[int, int]:
    """The advisory-lock key pair of the periodic job `name`."""
    return LOCK_NAMESPACE, _int32(f"job:{name}")


@contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """Hold the lock of job `name` while the block runs; yields False if another holds it.

    The caller skips its work when it gets False. The lock is released on exit, also when
    the block raises; a crashed holder releases it with its connection (PostgreSQL) or
    its process (SQLite).
    """
    if connection.vendor == "postgresql":
        with _pg_session_lock(job_lock_key(name)) as acquired:
            yield acquired
    else:
        with _file_lock(name) as acquired:
            yield acquired


@contextmanager
def _pg_session_lock(key: tuple[int, int]) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", list(key))
        row = cursor.fetchone()
    acquired = bool(row and row[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(key))


def _lock_path(name: str) -> Path:
    database = str(connection.settings_dict.get("NAME") or "")
    digest = hashlib.sha256(database.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"canopy-job-{name}-{digest}.lock"


@contextmanager
def _file_lock(name: str) -> Iterator[bool]:
    # flock conflicts between distinct open file descriptions, so this also excludes a
    # second thread of the same process, not only other processes.
    with _lock_path(name).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def advisory_xact_lock(scope: str, key: str) -> None:
    """Block until this transaction holds the lock of (`scope`, `key`); freed at commit.

    Call it inside `transaction.atomic()`. A no-op on SQLite, whose write lock already
    serialises writing transactions.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, _int32(f"{scope}:{key}")]
        )
