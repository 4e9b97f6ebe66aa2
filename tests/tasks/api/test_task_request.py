"""`POST /tasks/` (API-TASK-1) and `POST /tasks/availability` (API-TASK-2) over HTTP.

The task objects must have the shapes of api.md §7; availability has every TaskRequestType
(TREE-41); explicit types with nothing available are 503 / 1006 (TREE-31); the pending cap
is 400 / 1012 (TREE-21); the body user acts, whatever `x-oasst-user` says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Task
from tests.factories import MessageFactory, UserFactory, UserIdentityFactory
from tests.tasks.api.support import (
    AVAILABILITY,
    CONVERSATION_MESSAGE_KEYS,
    TASK_KEYS,
    TASK_REQUEST_TYPES,
    TASKS,
    growing_tree,
    header_user,
    is_uuid,
    nack_path,
    prompt_in_review,
    ranking_group,
    request_task,
    snapshot,
    wire_user,
)
from tests.users.api.support import assert_error
from trees.services.settings import tree_manager_settings_update

if TYPE_CHECKING:
    from pytest_django import DjangoAssertNumQueries

    from tests.users.api.support import Caller
    from trees.models import Message
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

# trees.md §13 defaults.
LABELS_INITIAL_PROMPT = [
    "spam",
    "lang_mismatch",
    "quality",
    "creativity",
    "humor",
    "toxicity",
    "violence",
    "not_appropriate",
    "pii",
    "hate_speech",
    "sexual_content",
]
LABELS_ASSISTANT_REPLY = [
    "spam",
    "lang_mismatch",
    "fails_task",
    "quality",
    "helpfulness",
    "creativity",
    "humor",
    "toxicity",
    "violence",
    "not_appropriate",
    "pii",
    "hate_speech",
    "sexual_content",
]
LABELS_PROMPTER_REPLY = LABELS_INITIAL_PROMPT


def _assert_conversation(conversation: Any, messages: list[Message]) -> None:
    """API-OBJ-5: `{messages: [ConversationMessage]}`, root first, these messages."""
    assert set(conversation) == {"messages"}
    assert [item["id"] for item in conversation["messages"]] == [str(m.pk) for m in messages]
    for item, message in zip(conversation["messages"], messages, strict=True):
        assert set(item) == CONVERSATION_MESSAGE_KEYS, item
        assert item["text"] == message.text
        assert item["is_assistant"] is (message.role == "assistant")
        assert item["frontend_message_id"] == message.frontend_message_id
        assert item["user_id"] == str(message.user_id)


def _assert_stored(task: dict[str, Any], volunteer: User, api_client: ApiClient) -> Task:
    """API-TASK-1: the task is already stored with the returned `id`."""
    assert is_uuid(task["id"])
    row = Task.objects.get(pk=task["id"])
    assert (row.user_id, row.api_client_id) == (volunteer.pk, api_client.pk)
    assert (row.ack, row.done, row.skipped, row.collective) == (None, False, False, False)
    return row


def _assert_label_descriptions(task: dict[str, Any]) -> None:
    """API-TT-5/6: `labels` describes each of `valid_labels`, same order (API-OBJ-11)."""
    assert [label["name"] for label in task["labels"]] == task["valid_labels"]
    for label in task["labels"]:
        assert set(label) == {"name", "widget", "display_text", "help_text"}
        assert label["widget"] in ("yes_no", "flag", "likert")
        assert label["display_text"]


# --- the task objects of §7 -----------------------------------------------------------------


def test_initial_prompt_task(
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    volunteer: User,
    volunteer_wire: dict[str, str],
) -> None:
    """API-TT-1: `{id, type, hint}` with `hint` always null."""
    task = request_task(as_website, volunteer_wire, "initial_prompt")

    assert set(task) == TASK_KEYS["initial_prompt"]
    assert (task["type"], task["hint"]) == ("initial_prompt", None)
    row = _assert_stored(task, volunteer, website_client[0])
    assert (row.parent_message_id, row.message_tree_id) == (None, None)


def test_assistant_reply_task(
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    volunteer: User,
    volunteer_wire: dict[str, str],
) -> None:
    """API-TT-3: the conversation ends with a prompter message."""
    root = growing_tree()

    task = request_task(as_website, volunteer_wire, "assistant_reply")

    assert set(task) == TASK_KEYS["assistant_reply"]
    assert task["type"] == "assistant_reply"
    _assert_conversation(task["conversation"], [root])
    assert task["conversation"]["messages"][-1]["is_assistant"] is False
    row = _assert_stored(task, volunteer, website_client[0])
    assert (row.parent_message_id, row.message_tree_id) == (root.pk, root.message_tree_id)


def test_prompter_reply_task(
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    volunteer: User,
    volunteer_wire: dict[str, str],
) -> None:
    """API-TT-2: `hint` null; the conversation ends with an assistant message."""
    root = growing_tree()
    answer = MessageFactory.reply(root, accepted=True)

    task = request_task(as_website, volunteer_wire, "prompter_reply")

    assert set(task) == TASK_KEYS["prompter_reply"]
    assert (task["type"], task["hint"]) == ("prompter_reply", None)
    _assert_conversation(task["conversation"], [root, answer])
    assert task["conversation"]["messages"][-1]["is_assistant"] is True
    assert _assert_stored(task, volunteer, website_client[0]).parent_message_id == answer.pk


def test_rank_assistant_replies_task(
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    volunteer: User,
    volunteer_wire: dict[str, str],
) -> None:
    """API-TT-4: `replies` are the texts of `reply_messages`, same order."""
    root, replies = ranking_group(replies=3)

    task = request_task(as_website, volunteer_wire, "rank_assistant_replies")

    assert set(task) == TASK_KEYS["rank_assistant_replies"]
    assert task["type"] == "rank_assistant_replies"
    _assert_conversation(task["conversation"], [root])
    assert task["replies"] == [message["text"] for message in task["reply_messages"]]
    assert sorted(m["id"] for m in task["reply_messages"]) == sorted(str(r.pk) for r in replies)
    for message in task["reply_messages"]:
        assert set(message) == CONVERSATION_MESSAGE_KEYS
        assert message["is_assistant"] is True
        assert message["synthetic"] is None  # not revealed: none of them is synthetic
    assert task["reveal_synthetic"] is False
    assert task["message_tree_id"] == str(root.message_tree_id)
    assert task["ranking_parent_id"] == str(root.pk)
    assert _assert_stored(task, volunteer, website_client[0]).parent_message_id == root.pk


def test_rank_prompter_replies_task_when_enabled(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """API-TT-4, TREE-27: prompter groups are ranked when `rank_prompter_replies` is on."""
    tree_manager_settings_update(overrides={"rank_prompter_replies": True})
    root, _ = ranking_group(replies=1)
    answer = root.children.get()
    questions = [MessageFactory.reply(answer, accepted=True) for _ in range(2)]

    task = request_task(as_website, volunteer_wire, "rank_prompter_replies")

    assert set(task) == TASK_KEYS["rank_prompter_replies"]
    assert task["type"] == "rank_prompter_replies"
    _assert_conversation(task["conversation"], [root, answer])
    assert task["replies"] == [message["text"] for message in task["reply_messages"]]
    assert sorted(m["id"] for m in task["reply_messages"]) == sorted(str(q.pk) for q in questions)
    assert task["ranking_parent_id"] == str(answer.pk)


def test_ranking_of_synthetic_replies_reveals_them(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """API-TT-4, TREE-32: when every reply is synthetic, `reveal_synthetic` is true."""
    _, replies = ranking_group(replies=2)
    for reply in replies:
        type(reply).objects.filter(pk=reply.pk).update(synthetic=True, model_name="model-1")

    task = request_task(as_website, volunteer_wire, "rank_assistant_replies")

    assert task["reveal_synthetic"] is True
    assert [message["synthetic"] for message in task["reply_messages"]] == [True, True]
    assert task["replies"] == [message["text"] for message in task["reply_messages"]]


def test_label_initial_prompt_task(
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    volunteer: User,
    volunteer_wire: dict[str, str],
) -> None:
    """API-TT-5: the conversation is the root alone; `prompt` is its text."""
    root = prompt_in_review()

    task = request_task(as_website, volunteer_wire, "label_initial_prompt")

    assert set(task) == TASK_KEYS["label_initial_prompt"]
    assert task["type"] == "label_initial_prompt"
    assert task["message_id"] == str(root.pk)
    assert task["prompt"] == root.text
    _assert_conversation(task["conversation"], [root])
    assert task["valid_labels"] == LABELS_INITIAL_PROMPT
    assert task["mandatory_labels"] == ["spam"]
    assert (task["mode"], task["disposition"]) == ("full", "quality")
    _assert_label_descriptions(task)
    assert _assert_stored(task, volunteer, website_client[0]).parent_message_id == root.pk


def test_label_assistant_reply_task(as_website: Caller, volunteer_wire: dict[str, str]) -> None:
    """API-TT-6: the conversation ends with the reply; `reply` is its text; explicit → full."""
    root = growing_tree()
    answer = MessageFactory.reply(root)

    task = request_task(as_website, volunteer_wire, "label_assistant_reply")

    assert set(task) == TASK_KEYS["label_assistant_reply"]
    assert task["type"] == "label_assistant_reply"
    assert task["message_id"] == str(answer.pk)
    assert task["reply"] == answer.text
    _assert_conversation(task["conversation"], [root, answer])
    assert task["valid_labels"] == LABELS_ASSISTANT_REPLY
    assert task["mandatory_labels"] == ["spam"]
    assert (task["mode"], task["disposition"]) == ("full", "quality")
    _assert_label_descriptions(task)


def test_label_prompter_reply_task(as_website: Caller, volunteer_wire: dict[str, str]) -> None:
    """API-TT-6 for a prompter reply under review."""
    root = growing_tree()
    answer = MessageFactory.reply(root, accepted=True)
    question = MessageFactory.reply(answer)

    task = request_task(as_website, volunteer_wire, "label_prompter_reply")

    assert set(task) == TASK_KEYS["label_prompter_reply"]
    assert task["type"] == "label_prompter_reply"
    assert task["message_id"] == str(question.pk)
    assert task["reply"] == question.text
    _assert_conversation(task["conversation"], [root, answer, question])
    assert task["valid_labels"] == LABELS_PROMPTER_REPLY
    assert (task["mode"], task["disposition"]) == ("full", "quality")
    _assert_label_descriptions(task)


def test_a_random_request_hands_out_one_of_the_task_objects(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """TREE-30: with a ranking group, reviews and replies available, some task of §7."""
    ranking_group(replies=2)
    prompt_in_review()
    growing_tree()

    for _ in range(5):
        task = request_task(as_website, volunteer_wire, "random")
        assert task["type"] in TASK_KEYS
        assert set(task) == TASK_KEYS[task["type"]]


def test_the_body_user_acts_whatever_the_user_header_says(
    as_website: Caller,
    volunteer: User,
    volunteer_wire: dict[str, str],
    other_volunteer: User,
) -> None:
    """API-TASK-1: an `x-oasst-user` header does not change who acts."""
    # when: the website names another user in the header, and an unknown one
    first = as_website.post(
        TASKS,
        {"type": "initial_prompt", "user": volunteer_wire, "lang": "en"},
        HTTP_X_OASST_USER=header_user(other_volunteer),
    )
    second = as_website.post(
        TASKS,
        {"type": "initial_prompt", "user": volunteer_wire, "lang": "en"},
        HTTP_X_OASST_USER="local:nobody-at-all",
    )
    # then
    assert (first.status_code, second.status_code) == (200, 200)
    assert set(Task.objects.values_list("user_id", flat=True)) == {volunteer.pk}


def test_the_body_user_display_name_is_updated(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str]
) -> None:
    """AUTH-5: a non-empty, different display name of the primary identity is stored."""
    request_task(as_website, {**volunteer_wire, "display_name": "Ada Lovelace"}, "initial_prompt")
    request_task(as_website, {**volunteer_wire, "display_name": ""}, "initial_prompt")

    volunteer.refresh_from_db()
    assert volunteer.display_name == "Ada Lovelace"


def test_a_collective_request_stores_a_collective_task_without_expiry(
    as_discord: Caller, discord_client: tuple[ApiClient, str]
) -> None:
    """TREE-38: `collective` from the request; no expiry."""
    user = {"id": "1234567890", "display_name": "bob#1", "auth_method": "discord"}
    task = request_task(as_discord, user, "initial_prompt", collective=True)
    row = Task.objects.get(pk=task["id"])
    assert (row.collective, row.expiry_date) == (True, None)


def test_a_null_lang_means_english(as_website: Caller, volunteer_wire: dict[str, str]) -> None:
    """TREE-39: a missing or null `lang` means `en`."""
    root = growing_tree()
    growing_tree(message_tree__lang="de")

    task = request_task(as_website, volunteer_wire, "assistant_reply", lang=None)

    assert task["conversation"]["messages"][0]["id"] == str(root.pk)


def test_a_numeric_user_id_is_accepted_as_its_string(as_discord: Caller) -> None:
    """API-GEN-3: a JSON number where a string is expected (a numeric frontend id)."""
    user = {"id": 1234567890, "display_name": "bob#1", "auth_method": "discord"}
    task = request_task(as_discord, user, "initial_prompt")
    row = Task.objects.select_related("user").get(pk=task["id"])
    assert row.user is not None
    assert row.user.username == "1234567890"


# --- availability (API-TASK-2, TREE-41) -----------------------------------------------------


def test_availability_has_every_request_type_and_random_is_the_sum(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    # given: one tree of each working state
    prompt_in_review()
    growing_tree()
    ranking_group(replies=2)
    before = snapshot()

    # when
    response = as_website.post(f"{AVAILABILITY}?lang=en", volunteer_wire)

    # then
    assert response.status_code == 200, response.content
    counts = response.json()
    assert set(counts) == set(TASK_REQUEST_TYPES)
    assert all(isinstance(value, int) for value in counts.values())
    assert counts["random"] == sum(v for k, v in counts.items() if k != "random")
    assert counts["summarize_story"] == counts["rate_summary"] == 0
    assert counts["rank_initial_prompts"] == 0
    assert counts["label_initial_prompt"] == 1
    assert counts["assistant_reply"] == 1
    assert counts["rank_assistant_replies"] == 1
    assert counts["rank_prompter_replies"] == 0  # rank_prompter_replies is off
    assert counts["prompter_reply"] == counts["label_assistant_reply"] == 0
    # TREE-28: growing 1, in review 1, waiting 0 → (10 - 1) + (100 - 1) = 108
    assert counts["initial_prompt"] == 108
    assert snapshot() == before  # TREE-41: writes nothing for a known user


def test_availability_without_lang_is_for_english(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """API-TASK-2: `lang` defaults to `en` (the admin status page omits it)."""
    growing_tree()
    growing_tree(message_tree__lang="de")

    without = as_website.post(AVAILABILITY, volunteer_wire)
    german = as_website.post(f"{AVAILABILITY}?lang=de", volunteer_wire)

    assert without.status_code == german.status_code == 200
    assert without.json()["assistant_reply"] == 1
    assert german.json()["assistant_reply"] == 1
    assert set(without.json()) == set(TASK_REQUEST_TYPES)


def test_availability_creates_an_unknown_body_user(
    as_website: Caller, website_client: tuple[ApiClient, str]
) -> None:
    """AUTH-5: the body user is created if unknown."""
    response = as_website.post(
        AVAILABILITY, {"id": "new-one", "display_name": "New", "auth_method": "google"}
    )
    assert response.status_code == 200
    assert website_client[0].users.filter(username="new-one", auth_method="google").exists()


# --- nothing available (TREE-31: 503 / 1006) ------------------------------------------------

EXPLICIT_TYPES = [t for t in TASK_REQUEST_TYPES if t not in ("random", "initial_prompt")]


@pytest.mark.parametrize("task_type", EXPLICIT_TYPES)
def test_an_explicit_type_with_nothing_available_is_503_1006(
    as_website: Caller, volunteer_wire: dict[str, str], volunteer: User, task_type: str
) -> None:
    # given: only the volunteer's own prompt, which they cannot review, exists
    prompt = prompt_in_review()
    type(prompt).objects.filter(pk=prompt.pk).update(user=volunteer)
    before = snapshot()
    # when
    response = as_website.post(TASKS, {"type": task_type, "user": volunteer_wire, "lang": "en"})
    # then
    assert_error(response, 503, 1006)
    assert snapshot() == before


@pytest.mark.parametrize("task_type", ["random", "initial_prompt"])
def test_no_prompt_intake_and_no_work_is_503_1006(
    as_website: Caller, volunteer_wire: dict[str, str], task_type: str
) -> None:
    """TREE-28, TREE-30: prompts disabled for the language and no other work."""
    tree_manager_settings_update(overrides={"init_prompt_disabled_langs": "en"})
    before = snapshot()
    response = as_website.post(TASKS, {"type": task_type, "user": volunteer_wire, "lang": "en"})
    assert_error(response, 503, 1006)
    assert snapshot() == before


# --- pending cap (TREE-21: 400 / 1012) ------------------------------------------------------


def test_the_ninth_open_task_is_400_1012_until_one_is_skipped(
    as_website: Caller, volunteer: User, volunteer_wire: dict[str, str]
) -> None:
    # given: 8 open tasks
    tasks = [request_task(as_website, volunteer_wire, "initial_prompt") for _ in range(8)]
    before = snapshot()

    # when
    refused = as_website.post(
        TASKS, {"type": "initial_prompt", "user": volunteer_wire, "lang": "en"}
    )

    # then
    assert_error(refused, 400, 1012)
    assert snapshot() == before
    # and: a skipped task no longer counts
    skipped = as_website.post(
        nack_path(tasks[0]["id"]), {}, HTTP_X_OASST_USER=header_user(volunteer)
    )
    assert skipped.status_code == 204, skipped.content
    request_task(as_website, volunteer_wire, "initial_prompt")


def test_the_cap_counts_collective_tasks_and_every_identity(
    as_website: Caller,
    as_discord: Caller,
    website_client: tuple[ApiClient, str],
    volunteer: User,
    volunteer_wire: dict[str, str],
) -> None:
    """TREE-21: tasks through any identity or client, collective ones included, count."""
    # given: 4 collective tasks through the website and 4 through a linked Discord identity
    identity = UserIdentityFactory.create(
        user=volunteer, api_client=as_discord.api_client, auth_method="discord", username="d-42"
    )
    linked = {"id": identity.username, "display_name": "", "auth_method": "discord"}
    for _ in range(4):
        request_task(as_website, volunteer_wire, "initial_prompt", collective=True)
        request_task(as_discord, linked, "initial_prompt")

    # when / then
    response = as_discord.post(TASKS, {"type": "initial_prompt", "user": linked})
    assert_error(response, 400, 1012)


# --- query count ----------------------------------------------------------------------------


def test_a_random_request_does_not_query_more_with_more_trees(
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    """Candidate sets are counted and drawn in SQL, not per tree (2 trees vs 20 trees)."""
    # given: two growing trees with accepted roots, replies the only kind with weight
    # (kinds without work are tried and dropped in random order, which would make the
    # count depend on the draw rather than on the data; so would the lonely-parent draw,
    # whose batches over a superset without lonely parents grow with it, logarithmically)
    tree_manager_settings_update(
        overrides={
            "p_lonely_child_extension": 0,
            "task_weight_prompt": 0,
            "task_weight_ranking": 0,
            "task_weight_label_reply": 0,
            "task_weight_label_prompt": 0,
        }
    )
    for _ in range(2):
        growing_tree()
    users = [UserFactory.create(api_client=website_client[0]) for _ in range(3)]
    request_task(as_website, wire_user(users[0]))  # warm-up (last_used_date refresh)
    with CaptureQueriesContext(connection) as few_trees:
        request_task(as_website, wire_user(users[1]))
    few = len(few_trees.captured_queries)
    for _ in range(18):
        growing_tree()

    # when / then
    with django_assert_max_num_queries(few):
        task = request_task(as_website, wire_user(users[2]))
    assert task["type"] == "assistant_reply"
