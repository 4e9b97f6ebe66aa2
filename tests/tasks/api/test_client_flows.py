"""The task flows of the real clients, with the exact request shapes of api.md §10.

- W, the website: `{type, user, lang}` requests, ack `{message_id}` right before the
  interaction (which carries `task_id`, `user_message_id` and `lang` as extra keys), nack
  `{}` with X-OASST-USER, reports and free labels through `POST /text_labels/`.
- D, the Python Discord client: `x-api-key` only, collective requests, nack `{reason}`
  without a user header (IMP-13), `message_ranking` interactions.
- T, the text frontend: accepts the terms through `POST /frontend_users/`, then requests,
  acks and submits.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tasks.models import MessageReaction, Task, TextLabels
from tests.tasks.api.support import (
    AVAILABILITY,
    CLOSE,
    INTERACTION,
    TASKS,
    TEXT_LABELS,
    ack_path,
    assert_task_done,
    growing_tree,
    header_user,
    nack_path,
    prompt_in_review,
    ranking_group,
)
from tests.users.api.support import API, assert_error
from trees.models import FlaggedMessage, Message, MessageEmoji, MessageTreeState, TreeState
from trees.services.settings import tree_manager_settings_update
from users.models import User

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.users.api.support import Caller
    from users.models import ApiClient

pytestmark = pytest.mark.django_db


# --- W: the website -------------------------------------------------------------------------


def test_website_writes_an_initial_prompt(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str]
) -> None:
    # given: an empty database (only prompts are wanted)
    availability = as_website.post(f"{AVAILABILITY}?lang=en", volunteer_wire).json()
    assert availability["initial_prompt"] > 0

    # when
    task = as_website.post(TASKS, {"type": "random", "user": volunteer_wire, "lang": "en"}).json()
    acked = as_website.post(ack_path(task["id"]), {"message_id": "web-task-1"})
    done = as_website.post(
        INTERACTION,
        {
            "type": "text_reply_to_message",
            "user": volunteer_wire,
            "task_id": task["id"],
            "message_id": "web-task-1",
            "user_message_id": "web-message-1",
            "lang": "en",
            "text": "How do tides work?",
        },
    )

    # then
    assert task["type"] == "initial_prompt"
    assert acked.status_code == 204
    assert_task_done(done)
    root = Message.objects.get(frontend_message_id="web-message-1")
    assert (root.parent_id, root.message_tree_id, root.depth) == (None, root.pk, 0)
    assert (root.role, root.lang, root.user_id, root.text) == (
        "prompter",
        "en",
        volunteer.pk,
        "How do tides work?",
    )
    assert MessageTreeState.objects.get(message_tree_id=root.pk).state == (
        TreeState.INITIAL_PROMPT_REVIEW
    )
    row = Task.objects.get(pk=task["id"])
    assert (row.ack, row.done, row.frontend_message_id) == (True, True, "web-task-1")


def test_website_reviews_a_prompt(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str]
) -> None:
    # given
    root = prompt_in_review()
    # when
    task = as_website.post(
        TASKS, {"type": "label_initial_prompt", "user": volunteer_wire, "lang": "en"}
    ).json()
    as_website.post(ack_path(task["id"]), {"message_id": "web-task-2"})
    done = as_website.post(
        INTERACTION,
        {
            "type": "text_labels",
            "user": volunteer_wire,
            "task_id": task["id"],
            "message_id": task["message_id"],
            "user_message_id": "web-message-2",
            "lang": "en",
            "text": "",
            "labels": {"spam": 0, "lang_mismatch": 0, "quality": 0.75},
        },
    )
    # then
    assert_task_done(done)
    row = TextLabels.objects.get(message=root)
    assert (str(row.task_id), row.user_id) == (task["id"], volunteer.pk)
    assert row.labels == {"spam": 0, "lang_mismatch": 0, "quality": 0.75}
    root.refresh_from_db()
    assert root.review_count == 1


def test_website_skips_a_task_and_no_longer_sees_its_target(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str], other_volunteer: User
) -> None:
    # given: one prompt waiting for an assistant reply
    root = growing_tree()
    task = as_website.post(
        TASKS, {"type": "assistant_reply", "user": volunteer_wire, "lang": "en"}
    ).json()

    # when: the website nacks with `{}` and the user in the header
    response = as_website.post(nack_path(task["id"]), {}, HTTP_X_OASST_USER=header_user(volunteer))

    # then
    assert response.status_code == 204, response.content
    assert Task.objects.get(pk=task["id"]).skipped is True
    assert MessageEmoji.objects.filter(message=root, user=volunteer, emoji="_skip_reply").exists()
    mine = as_website.post(f"{AVAILABILITY}?lang=en", volunteer_wire).json()
    theirs = as_website.post(
        f"{AVAILABILITY}?lang=en",
        {"id": other_volunteer.username, "display_name": "Grace", "auth_method": "local"},
    ).json()
    assert (mine["assistant_reply"], theirs["assistant_reply"]) == (0, 1)


def test_website_reports_a_message(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str]
) -> None:
    """MOD-15: the report stores its text and adds the reporter's red flag, once."""
    # given
    message = growing_tree()
    report = {
        "type": "text_labels",
        "message_id": str(message.pk),
        "labels": [],
        "text": "This is spam.",
        "is_report": True,
        "user": volunteer_wire,
    }

    # when
    first = as_website.post(TEXT_LABELS, report)
    second = as_website.post(TEXT_LABELS, {**report, "text": "Really spam."})

    # then
    assert (first.status_code, first.content) == (204, b"")
    assert (second.status_code, second.content) == (204, b"")
    flag = MessageEmoji.objects.get(message=message, emoji="red_flag")
    assert flag.user_id == volunteer.pk
    message.refresh_from_db()
    assert message.emojis == {"red_flag": 1}
    assert message.review_count == 3  # reports are not reviews
    row = TextLabels.objects.get(message=message, user=volunteer)
    assert (row.task_id, row.text) == (None, "Really spam.")
    assert FlaggedMessage.objects.get(message=message).processed is False


def test_website_labels_a_message_freely(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str]
) -> None:
    """MOD-14: a free label (no task) never counts as a review; a later one replaces it."""
    # given
    message = growing_tree()
    label = {
        "type": "text_labels",
        "message_id": str(message.pk),
        "labels": {"spam": 0, "quality": 0.5},
        "text": "",
        "is_report": False,
        "user": {"id": volunteer.username, "display_name": "Ada", "auth_method": "local"},
    }

    # when
    first = as_website.post(TEXT_LABELS, label)
    second = as_website.post(TEXT_LABELS, {**label, "labels": {"humor": 1}})

    # then
    assert first.status_code == second.status_code == 204
    row = TextLabels.objects.get(message=message, user=volunteer)
    assert (row.task_id, row.labels) == (None, {"humor": 1})
    message.refresh_from_db()
    assert (message.review_count, message.review_result, message.emojis) == (3, True, None)
    assert not MessageEmoji.objects.filter(message=message).exists()


# --- D: the Python Discord client -----------------------------------------------------------


def _discord_post(key: str, path: str, body: Any) -> TestResponse:
    """Only `x-api-key`, lower case, and no user header, as the Python client sends it."""
    return Client().post(
        f"{API}{path}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"x-api-key": key},
    )


def _discord_user(number: int) -> dict[str, str]:
    return {
        "id": f"81234567890123{number}",
        "display_name": f"bot-user#{number}",
        "auth_method": "discord",
    }


def test_discord_ranks_collectively_and_closes_the_task(
    discord_client: tuple[ApiClient, str],
) -> None:
    # given: a ranking group
    root, _ = ranking_group(replies=2)
    key = discord_client[1]

    # when: one user requests a collective ranking task that the channel acks
    task = _discord_post(
        key,
        TASKS,
        {
            "type": "rank_assistant_replies",
            "user": _discord_user(1),
            "collective": True,
            "lang": "en",
        },
    ).json()
    acked = _discord_post(key, ack_path(task["id"]), {"message_id": "1090000000000000001"})
    rankings = [
        _discord_post(
            key,
            INTERACTION,
            {
                "type": "message_ranking",
                "user": _discord_user(n),
                "message_id": "1090000000000000001",
                "ranking": [1, 0],
                "not_rankable": False,
            },
        )
        for n in (1, 2)
    ]

    # then: several users may submit; the task stays open until it is closed
    assert task["type"] == "rank_assistant_replies"
    assert task["ranking_parent_id"] == str(root.pk)
    assert acked.status_code == 204
    for response in rankings:
        assert_task_done(response)
    assert MessageReaction.objects.filter(task_id=task["id"]).count() == 2
    assert set(Message.objects.filter(parent=root).values_list("ranking_count", flat=True)) == {2}
    assert Task.objects.get(pk=task["id"]).done is False
    again = _discord_post(
        key,
        INTERACTION,
        {
            "type": "message_ranking",
            "user": _discord_user(1),
            "message_id": "1090000000000000001",
            "ranking": [0, 1],
        },
    )
    assert_error(again, 400, 2105)
    assert_task_done(_discord_post(key, CLOSE, {"message_id": "1090000000000000001"}))
    assert Task.objects.get(pk=task["id"]).done is True


def test_discord_skips_without_a_user_header(discord_client: tuple[ApiClient, str]) -> None:
    """IMP-13: the task's own user acts; the reason is stored."""
    # given
    root = growing_tree()
    key = discord_client[1]
    task = _discord_post(
        key,
        TASKS,
        {"type": "assistant_reply", "user": _discord_user(3), "collective": False, "lang": "en"},
    ).json()
    assert (
        _discord_post(key, ack_path(task["id"]), {"message_id": "1090000000000000002"}).status_code
        == 204
    )

    # when
    response = _discord_post(key, nack_path(task["id"]), {"reason": "skipped by user"})

    # then
    assert response.status_code == 204, response.content
    row = Task.objects.get(pk=task["id"])
    assert (row.skipped, row.skip_reason) == (True, "skipped by user")
    user = User.objects.get(username=_discord_user(3)["id"])
    assert MessageEmoji.objects.filter(message=root, user=user, emoji="_skip_reply").exists()


def test_discord_writes_a_reply_in_a_collective_task(
    discord_client: tuple[ApiClient, str],
) -> None:
    # given
    root = growing_tree()
    key = discord_client[1]
    task = _discord_post(
        key,
        TASKS,
        {"type": "assistant_reply", "user": _discord_user(4), "collective": True, "lang": "en"},
    ).json()
    _discord_post(key, ack_path(task["id"]), {"message_id": "1090000000000000003"})

    # when
    response = _discord_post(
        key,
        INTERACTION,
        {
            "type": "text_reply_to_message",
            "user": _discord_user(4),
            "message_id": "1090000000000000003",
            "user_message_id": "1090000000000000004",
            "text": "Tides come from the moon's gravity.",
            "lang": "en",
        },
    )

    second = _discord_post(
        key,
        INTERACTION,
        {
            "type": "text_reply_to_message",
            "user": _discord_user(5),
            "message_id": "1090000000000000003",
            "user_message_id": "1090000000000000005",
            "text": "The sun helps a little too.",
            "lang": "en",
        },
    )

    # then: any user may submit to the collective task, which stays open (TREE-56)
    assert_task_done(response)
    assert_task_done(second)
    replies = Message.objects.filter(parent=root).order_by("frontend_message_id")
    assert [(r.frontend_message_id, r.role) for r in replies] == [
        ("1090000000000000004", "assistant"),
        ("1090000000000000005", "assistant"),
    ]
    assert Task.objects.get(pk=task["id"]).done is False


# --- T: the text frontend -------------------------------------------------------------------


def test_text_frontend_accepts_the_terms_then_replies(
    as_text: Caller, settings: SettingsWrapper
) -> None:
    # given: the terms are enforced and only a reply is wanted
    settings.DEBUG_IGNORE_TOS_ACCEPTANCE = False
    tree_manager_settings_update(overrides={"init_prompt_disabled_langs": "en"})
    root = growing_tree()
    user = {"id": "terminal-user", "display_name": "Terminal", "auth_method": "local"}
    assert_error(as_text.post(TASKS, {"type": "random", "user": user}), 451, 4003)

    # when
    upsert = as_text.post("/frontend_users/", {**user, "tos_acceptance": True})
    task = as_text.post(TASKS, {"type": "random", "user": user, "lang": "en"}).json()
    acked = as_text.post(ack_path(task["id"]), {"message_id": "text-task-1"})
    done = as_text.post(
        INTERACTION,
        {
            "type": "text_reply_to_message",
            "user": user,
            "message_id": "text-task-1",
            "user_message_id": "text-message-1",
            "text": "The moon pulls the oceans.",
            "lang": "en",
        },
    )

    # then
    assert upsert.status_code == 200, upsert.content
    assert upsert.json()["tos_acceptance_date"] is not None
    assert task["type"] == "assistant_reply"
    assert acked.status_code == 204
    assert_task_done(done)
    reply = Message.objects.get(frontend_message_id="text-message-1")
    assert reply.user is not None
    assert (reply.parent_id, reply.role, reply.user.username) == (
        root.pk,
        "assistant",
        "terminal-user",
    )
    root.refresh_from_db()
    assert root.children_count == 1
