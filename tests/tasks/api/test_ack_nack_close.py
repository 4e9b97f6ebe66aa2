"""Ack, nack and close over HTTP (API-TASK-3, API-TASK-4, API-TASK-6; TREE-51 … TREE-56).

Every error leaves the database as it was.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from tasks.models import Task
from tests.factories import TaskFactory, UserIdentityFactory
from tests.tasks.api.support import (
    CLOSE,
    INTERACTION,
    TEXT_LABELS,
    ack,
    ack_path,
    assert_task_done,
    growing_tree,
    header_user,
    nack_path,
    prompt_in_review,
    request_task,
    snapshot,
    task_labels,
    text_reply,
)
from tests.users.api.support import assert_error
from trees.models import MessageEmoji

if TYPE_CHECKING:
    from tests.users.api.support import Caller
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(as_website: Caller, volunteer_wire: dict[str, str]) -> dict[str, Any]:
    """An assistant-reply task of the volunteer, handed out by the website, not acked."""
    growing_tree()
    return request_task(as_website, volunteer_wire, "assistant_reply")


def _row(task: dict[str, Any]) -> Task:
    return Task.objects.get(pk=task["id"])


def _expire(task_id: Any) -> None:
    Task.objects.filter(pk=task_id).update(expiry_date=timezone.now() - timedelta(minutes=1))


# --- ack (API-TASK-3, TREE-51) --------------------------------------------------------------


def test_ack_binds_the_frontend_id_and_answers_204_with_no_body(
    as_website: Caller, task: dict[str, Any]
) -> None:
    response = as_website.post(ack_path(task["id"]), {"message_id": "fe-task-1"})

    assert response.status_code == 204
    assert response.content == b""
    assert (_row(task).ack, _row(task).frontend_message_id) == (True, "fe-task-1")


def test_ack_again_with_the_same_id_is_204_and_changes_nothing(
    as_website: Caller, task: dict[str, Any]
) -> None:
    # given
    ack(as_website, task["id"], "fe-task-1")
    before = snapshot()
    # when
    response = as_website.post(ack_path(task["id"]), {"message_id": "fe-task-1"})
    # then
    assert response.status_code == 204
    assert snapshot() == before


def test_ack_again_with_the_same_id_after_expiry_is_still_204(
    as_website: Caller, task: dict[str, Any]
) -> None:
    """TREE-54: the one exception to expiry."""
    ack(as_website, task["id"], "fe-task-1")
    _expire(task["id"])
    response = as_website.post(ack_path(task["id"]), {"message_id": "fe-task-1"})
    assert response.status_code == 204


def test_ack_with_another_id_is_400_2103(as_website: Caller, task: dict[str, Any]) -> None:
    # given
    ack(as_website, task["id"], "fe-task-1")
    before = snapshot()
    # when
    response = as_website.post(ack_path(task["id"]), {"message_id": "fe-task-2"})
    # then
    assert_error(response, 400, 2103)
    assert snapshot() == before


def test_ack_of_a_done_task_is_400_2103(
    as_website: Caller, website_client: tuple[ApiClient, str], volunteer: User
) -> None:
    done = TaskFactory.create(api_client=website_client[0], user=volunteer, done=True)
    before = snapshot()
    response = as_website.post(ack_path(done.pk), {"message_id": "fe-new"})
    assert_error(response, 400, 2103)
    assert snapshot() == before


def test_ack_with_an_id_bound_to_another_task_is_400_2000(
    as_website: Caller, volunteer_wire: dict[str, str], task: dict[str, Any]
) -> None:
    """IMP-19: frontend ids are unique among the client's acknowledged tasks."""
    # given
    other = request_task(as_website, volunteer_wire, "initial_prompt")
    ack(as_website, other["id"], "fe-task-1")
    before = snapshot()
    # when
    response = as_website.post(ack_path(task["id"]), {"message_id": "fe-task-1"})
    # then
    assert_error(response, 400, 2000)
    assert snapshot() == before


def test_ack_with_an_empty_id_is_400_2000(as_website: Caller, task: dict[str, Any]) -> None:
    before = snapshot()
    response = as_website.post(ack_path(task["id"]), {"message_id": ""})
    assert_error(response, 400, 2000)
    assert snapshot() == before


def test_ack_with_an_empty_id_is_2000_before_the_task_is_looked_up(as_website: Caller) -> None:
    """TREE-51: the empty id is checked first."""
    before = snapshot()
    response = as_website.post(ack_path(uuid.uuid4()), {"message_id": ""})
    assert_error(response, 400, 2000)
    assert snapshot() == before


def test_ack_of_an_unknown_task_is_404_2100(as_website: Caller, volunteer: User) -> None:
    before = snapshot()
    response = as_website.post(ack_path(uuid.uuid4()), {"message_id": "fe-task-1"})
    assert_error(response, 404, 2100)
    assert snapshot() == before


def test_ack_of_another_clients_task_is_404_2100(as_discord: Caller, task: dict[str, Any]) -> None:
    before = snapshot()
    response = as_discord.post(ack_path(task["id"]), {"message_id": "fe-task-1"})
    assert_error(response, 404, 2100)
    assert snapshot() == before


def test_ack_of_an_expired_task_is_400_2101(as_website: Caller, task: dict[str, Any]) -> None:
    _expire(task["id"])
    before = snapshot()
    response = as_website.post(ack_path(task["id"]), {"message_id": "fe-task-1"})
    assert_error(response, 400, 2101)
    assert snapshot() == before


def test_ack_checks_only_that_a_header_user_resolves(
    as_website: Caller, task: dict[str, Any], banned_user: User
) -> None:
    """API-TASK-3: a known header user, even another (disabled) one, is not checked further."""
    response = as_website.post(
        ack_path(task["id"]),
        {"message_id": "fe-task-1"},
        HTTP_X_OASST_USER=header_user(banned_user),
    )
    assert response.status_code == 204, response.content


def test_a_skipped_task_can_still_be_acknowledged(
    as_website: Caller, volunteer: User, task: dict[str, Any]
) -> None:
    """TREE-51, TREE-52."""
    as_website.post(nack_path(task["id"]), {}, HTTP_X_OASST_USER=header_user(volunteer))
    ack(as_website, task["id"], "fe-task-1")
    assert _row(task).skipped is True


def test_a_skipped_task_can_still_be_submitted(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str], task: dict[str, Any]
) -> None:
    """TREE-52: a skipped, unexpired task may still be acknowledged and submitted."""
    as_website.post(nack_path(task["id"]), {}, HTTP_X_OASST_USER=header_user(volunteer))
    ack(as_website, task["id"], "fe-task-1")

    response = as_website.post(
        INTERACTION, text_reply(volunteer_wire, "fe-task-1", "Changed my mind")
    )

    assert_task_done(response)
    assert _row(task).done is True


# --- submitting before the ack (task validation: 2104) --------------------------------------


@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_a_label_submission_before_the_ack_is_400_2104(
    as_website: Caller, volunteer_wire: dict[str, str], path: str
) -> None:
    # given: a review task that was never acknowledged
    prompt_in_review()
    review = request_task(as_website, volunteer_wire, "label_initial_prompt")
    before = snapshot()
    # when
    response = as_website.post(path, task_labels(volunteer_wire, review, {"spam": 0.0}))
    # then
    assert_error(response, 400, 2104)
    assert snapshot() == before


def test_a_text_reply_before_the_ack_finds_no_task_400_2100(
    as_website: Caller, volunteer_wire: dict[str, str], task: dict[str, Any]
) -> None:
    """TREE-45 step 2: the frontend id is bound only at ack, so no task has it yet."""
    before = snapshot()
    response = as_website.post(INTERACTION, text_reply(volunteer_wire, "fe-task-1", "Hello"))
    assert_error(response, 400, 2100)
    assert snapshot() == before


# --- nack (API-TASK-4, TREE-52) -------------------------------------------------------------


def test_nack_with_the_user_header_skips_and_puts_the_skip_emoji(
    as_website: Caller, volunteer: User, task: dict[str, Any]
) -> None:
    """The website sends `{}` with X-OASST-USER."""
    response = as_website.post(nack_path(task["id"]), {}, HTTP_X_OASST_USER=header_user(volunteer))

    assert response.status_code == 204
    assert response.content == b""
    row = _row(task)
    assert (row.skipped, row.skip_reason) == (True, None)
    assert MessageEmoji.objects.filter(
        message_id=task["conversation"]["messages"][-1]["id"], user=volunteer, emoji="_skip_reply"
    ).exists()


def test_nack_without_a_header_acts_as_the_tasks_own_user(
    as_discord: Caller, discord_client: tuple[ApiClient, str]
) -> None:
    """IMP-13: the Python client sends no user header; `{reason}` is stored."""
    # given
    root = growing_tree()
    user = {"id": "998877", "display_name": "bob#1", "auth_method": "discord"}
    task = request_task(as_discord, user, "assistant_reply")
    # when
    response = as_discord.post(nack_path(task["id"]), {"reason": "I don't know enough"})
    # then
    assert response.status_code == 204, response.content
    row = _row(task)
    assert (row.skipped, row.skip_reason) == (True, "I don't know enough")
    emoji = MessageEmoji.objects.get(message=root, emoji="_skip_reply")
    assert emoji.user_id == row.user_id


def test_nack_of_a_label_task_puts_the_skip_labeling_emoji(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str]
) -> None:
    root = prompt_in_review()
    review = request_task(as_website, volunteer_wire, "label_initial_prompt")

    response = as_website.post(nack_path(review["id"]), {"reason": None})

    assert response.status_code == 204, response.content
    assert MessageEmoji.objects.filter(
        message=root, user=volunteer, emoji="_skip_labeling"
    ).exists()


def test_a_repeated_nack_overwrites_the_reason_and_adds_no_second_emoji(
    as_website: Caller, volunteer: User, task: dict[str, Any]
) -> None:
    """TREE-53: nacks are idempotent."""
    as_website.post(nack_path(task["id"]), {"reason": "first"})
    response = as_website.post(nack_path(task["id"]), {"reason": "second"})

    assert response.status_code == 204, response.content
    assert _row(task).skip_reason == "second"
    assert MessageEmoji.objects.filter(user=volunteer, emoji="_skip_reply").count() == 1


def test_nack_with_a_malformed_header_acts_as_the_tasks_own_user(
    as_website: Caller, volunteer: User, task: dict[str, Any]
) -> None:
    """AUTH-6: a malformed value means "no user"."""
    response = as_website.post(nack_path(task["id"]), {}, HTTP_X_OASST_USER="ada-42")

    assert response.status_code == 204, response.content
    assert MessageEmoji.objects.filter(user=volunteer, emoji="_skip_reply").exists()


def test_nack_through_a_linked_identity_acts_as_the_same_user(
    as_website: Caller, website_client: tuple[ApiClient, str], volunteer: User, task: dict[str, Any]
) -> None:
    """AUTH-7: every identity of a user acts as that user."""
    UserIdentityFactory.create(
        user=volunteer, api_client=website_client[0], auth_method="discord", username="ada#42"
    )
    response = as_website.post(nack_path(task["id"]), {}, HTTP_X_OASST_USER="discord:ada#42")

    assert response.status_code == 204, response.content
    assert _row(task).skipped is True


def test_nack_naming_another_user_in_the_header_is_400_2106(
    as_website: Caller, other_volunteer: User, task: dict[str, Any]
) -> None:
    before = snapshot()
    response = as_website.post(
        nack_path(task["id"]), {}, HTTP_X_OASST_USER=header_user(other_volunteer)
    )
    assert_error(response, 400, 2106)
    assert snapshot() == before


def test_nack_of_an_unknown_task_is_400_2100(as_website: Caller, volunteer: User) -> None:
    """API-TASK-4: 2100 with its default status 400 (unlike ack and close)."""
    before = snapshot()
    response = as_website.post(
        nack_path(uuid.uuid4()), {}, HTTP_X_OASST_USER=header_user(volunteer)
    )
    assert_error(response, 400, 2100)
    assert snapshot() == before


def test_nack_of_an_unknown_task_without_a_header_is_400_2100(as_discord: Caller) -> None:
    before = snapshot()
    response = as_discord.post(nack_path(uuid.uuid4()), {"reason": "x"})
    assert_error(response, 400, 2100)
    assert snapshot() == before


def test_nack_of_a_done_task_is_400_2105(
    as_website: Caller, website_client: tuple[ApiClient, str], volunteer: User
) -> None:
    done = TaskFactory.create(api_client=website_client[0], user=volunteer, done_task=True)
    before = snapshot()
    response = as_website.post(nack_path(done.pk), {})
    assert_error(response, 400, 2105)
    assert snapshot() == before


def test_nack_of_an_expired_task_is_400_2101(
    as_website: Caller, volunteer: User, task: dict[str, Any]
) -> None:
    _expire(task["id"])
    before = snapshot()
    response = as_website.post(nack_path(task["id"]), {}, HTTP_X_OASST_USER=header_user(volunteer))
    assert_error(response, 400, 2101)
    assert snapshot() == before


def test_nack_of_a_collective_task_does_not_skip_it_but_puts_the_skip_emoji(
    as_discord: Caller,
) -> None:
    """TREE-52: "Unless the task is collective: skipped … Then the skip emoji is added"."""
    # given
    root = growing_tree()
    user = {"id": "998877", "display_name": "bob#1", "auth_method": "discord"}
    task = request_task(as_discord, user, "assistant_reply", collective=True)
    # when
    response = as_discord.post(nack_path(task["id"]), {"reason": "pass"})
    # then
    assert response.status_code == 204, response.content
    row = _row(task)
    assert (row.skipped, row.skip_reason) == (False, None)
    assert MessageEmoji.objects.filter(message=root, user=row.user, emoji="_skip_reply").exists()


# --- close (API-TASK-6, TREE-55, IMP-1) -----------------------------------------------------


def test_close_finishes_a_collective_task_once(
    as_discord: Caller, discord_client: tuple[ApiClient, str]
) -> None:
    # given: a collective task bound to a frontend id
    user = {"id": "998877", "display_name": "bob#1", "auth_method": "discord"}
    task = request_task(as_discord, user, "initial_prompt", collective=True)
    ack(as_discord, task["id"], "discord-msg-1")

    # when
    first = as_discord.post(CLOSE, {"message_id": "discord-msg-1"})

    # then
    assert_task_done(first)
    row = _row(task)
    assert row.done is True
    assert row.done_date is not None
    before = snapshot()
    second = as_discord.post(CLOSE, {"message_id": "discord-msg-1"})
    assert_error(second, 400, 2105)
    assert snapshot() == before


def test_close_of_a_non_collective_task_is_400_2106(
    as_website: Caller, task: dict[str, Any]
) -> None:
    ack(as_website, task["id"], "fe-task-1")
    before = snapshot()
    response = as_website.post(CLOSE, {"message_id": "fe-task-1"})
    assert_error(response, 400, 2106)
    assert snapshot() == before


def test_close_of_an_unknown_frontend_id_is_404_2100(
    as_website: Caller, task: dict[str, Any]
) -> None:
    before = snapshot()
    response = as_website.post(CLOSE, {"message_id": "never-bound"})
    assert_error(response, 404, 2100)
    assert snapshot() == before


def test_close_of_another_clients_task_is_404_2100(as_website: Caller, as_discord: Caller) -> None:
    user = {"id": "998877", "display_name": "bob#1", "auth_method": "discord"}
    task = request_task(as_discord, user, "initial_prompt", collective=True)
    ack(as_discord, task["id"], "discord-msg-1")
    before = snapshot()
    response = as_website.post(CLOSE, {"message_id": "discord-msg-1"})
    assert_error(response, 404, 2100)
    assert snapshot() == before


def test_close_of_an_expired_task_is_400_2101(as_website: Caller, task: dict[str, Any]) -> None:
    """TREE-55: expiry is checked before collectiveness."""
    ack(as_website, task["id"], "fe-task-1")
    _expire(task["id"])
    before = snapshot()
    response = as_website.post(CLOSE, {"message_id": "fe-task-1"})
    assert_error(response, 400, 2101)
    assert snapshot() == before


def test_close_with_an_empty_id_is_400_2000(as_website: Caller) -> None:
    before = snapshot()
    response = as_website.post(CLOSE, {"message_id": ""})
    assert_error(response, 400, 2000)
    assert snapshot() == before
