"""Submissions under real concurrency (TREE-45 step 5, TREE-53, GEN-8); PostgreSQL only."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection

from shared_protocol.errors import DomainError, ErrorCode
from tasks.models import Task
from tasks.services.submissions import submit_text_reply
from tests.factories import ApiClientFactory, MessageTreeStateFactory, TaskFactory, UserFactory
from trees.models import Message

if TYPE_CHECKING:
    from users.models import ApiClient, User

USERS_WITH_TWO_TASKS = 8


def _reply_task(client: ApiClient, user: User, parent: Message) -> Task:
    return TaskFactory.create(
        acked=True,
        api_client=client,
        user=user,
        payload_type="AssistantReplyPayload",
        fields={"type": "assistant_reply", "conversation": {"messages": [{"id": str(parent.pk)}]}},
        parent_message_id=parent.pk,
        message_tree_id=parent.message_tree_id,
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_keep_one_reply_per_user_one_result_per_task_and_exact_counts() -> None:
    """20 threads at once on one client:

    - 8 users each submit through two distinct tasks to the same parent: exactly one reply
      each, the other answer is 1011 (the parent row lock, TREE-45 step 5);
    - one task is submitted twice by its user: one reply, the other answer is 2105 (the
      task row lock, TREE-53);
    - two users reply to two other parents with the same `user_message_id`: one reply, the
      other answer is 2000 (the unique constraint backs up the check of step 7).
    `children_count` equals the number of stored children (GEN-8 atomic counters).
    """
    client = ApiClientFactory.create()
    parent = MessageTreeStateFactory.create().message_tree
    # Two quiet parents, so that both submissions of one frontend id pass step 7 together.
    quiet_parents = [MessageTreeStateFactory.create().message_tree for _ in range(2)]
    jobs: list[tuple[str, Task, User, str]] = []
    for index in range(USERS_WITH_TWO_TASKS):
        user = UserFactory.create(api_client=client)
        for attempt in range(2):
            task = _reply_task(client, user, parent)
            jobs.append(("duplicate-reply", task, user, f"reply-{index}-{attempt}"))
    twice_user = UserFactory.create(api_client=client)
    twice = _reply_task(client, twice_user, parent)
    jobs += [
        ("same-task", twice, twice_user, "twice-a"),
        ("same-task", twice, twice_user, "twice-b"),
    ]
    for target in quiet_parents:
        user = UserFactory.create(api_client=client)
        jobs.append(("same-frontend-id", _reply_task(client, user, target), user, "shared-id"))

    barrier = threading.Barrier(len(jobs))
    outcomes: list[tuple[str, str, Any]] = []  # (group, user id, "ok" or error code)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit(group: str, task: Task, user: User, user_message_id: str) -> None:
        try:
            barrier.wait()
            try:
                submit_text_reply(
                    client=client,
                    user=user,
                    message_id=task.frontend_message_id or "",
                    user_message_id=user_message_id,
                    text=f"An answer from {user_message_id}.",
                    lang="en",
                )
                outcome: Any = "ok"
            except DomainError as exc:
                outcome = exc.code
            with lock:
                outcomes.append((group, str(user.pk), outcome))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(outcomes) == len(jobs) >= 16
    by_user: dict[str, list[Any]] = {}
    for group, user_id, outcome in outcomes:
        if group == "duplicate-reply":
            by_user.setdefault(user_id, []).append(outcome)
    assert len(by_user) == USERS_WITH_TWO_TASKS
    for results in by_user.values():
        assert sorted(results, key=str) == sorted(
            ["ok", ErrorCode.TASK_MESSAGE_DUPLICATE_REPLY], key=str
        )
    same_task = sorted((o for g, _, o in outcomes if g == "same-task"), key=str)
    assert same_task == sorted(["ok", ErrorCode.TASK_ALREADY_DONE], key=str)
    same_id = sorted((o for g, _, o in outcomes if g == "same-frontend-id"), key=str)
    assert same_id == sorted(["ok", ErrorCode.INVALID_FRONTEND_MESSAGE_ID], key=str)

    assert Message.objects.filter(task_id=twice.pk).count() == 1
    assert Message.objects.filter(frontend_message_id="shared-id").count() == 1
    assert Task.objects.filter(pk=twice.pk, done=True).exists()
    for target in (parent, *quiet_parents):
        target.refresh_from_db()
        stored = Message.objects.filter(parent=target, deleted=False).count()
        assert target.children_count == stored
    assert parent.children_count == USERS_WITH_TWO_TASKS + 1
    assert sum(p.children_count for p in quiet_parents) == 1
    for user_id in by_user:
        assert Message.objects.filter(parent=parent, user_id=user_id).count() == 1
