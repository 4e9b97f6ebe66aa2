"""`POST /tasks/interaction` (API-TASK-5) and task-based `POST /text_labels/` (API-LBL-1).

Error codes in the order of trees.md §7 (TREE-45, TREE-46, TREE-48, TREE-53); every error
leaves the database as it was, and a repeated submission is 2105 (IMP-32).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from tasks.models import MessageReaction, Task, TextLabels
from tests.factories import MessageFactory, UserIdentityFactory
from tests.tasks.api.support import (
    INTERACTION,
    TEXT_LABELS,
    ack,
    assert_task_done,
    growing_tree,
    prompt_in_review,
    ranking,
    ranking_group,
    request_task,
    snapshot,
    task_labels,
    text_reply,
    wire_user,
)
from tests.users.api.support import assert_error, assert_validation_error
from trees.models import Message, MessageTreeState, TreeState
from trees.services.moderation import tree_halt
from trees.services.settings import tree_manager_settings_update
from users.models import User

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.users.api.support import Caller

pytestmark = pytest.mark.django_db


def _acked(
    caller: Caller, user: dict[str, str], task_type: str, frontend_id: str
) -> dict[str, Any]:
    task = request_task(caller, user, task_type)
    ack(caller, task["id"], frontend_id)
    return task


@pytest.fixture
def reply_task(as_website: Caller, volunteer_wire: dict[str, str]) -> dict[str, Any]:
    """An acknowledged assistant-reply task bound to `fe-reply`."""
    growing_tree()
    return _acked(as_website, volunteer_wire, "assistant_reply", "fe-reply")


@pytest.fixture
def ranking_task(as_website: Caller, volunteer_wire: dict[str, str]) -> dict[str, Any]:
    """An acknowledged ranking task over two assistant replies, bound to `fe-rank`."""
    ranking_group(replies=2)
    return _acked(as_website, volunteer_wire, "rank_assistant_replies", "fe-rank")


@pytest.fixture
def prompt_review(as_website: Caller, volunteer_wire: dict[str, str]) -> dict[str, Any]:
    """An acknowledged review task of a prompt, bound to `fe-review`."""
    prompt_in_review()
    return _acked(as_website, volunteer_wire, "label_initial_prompt", "fe-review")


@pytest.fixture
def reply_review(as_website: Caller, volunteer_wire: dict[str, str]) -> dict[str, Any]:
    """An acknowledged review task of an assistant reply, bound to `fe-reply-review`."""
    MessageFactory.reply(growing_tree())
    return _acked(as_website, volunteer_wire, "label_assistant_reply", "fe-reply-review")


# --- text replies (TREE-45) -----------------------------------------------------------------


def test_a_text_reply_stores_the_message_and_finishes_the_task(
    as_website: Caller,
    volunteer: User,
    volunteer_wire: dict[str, str],
    reply_task: dict[str, Any],
) -> None:
    # when: the text is trimmed of surrounding white space
    response = as_website.post(
        INTERACTION, text_reply(volunteer_wire, "fe-reply", "  The answer is 42.\n")
    )

    # then
    assert_task_done(response)
    assert response.json()["id"] != reply_task["id"]  # API-TT-7: a fresh id
    message = Message.objects.get(frontend_message_id="fe-reply-reply")
    assert message.text == "The answer is 42."
    assert (message.user_id, message.role, message.task_id) == (
        volunteer.pk,
        "assistant",
        uuid.UUID(reply_task["id"]),
    )
    assert str(message.parent_id) == reply_task["conversation"]["messages"][-1]["id"]
    assert Task.objects.get(pk=reply_task["id"]).done is True


def test_a_repeated_text_reply_is_400_2105_and_changes_nothing(
    as_website: Caller, volunteer_wire: dict[str, str], reply_task: dict[str, Any]
) -> None:
    """TREE-53, IMP-32: a replay after a timed-out submission."""
    # given
    body = text_reply(volunteer_wire, "fe-reply", "The answer is 42.")
    assert_task_done(as_website.post(INTERACTION, body))
    before = snapshot()
    # when
    response = as_website.post(INTERACTION, body)
    # then
    assert_error(response, 400, 2105)
    assert snapshot() == before


def test_a_text_reply_for_another_users_task_is_400_2106(
    as_website: Caller, other_volunteer: User, reply_task: dict[str, Any]
) -> None:
    before = snapshot()
    response = as_website.post(
        INTERACTION, text_reply(wire_user(other_volunteer), "fe-reply", "Mine now")
    )
    assert_error(response, 400, 2106)
    assert snapshot() == before


def test_a_text_reply_through_a_linked_identity_is_the_same_users(
    as_website: Caller, website_client: Any, volunteer: User, reply_task: dict[str, Any]
) -> None:
    """AUTH-7: all identities of one user act as that user (no 2106)."""
    UserIdentityFactory.create(
        user=volunteer, api_client=website_client[0], auth_method="google", username="ada@g"
    )
    linked = {"id": "ada@g", "display_name": "", "auth_method": "google"}

    assert_task_done(as_website.post(INTERACTION, text_reply(linked, "fe-reply", "Via Google")))
    assert Message.objects.get(frontend_message_id="fe-reply-reply").user_id == volunteer.pk


def test_a_text_longer_than_the_limit_is_400_1008(
    as_website: Caller,
    volunteer_wire: dict[str, str],
    reply_task: dict[str, Any],
    settings: SettingsWrapper,
) -> None:
    settings.MESSAGE_SIZE_LIMIT = 10
    before = snapshot()
    response = as_website.post(INTERACTION, text_reply(volunteer_wire, "fe-reply", "x" * 11))
    assert_error(response, 400, 1008)
    assert snapshot() == before


def test_a_text_of_exactly_the_limit_after_trimming_is_accepted(
    as_website: Caller,
    volunteer_wire: dict[str, str],
    reply_task: dict[str, Any],
    settings: SettingsWrapper,
) -> None:
    settings.MESSAGE_SIZE_LIMIT = 10
    response = as_website.post(
        INTERACTION, text_reply(volunteer_wire, "fe-reply", "  " + "x" * 10 + "\n")
    )
    assert_task_done(response)


@pytest.mark.parametrize("text", ["", "   ", "\n\t \r\n"], ids=["empty", "spaces", "white space"])
def test_a_text_empty_after_trimming_is_422(
    as_website: Caller, volunteer_wire: dict[str, str], reply_task: dict[str, Any], text: str
) -> None:
    """API-IA-1: must be non-empty after trimming (422 otherwise)."""
    before = snapshot()
    response = as_website.post(INTERACTION, text_reply(volunteer_wire, "fe-reply", text))
    assert_validation_error(response, "body", "text")
    assert snapshot() == before


def test_the_same_text_again_within_the_window_is_400_1009(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    # given: the volunteer wrote a prompt
    _acked(as_website, volunteer_wire, "initial_prompt", "fe-prompt-1")
    _acked(as_website, volunteer_wire, "initial_prompt", "fe-prompt-2")
    first = text_reply(volunteer_wire, "fe-prompt-1", "Explain photosynthesis.")
    assert_task_done(as_website.post(INTERACTION, first))
    before = snapshot()
    # when: the same text, with other white space, for another task
    response = as_website.post(
        INTERACTION, text_reply(volunteer_wire, "fe-prompt-2", " Explain photosynthesis.\n")
    )
    # then
    assert_error(response, 400, 1009)
    assert snapshot() == before


def test_a_user_message_id_already_used_is_400_2000(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """TREE-45 step 7."""
    _acked(as_website, volunteer_wire, "initial_prompt", "fe-prompt-1")
    _acked(as_website, volunteer_wire, "initial_prompt", "fe-prompt-2")
    body = text_reply(volunteer_wire, "fe-prompt-1", "First", user_message_id="fe-msg")
    assert_task_done(as_website.post(INTERACTION, body))
    before = snapshot()

    response = as_website.post(
        INTERACTION, text_reply(volunteer_wire, "fe-prompt-2", "Second", user_message_id="fe-msg")
    )

    assert_error(response, 400, 2000)
    assert snapshot() == before


@pytest.mark.parametrize("empty", ["message_id", "user_message_id"])
def test_an_empty_frontend_id_in_a_text_reply_is_400_2000(
    as_website: Caller, volunteer_wire: dict[str, str], reply_task: dict[str, Any], empty: str
) -> None:
    """TREE-45 step 1."""
    before = snapshot()
    response = as_website.post(
        INTERACTION, {**text_reply(volunteer_wire, "fe-reply", "An answer"), empty: ""}
    )
    assert_error(response, 400, 2000)
    assert snapshot() == before


def test_a_text_reply_for_a_review_task_is_400_2107(
    as_website: Caller, volunteer_wire: dict[str, str], reply_review: dict[str, Any]
) -> None:
    """TREE-45 step 6: the task does not take a text."""
    before = snapshot()
    response = as_website.post(INTERACTION, text_reply(volunteer_wire, "fe-reply-review", "Hi"))
    assert_error(response, 400, 2107)
    assert snapshot() == before


# --- rankings (TREE-48) ---------------------------------------------------------------------


def test_a_ranking_is_stored_and_counted(
    as_website: Caller, volunteer_wire: dict[str, str], ranking_task: dict[str, Any]
) -> None:
    response = as_website.post(INTERACTION, ranking(volunteer_wire, "fe-rank", [1, 0]))

    assert_task_done(response)
    reaction = MessageReaction.objects.get()
    shown = [message["id"] for message in ranking_task["reply_messages"]]
    assert reaction.payload["payload"]["ranked_message_ids"] == [shown[1], shown[0]]
    assert set(Message.objects.filter(pk__in=shown).values_list("ranking_count", flat=True)) == {1}
    assert Task.objects.get(pk=ranking_task["id"]).done is True


@pytest.mark.parametrize("order", [[0], [0, 0], [0, 1, 2], [1, 2], [-1, 0]], ids=str)
def test_a_ranking_that_is_not_a_permutation_is_400_2003(
    as_website: Caller,
    volunteer_wire: dict[str, str],
    ranking_task: dict[str, Any],
    order: list[int],
) -> None:
    before = snapshot()
    response = as_website.post(INTERACTION, ranking(volunteer_wire, "fe-rank", order))
    assert_error(response, 400, 2003)
    assert snapshot() == before


def test_a_repeated_ranking_is_400_2105_and_changes_nothing(
    as_website: Caller, volunteer_wire: dict[str, str], ranking_task: dict[str, Any]
) -> None:
    assert_task_done(as_website.post(INTERACTION, ranking(volunteer_wire, "fe-rank", [0, 1])))
    before = snapshot()
    response = as_website.post(INTERACTION, ranking(volunteer_wire, "fe-rank", [1, 0]))
    assert_error(response, 400, 2105)
    assert snapshot() == before


def test_a_ranking_for_a_reply_task_is_400_2102(
    as_website: Caller, volunteer_wire: dict[str, str], reply_task: dict[str, Any]
) -> None:
    before = snapshot()
    response = as_website.post(INTERACTION, ranking(volunteer_wire, "fe-reply", [0]))
    assert_error(response, 400, 2102)
    assert snapshot() == before


def test_a_ranking_for_another_users_task_is_400_2106(
    as_website: Caller, other_volunteer: User, ranking_task: dict[str, Any]
) -> None:
    before = snapshot()
    response = as_website.post(INTERACTION, ranking(wire_user(other_volunteer), "fe-rank", [0, 1]))
    assert_error(response, 400, 2106)
    assert snapshot() == before


# --- task-based labels (TREE-46) ------------------------------------------------------------


@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_a_review_counts_and_finishes_the_task(
    as_website: Caller,
    volunteer: User,
    volunteer_wire: dict[str, str],
    prompt_review: dict[str, Any],
    path: str,
) -> None:
    # given
    long_ago = timezone.now() - timedelta(days=3)
    User.objects.filter(pk=volunteer.pk).update(last_activity_date=long_ago)
    # when
    response = as_website.post(
        path, task_labels(volunteer_wire, prompt_review, {"spam": 0.0, "quality": 0.75})
    )
    # then
    if path == INTERACTION:
        assert_task_done(response)
    else:
        assert (response.status_code, response.content) == (204, b"")
    row = TextLabels.objects.get()
    assert (str(row.pk), str(row.task_id)) == (prompt_review["id"], prompt_review["id"])
    assert (row.user_id, row.labels) == (volunteer.pk, {"spam": 0.0, "quality": 0.75})
    assert Message.objects.get(pk=prompt_review["message_id"]).review_count == 1
    assert Task.objects.get(pk=prompt_review["id"]).done is True
    volunteer.refresh_from_db()
    assert volunteer.last_activity_date is not None
    assert volunteer.last_activity_date > long_ago  # STAT-13, through either endpoint


def test_a_review_through_text_labels_is_evaluated(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """IMP-20: the deciding review through `/text_labels/` accepts the prompt (TREE-47)."""
    # given: one review decides a prompt
    tree_manager_settings_update(overrides={"num_reviews_initial_prompt": 1})
    root = prompt_in_review()
    review = _acked(as_website, volunteer_wire, "label_initial_prompt", "fe-review")
    # when
    response = as_website.post(TEXT_LABELS, task_labels(volunteer_wire, review, {"spam": 0.0}))
    # then
    assert response.status_code == 204, response.content
    root.refresh_from_db()
    assert root.review_result is True
    assert MessageTreeState.objects.get(message_tree_id=root.pk).state == (
        TreeState.PROMPT_LOTTERY_WAITING
    )


@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_a_repeated_review_is_400_2105_and_changes_nothing(
    as_website: Caller, volunteer_wire: dict[str, str], prompt_review: dict[str, Any], path: str
) -> None:
    body = task_labels(volunteer_wire, prompt_review, {"spam": 0.0})
    assert as_website.post(path, body).status_code in (200, 204)
    before = snapshot()

    response = as_website.post(path, body)

    assert_error(response, 400, 2105)
    assert snapshot() == before


@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_a_label_not_valid_for_the_task_is_400_2051(
    as_website: Caller, volunteer_wire: dict[str, str], prompt_review: dict[str, Any], path: str
) -> None:
    """`fails_task` is not among the prompt labels (trees.md §13)."""
    before = snapshot()
    response = as_website.post(
        path, task_labels(volunteer_wire, prompt_review, {"spam": 0.0, "fails_task": 1.0})
    )
    assert_error(response, 400, 2051)
    assert snapshot() == before


@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_a_missing_mandatory_label_is_400_2052(
    as_website: Caller, volunteer_wire: dict[str, str], prompt_review: dict[str, Any], path: str
) -> None:
    before = snapshot()
    response = as_website.post(path, task_labels(volunteer_wire, prompt_review, {"quality": 1.0}))
    assert_error(response, 400, 2052)
    assert snapshot() == before


@pytest.mark.parametrize("review", ["prompt_review", "reply_review"])
@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_labels_for_another_message_than_the_tasks_are_400_2050(
    request: pytest.FixtureRequest,
    as_website: Caller,
    volunteer_wire: dict[str, str],
    path: str,
    review: str,
) -> None:
    """TREE-46 step 3, IMP-14: for prompt and reply reviews alike."""
    # given
    task: dict[str, Any] = request.getfixturevalue(review)
    elsewhere = MessageFactory.create()
    before = snapshot()
    # when
    response = as_website.post(
        path,
        task_labels(volunteer_wire, task, {"spam": 0.0}, message_id=str(elsewhere.pk)),
    )
    # then
    assert_error(response, 400, 2050)
    assert snapshot() == before


def test_labels_for_a_ranking_task_are_400_2102(
    as_website: Caller, volunteer_wire: dict[str, str], ranking_task: dict[str, Any]
) -> None:
    before = snapshot()
    body = task_labels(
        volunteer_wire,
        {"id": ranking_task["id"], "message_id": ranking_task["ranking_parent_id"]},
        {"spam": 0.0},
    )
    response = as_website.post(INTERACTION, body)
    assert_error(response, 400, 2102)
    assert snapshot() == before


def test_labels_for_another_users_task_are_400_2106(
    as_website: Caller, other_volunteer: User, prompt_review: dict[str, Any]
) -> None:
    before = snapshot()
    response = as_website.post(
        TEXT_LABELS, task_labels(wire_user(other_volunteer), prompt_review, {"spam": 0.0})
    )
    assert_error(response, 400, 2106)
    assert snapshot() == before


@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_labels_for_an_unknown_task_are_400_2100(
    as_website: Caller, volunteer_wire: dict[str, str], path: str
) -> None:
    message = MessageFactory.create()
    before = snapshot()
    response = as_website.post(
        path,
        task_labels(volunteer_wire, {"id": str(uuid.uuid4()), "message_id": str(message.pk)}, {}),
    )
    assert_error(response, 400, 2100)
    assert snapshot() == before


# --- free labels and reports without a task (MOD-14, MOD-15) --------------------------------


@pytest.mark.parametrize(
    ("path", "is_activity"),
    [(INTERACTION, True), (TEXT_LABELS, False)],
    ids=["interaction", "text_labels"],
)
def test_a_free_label_counts_as_activity_only_as_an_interaction(
    as_website: Caller,
    volunteer: User,
    volunteer_wire: dict[str, str],
    path: str,
    is_activity: bool,
) -> None:
    """API-TASK-5 answers `task_done` and updates activity; API-LBL-1 answers 204 (STAT-13)."""
    # given
    long_ago = timezone.now() - timedelta(days=3)
    User.objects.filter(pk=volunteer.pk).update(last_activity_date=long_ago)
    message = growing_tree()
    # when
    response = as_website.post(
        path,
        {
            "type": "text_labels",
            "user": volunteer_wire,
            "message_id": str(message.pk),
            "labels": {"quality": 1},
            "text": "",
        },
    )
    # then
    if path == INTERACTION:
        assert_task_done(response)
    else:
        assert (response.status_code, response.content) == (204, b"")
    assert TextLabels.objects.get(message=message).labels == {"quality": 1.0}
    volunteer.refresh_from_db()
    assert (volunteer.last_activity_date != long_ago) is is_activity


@pytest.mark.parametrize("path", [INTERACTION, TEXT_LABELS], ids=["interaction", "text_labels"])
def test_a_free_label_on_an_unknown_message_is_404_2001(
    as_website: Caller, volunteer_wire: dict[str, str], path: str
) -> None:
    before = snapshot()
    response = as_website.post(
        path,
        {
            "type": "text_labels",
            "user": volunteer_wire,
            "message_id": str(uuid.uuid4()),
            "labels": {"spam": 1.0},
            "text": "",
        },
    )
    assert_error(response, 404, 2001)
    assert snapshot() == before


# --- task validation and tree state ---------------------------------------------------------


def test_a_submission_for_an_expired_task_is_400_2101(
    as_website: Caller, volunteer_wire: dict[str, str], reply_task: dict[str, Any]
) -> None:
    """TREE-54."""
    Task.objects.filter(pk=reply_task["id"]).update(expiry_date=timezone.now() - timedelta(1))
    before = snapshot()
    response = as_website.post(INTERACTION, text_reply(volunteer_wire, "fe-reply", "Late"))
    assert_error(response, 400, 2101)
    assert snapshot() == before


def test_a_reply_into_a_halted_tree_is_400_2010(
    as_website: Caller, volunteer_wire: dict[str, str], reply_task: dict[str, Any]
) -> None:
    """TREE-45 step 5: the tree no longer accepts replies."""
    # given: a moderator halted the tree after the task was handed out
    tree_halt(tree_id=uuid.UUID(reply_task["conversation"]["messages"][0]["id"]))
    before = snapshot()
    # when
    response = as_website.post(INTERACTION, text_reply(volunteer_wire, "fe-reply", "Too late"))
    # then
    assert_error(response, 400, 2010)
    assert snapshot() == before


# --- interaction discrimination (API-IA-5) and lenient input (API-GEN-2, API-GEN-3) ----------


def test_an_interaction_without_type_is_the_first_that_fits(
    as_website: Caller, volunteer_wire: dict[str, str], reply_task: dict[str, Any]
) -> None:
    body = text_reply(volunteer_wire, "fe-reply", "No type given.")
    del body["type"]
    body["unknown_extra_key"] = {"ignored": True}

    assert_task_done(as_website.post(INTERACTION, body))
    assert Message.objects.filter(frontend_message_id="fe-reply-reply").exists()


def test_task_labels_may_be_a_list_of_pairs(
    as_website: Caller, volunteer_wire: dict[str, str], prompt_review: dict[str, Any]
) -> None:
    """API-IA-3: `labels` as `[name, value]` pairs; `type` may be omitted on /text_labels/."""
    body = task_labels(volunteer_wire, prompt_review, {})
    body["labels"] = [["spam", 0], ["quality", 1]]
    del body["type"]

    response = as_website.post(TEXT_LABELS, body)

    assert response.status_code == 204, response.content
    assert TextLabels.objects.get().labels == {"spam": 0.0, "quality": 1.0}


def test_a_numeric_frontend_id_is_bound_as_its_string(
    as_discord: Caller, discord_client: Any
) -> None:
    """API-GEN-3: the Discord bots send numeric ids."""
    user = {"id": 123456789, "display_name": "bob#1", "auth_method": "discord"}
    task = request_task(as_discord, user, "initial_prompt")

    response = as_discord.post(f"/tasks/{task['id']}/ack", {"message_id": 1090000000000000001})

    assert response.status_code == 204, response.content
    assert Task.objects.get(pk=task["id"]).frontend_message_id == "1090000000000000001"
    done = as_discord.post(
        INTERACTION, text_reply(user, "1090000000000000001", "Numbers everywhere.")
    )
    assert_task_done(done)
