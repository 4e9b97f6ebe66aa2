"""Task validation shared by submissions and the task lifecycle (trees.md §7, §9)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from config.prepared import Prepared, PreparedUpdateReturning
from shared_protocol.errors import DomainError, ErrorCode
from tasks.models import Task
from trees.randomness import now

# Locking the task row serialises submissions of one task (TREE-53). Call inside the
# submission's transaction. Prepared: every ack and submission runs one (config/prepared.py).
_BY_FRONTEND_ID: Prepared[Task] = Prepared(
    lambda client_id, frontend_id: (
        Task.objects.select_for_update()
        .filter(api_client_id=client_id, frontend_message_id=frontend_id)
        .order_by()[:1]
    ),
    client_id=UUID,
    frontend_id=str,
)
_BY_ID: Prepared[Task] = Prepared(
    lambda client_id, task_id: (
        Task.objects.select_for_update().filter(api_client_id=client_id, pk=task_id).order_by()[:1]
    ),
    client_id=UUID,
    task_id=UUID,
)


def _takeable(tasks: QuerySet[Task], user_id: UUID, now: datetime) -> QuerySet[Task]:
    """The tasks that pass task validation for `user_id` at `now` and are not collective."""
    return tasks.filter(ack=True, done=False, collective=False, user_id=user_id).filter(
        Q(expiry_date__isnull=True) | Q(expiry_date__gt=now)
    )


_TAKE_BY_ID: PreparedUpdateReturning[Task] = PreparedUpdateReturning(
    lambda client_id, task_id, user_id, now: (
        _takeable(Task.objects.filter(api_client_id=client_id, pk=task_id), user_id, now),
        {"done": True, "done_date": now},
    ),
    client_id=UUID,
    task_id=UUID,
    user_id=UUID,
    now=datetime,
)
_TAKE_BY_FRONTEND_ID: PreparedUpdateReturning[Task] = PreparedUpdateReturning(
    lambda client_id, frontend_id, user_id, now: (
        _takeable(
            Task.objects.filter(api_client_id=client_id, frontend_message_id=frontend_id),
            user_id,
            now,
        ),
        {"done": True, "done_date": now},
    ),
    client_id=UUID,
    frontend_id=str,
    user_id=UUID,
    now=datetime,
)


def task_take_for_submission(
    *,
    api_client_id: UUID,
    user_id: UUID,
    now: datetime,
    task_id: UUID | None = None,
    frontend_message_id: str | None = None,
) -> Task:
    """The caller's task for a submission (by id or by frontend id), locked and validated.

    What `task_lock_by_id` / `task_lock_by_frontend_id` and `task_validate` give, in one
    statement for the usual case: a valid task that is not collective is marked done at
    `now` by the statement that locks it, and comes back with `done` set (the submission's
    transaction undoes it if a later check refuses). Any other task is locked and
    validated as before, which answers with the first failing check's error.
    """
    if task_id is not None:
        taken = _TAKE_BY_ID.first(
            client_id=api_client_id, task_id=task_id, user_id=user_id, now=now
        )
    elif frontend_message_id:
        taken = _TAKE_BY_FRONTEND_ID.first(
            client_id=api_client_id, frontend_id=frontend_message_id, user_id=user_id, now=now
        )
    else:
        raise DomainError(ErrorCode.INVALID_FRONTEND_MESSAGE_ID, "The message id is empty")
    if taken is not None:
        return taken
    if task_id is not None:
        task = task_lock_by_id(api_client_id=api_client_id, task_id=task_id)
    else:
        task = task_lock_by_frontend_id(
            api_client_id=api_client_id, frontend_message_id=frontend_message_id or ""
        )
    task_validate(task, user_id=user_id)
    return task


def _found(task: Task | None) -> Task:
    if task is None:
        raise DomainError(ErrorCode.TASK_NOT_FOUND, "Task not found")
    return task


def task_lock_by_frontend_id(*, api_client_id: UUID, frontend_message_id: str) -> Task:
    """The calling client's task bound to `frontend_message_id` at ack, locked (2100)."""
    if not frontend_message_id:
        raise DomainError(ErrorCode.INVALID_FRONTEND_MESSAGE_ID, "The message id is empty")
    return _found(_BY_FRONTEND_ID.first(client_id=api_client_id, frontend_id=frontend_message_id))


def task_lock_by_id(*, api_client_id: UUID, task_id: UUID) -> Task:
    """The calling client's task `task_id`, locked (2100)."""
    return _found(_BY_ID.first(client_id=api_client_id, task_id=task_id))


def task_is_expired(task: Task) -> bool:
    """TREE-54: past its expiry date."""
    return task.expiry_date is not None and task.expiry_date <= now()


def task_validate(task: Task, *, user_id: UUID, require_ack: bool = True) -> None:
    """Task validation, in the order of trees.md §7 (the first failure answers).

    Not expired (2101); acknowledged (2104, unless `require_ack` is false, as for nacks);
    not done (2105); belongs to the acting user, unless it is collective and has a user
    (2106).
    """
    if task_is_expired(task):
        raise DomainError(ErrorCode.TASK_EXPIRED, "The task has expired")
    if require_ack and not task.ack:
        raise DomainError(ErrorCode.TASK_NOT_ACK, "The task was not acknowledged")
    if task.done:
        raise DomainError(ErrorCode.TASK_ALREADY_DONE, "The task is already done")
    if task.user_id != user_id and not (task.collective and task.user_id is not None):
        raise DomainError(ErrorCode.TASK_NOT_ASSIGNED_TO_USER, "The task belongs to another user")
