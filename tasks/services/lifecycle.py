"""The task lifecycle: acknowledge, reject, close (trees.md §9: TREE-51 … TREE-56)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from config.prepared import PreparedUpdate
from shared_protocol.enums import EmojiCode
from shared_protocol.errors import DomainError, ErrorCode
from tasks.models import Task
from tasks.services.validation import (
    task_is_expired,
    task_lock_by_frontend_id,
    task_lock_by_id,
    task_validate,
)
from tasks.signals import task_skipped
from trees.randomness import now

if TYPE_CHECKING:
    from users.models import ApiClient

# TREE-52: the skip emoji a nack puts on the task's target, by payload type.
SKIP_EMOJI = {
    "PrompterReplyPayload": EmojiCode.SKIP_REPLY,
    "AssistantReplyPayload": EmojiCode.SKIP_REPLY,
    "LabelInitialPromptPayload": EmojiCode.SKIP_LABELING,
    "LabelPrompterReplyPayload": EmojiCode.SKIP_LABELING,
    "LabelAssistantReplyPayload": EmojiCode.SKIP_LABELING,
    "RankPrompterRepliesPayload": EmojiCode.SKIP_RANKING,
    "RankAssistantRepliesPayload": EmojiCode.SKIP_RANKING,
}


def task_acknowledge(*, client: ApiClient, task_id: UUID, frontend_message_id: str) -> None:
    """TREE-51: bind the client's frontend id to the task; idempotent for the same id.

    Order: empty id → 2000; unknown task → 404 / 2100; already acked with this id →
    success; expired → 2101; done or acked with another id → 2103; id held by another
    task of this client → 2000.
    """
    if not frontend_message_id:
        raise DomainError(ErrorCode.INVALID_FRONTEND_MESSAGE_ID, "The message id is empty")
    # One conditional UPDATE acks an open task: it locks the row and re-checks its
    # conditions after a concurrent change commits. Only when it changes nothing is the
    # task read, to answer why, in the order above. A taken id can only fail an update
    # that met every other condition: it is the last check.
    # A single statement needs no transaction of its own; inside a caller's transaction a
    # savepoint keeps a refused id (IntegrityError) from aborting it.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            acked = _ACK_IF_OPEN.run(
                task_id=task_id, client_id=client.pk, frontend_id=frontend_message_id, now=now()
            )
        if acked:
            return
    except IntegrityError:
        # Another task of this client holds the id (task_api_client_frontend_message_id_key).
        raise DomainError(
            ErrorCode.INVALID_FRONTEND_MESSAGE_ID, "The message id is already in use"
        ) from None
    task = Task.objects.filter(api_client_id=client.pk, pk=task_id).order_by().first()
    if task is None:
        raise DomainError(ErrorCode.TASK_NOT_FOUND, "Task not found", status=HTTPStatus.NOT_FOUND)
    if task.ack and task.frontend_message_id == frontend_message_id:
        return
    if task_is_expired(task):
        raise DomainError(ErrorCode.TASK_EXPIRED, "The task has expired")
    # Done, or acked with another id (the update's remaining conditions).
    raise DomainError(ErrorCode.TASK_ALREADY_UPDATED, "The task was already updated")


_ACK_IF_OPEN = PreparedUpdate(
    lambda task_id, client_id, frontend_id, now: (
        Task.objects.filter(pk=task_id, api_client_id=client_id, done=False)
        .filter(Q(ack__isnull=True) | Q(ack=False))  # `ack` is null until the ack
        .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=now)),
        {"frontend_message_id": frontend_id, "ack": True},
    ),
    task_id=UUID,
    client_id=UUID,
    frontend_id=str,
    now=datetime,
)


def _not_found_as_404(exc: DomainError) -> DomainError:
    """Ack and close answer an unknown task with 404 (API-TASK-3, API-TASK-6)."""
    if exc.code != ErrorCode.TASK_NOT_FOUND:
        return exc
    return DomainError(exc.code, exc.message, status=HTTPStatus.NOT_FOUND)


def task_reject(
    *, client: ApiClient, task_id: UUID, user_id: UUID | None, reason: str | None
) -> None:
    """TREE-52: skip the task and put the acting user's skip emoji on its target.

    The acting user is the header user if given, else the task's own user (IMP-13);
    the caller has checked that user can act. Repeating a nack overwrites the reason.
    """
    from trees.services.emoji import emoji_add  # trees depends on nothing in tasks

    with transaction.atomic():
        task = task_lock_by_id(api_client_id=client.pk, task_id=task_id)
        acting_user_id = user_id if user_id is not None else task.user_id
        if acting_user_id is None:
            raise DomainError(ErrorCode.USER_NOT_SPECIFIED, "No user to act as")
        task_validate(task, user_id=acting_user_id, require_ack=False)
        # A collective task stays open for the others; the skip emoji is still added.
        if not task.collective:
            Task.objects.filter(pk=task.pk).update(skipped=True, skip_reason=reason)
            task_skipped.send(
                sender=Task,
                task=task,
                reason=reason,
                user_id=acting_user_id,
                api_client_id=client.pk,
            )
        emoji = SKIP_EMOJI.get(task.payload_type)
        if emoji is not None and task.parent_message_id is not None:
            emoji_add(message_id=task.parent_message_id, user_id=acting_user_id, emoji=emoji)


def task_acting_user(*, client: ApiClient, task_id: UUID) -> UUID | None:
    """The task's own user, for a nack without a user header (IMP-13); 2100 when unknown."""
    task = Task.objects.filter(api_client_id=client.pk, pk=task_id).only("user_id").first()
    if task is None:
        raise DomainError(ErrorCode.TASK_NOT_FOUND, "Task not found")
    return task.user_id


def task_close(*, client: ApiClient, frontend_message_id: str) -> None:
    """TREE-55: finish a collective task bound to `frontend_message_id`."""
    with transaction.atomic():
        try:
            task = task_lock_by_frontend_id(
                api_client_id=client.pk, frontend_message_id=frontend_message_id
            )
        except DomainError as exc:
            raise _not_found_as_404(exc) from None
        if task_is_expired(task):
            raise DomainError(ErrorCode.TASK_EXPIRED, "The task has expired")
        if not task.collective:
            raise DomainError(ErrorCode.TASK_NOT_COLLECTIVE, "The task is not collective")
        if task.done:
            raise DomainError(ErrorCode.TASK_ALREADY_DONE, "The task is already done")
        Task.objects.filter(pk=task.pk).update(done=True, done_date=now())
