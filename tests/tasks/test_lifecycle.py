"""The task lifecycle through the services: ack, nack, close (TREE-51 … TREE-56)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from journal.models import Journal
from shared_protocol.errors import DomainError
from tasks.models import Task
from tasks.services.lifecycle import task_acknowledge, task_close, task_reject
from tests.factories import ApiClientFactory, MessageFactory, TaskFactory, UserFactory
from trees.models import MessageEmoji

pytestmark = pytest.mark.django_db


def _code(exc: pytest.ExceptionInfo[DomainError]) -> tuple[int, int]:
    return int(exc.value.code), int(exc.value.status)


def test_ack_binds_the_frontend_id() -> None:
    task = TaskFactory.create()
    task_acknowledge(client=task.api_client, task_id=task.pk, frontend_message_id="f-1")
    task.refresh_from_db()
    assert (task.ack, task.frontend_message_id) == (True, "f-1")


def test_ack_with_the_same_id_is_idempotent_even_after_expiry() -> None:
    task = TaskFactory.create(ack=True, frontend_message_id="f-1")
    Task.objects.filter(pk=task.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    task_acknowledge(client=task.api_client, task_id=task.pk, frontend_message_id="f-1")


@pytest.mark.parametrize(
    ("setup", "frontend_id", "expected"),
    [
        ("none", "", (2000, 400)),
        ("unknown", "f-1", (2100, 404)),
        ("expired", "f-1", (2101, 400)),
        ("done", "f-1", (2103, 400)),
        ("acked_other", "f-1", (2103, 400)),
        ("id_taken", "f-taken", (2000, 400)),
    ],
)
def test_ack_errors_in_spec_order(setup: str, frontend_id: str, expected: tuple[int, int]) -> None:
    """TREE-51: empty id, unknown task (404), expired, done or acked, id in use."""
    task = TaskFactory.create()
    client = task.api_client
    task_id = task.pk
    if setup == "unknown":
        task_id = TaskFactory.create().pk  # another client's task
    elif setup == "expired":
        Task.objects.filter(pk=task.pk).update(expiry_date=timezone.now() - timedelta(minutes=1))
    elif setup == "done":
        Task.objects.filter(pk=task.pk).update(done=True)
    elif setup == "acked_other":
        Task.objects.filter(pk=task.pk).update(ack=True, frontend_message_id="f-other")
    elif setup == "id_taken":
        TaskFactory.create(api_client=client, ack=True, frontend_message_id="f-taken")
    before = list(Task.objects.order_by("pk").values())

    with pytest.raises(DomainError) as excinfo:
        task_acknowledge(client=client, task_id=task_id, frontend_message_id=frontend_id)

    assert _code(excinfo) == expected
    assert list(Task.objects.order_by("pk").values()) == before


def test_nack_skips_and_puts_the_skip_emoji_on_the_target() -> None:
    """TREE-52: `_skip_reply` for reply tasks; journaled as task_skipped."""
    parent = MessageFactory.create(accepted=True)
    task = TaskFactory.create(payload_type="AssistantReplyPayload", parent_message_id=parent.pk)

    task_reject(client=task.api_client, task_id=task.pk, user_id=None, reason="too hard")

    task.refresh_from_db()
    assert (task.skipped, task.skip_reason) == (True, "too hard")
    emoji = MessageEmoji.objects.get()
    assert (emoji.message_id, emoji.user_id, emoji.emoji) == (
        parent.pk,
        task.user_id,
        "_skip_reply",
    )
    event = Journal.objects.get(event_type="task_skipped")
    assert event.fields["reason"] == "too hard"


def test_repeated_nack_overwrites_the_reason_and_adds_no_second_emoji() -> None:
    parent = MessageFactory.create()
    task = TaskFactory.create(payload_type="LabelInitialPromptPayload", parent_message_id=parent.pk)
    task_reject(client=task.api_client, task_id=task.pk, user_id=None, reason="a")
    task_reject(client=task.api_client, task_id=task.pk, user_id=None, reason="b")
    task.refresh_from_db()
    assert task.skip_reason == "b"
    assert list(MessageEmoji.objects.values_list("emoji", flat=True)) == ["_skip_labeling"]


def test_nack_by_another_user_is_2106() -> None:
    task = TaskFactory.create()
    other = UserFactory.create(api_client=task.api_client)
    with pytest.raises(DomainError) as excinfo:
        task_reject(client=task.api_client, task_id=task.pk, user_id=other.pk, reason=None)
    assert _code(excinfo) == (2106, 400)
    task.refresh_from_db()
    assert task.skipped is False


def test_nack_of_an_unknown_task_is_400_2100() -> None:
    task = TaskFactory.create()
    with pytest.raises(DomainError) as excinfo:
        task_reject(client=ApiClientFactory.create(), task_id=task.pk, user_id=None, reason=None)
    assert _code(excinfo) == (2100, 400)


def test_close_finishes_a_collective_task_once() -> None:
    """TREE-55."""
    task = TaskFactory.create(
        collective=True, ack=True, frontend_message_id="c-1", expiry_date=None
    )
    task_close(client=task.api_client, frontend_message_id="c-1")
    task.refresh_from_db()
    assert task.done is True
    with pytest.raises(DomainError) as excinfo:
        task_close(client=task.api_client, frontend_message_id="c-1")
    assert _code(excinfo) == (2105, 400)


@pytest.mark.parametrize(
    ("collective", "frontend_id", "expected"),
    [(True, "", (2000, 400)), (True, "nope", (2100, 404)), (False, "c-1", (2106, 400))],
)
def test_close_errors(collective: bool, frontend_id: str, expected: tuple[int, int]) -> None:
    task = TaskFactory.create(collective=collective, ack=True, frontend_message_id="c-1")
    with pytest.raises(DomainError) as excinfo:
        task_close(client=task.api_client, frontend_message_id=frontend_id)
    assert _code(excinfo) == expected
    task.refresh_from_db()
    assert task.done is False
