"""Acks under real concurrency (TREE-51, API-TASK-3); PostgreSQL only.

An ack is one conditional UPDATE; these threads race it against itself.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from shared_protocol.errors import DomainError, ErrorCode
from tasks.models import Task
from tasks.services.lifecycle import task_acknowledge
from tests.factories import ApiClientFactory, TaskFactory

THREADS = 16


def _race(jobs: list[tuple[Any, str]], client: Any) -> list[str]:
    """Ack each (task, frontend id) in its own thread, all at once; the outcomes in order."""
    outcomes: list[str] = [""] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(index: int, task: Task, frontend_id: str) -> None:
        try:
            start.wait()
            task_acknowledge(client=client, task_id=task.pk, frontend_message_id=frontend_id)
            outcomes[index] = "ok"
        except DomainError as exc:
            outcomes[index] = str(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, task, fid)) for i, (task, fid) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_task_acked_by_many_threads_binds_exactly_one_id() -> None:
    """Different ids: one ack wins, every other is 2103; the same id again is success."""
    client = ApiClientFactory.create()
    task = TaskFactory.create(api_client=client)
    outcomes = _race([(task, f"fe-{i}") for i in range(THREADS)], client)
    assert sorted(outcomes) == sorted(["ok"] + [str(ErrorCode.TASK_ALREADY_UPDATED)] * 15)
    task.refresh_from_db()
    assert task.ack is True
    winner = outcomes.index("ok")
    assert task.frontend_message_id == f"fe-{winner}"
    assert _race([(task, f"fe-{winner}")] * THREADS, client) == ["ok"] * THREADS


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_id_raced_across_many_tasks_binds_to_exactly_one() -> None:
    """The unique (client, frontend id) constraint: one task gets the id, the rest 2000."""
    client = ApiClientFactory.create()
    tasks = [TaskFactory.create(api_client=client) for _ in range(THREADS)]
    outcomes = _race([(task, "shared-id") for task in tasks], client)
    assert sorted(outcomes) == sorted(
        ["ok"] + [str(ErrorCode.INVALID_FRONTEND_MESSAGE_ID)] * (THREADS - 1)
    )
    acked = Task.objects.filter(pk__in=[t.pk for t in tasks], ack=True)
    assert list(acked.values_list("frontend_message_id", flat=True)) == ["shared-id"]
