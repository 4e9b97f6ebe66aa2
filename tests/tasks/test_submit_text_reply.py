"""Text replies and new prompts (TREE-45, TREE-5, TREE-13, TREE-53, TREE-56)."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from journal.models import Journal
from shared_protocol.enums import MessageRole
from shared_protocol.errors import DomainError, ErrorCode
from stats.models import UserStatsDirty
from tasks.models import Task
from tasks.services.submissions import submit_text_reply
from tests.factories import (
    ApiClientFactory,
    MessageFactory,
    MessageTreeStateFactory,
    TaskFactory,
    UserFactory,
)
from trees import randomness
from trees.models import Message, MessageTreeState, TreeState
from trees.parameters import TreeManagerConfig

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import User

pytestmark = pytest.mark.django_db

S = TreeState


def _world() -> dict[str, Any]:
    """Everything a refused submission must leave untouched."""
    return {
        "messages": list(
            Message.objects.order_by("pk").values_list(
                "pk", "children_count", "review_count", "review_result", "deleted"
            )
        ),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "done", "done_date")),
        "trees": list(MessageTreeState.objects.order_by("pk").values_list("pk", "state")),
        "journal": Journal.objects.count(),
        "dirty": UserStatsDirty.objects.count(),
    }


def _conversation(*messages: Message) -> dict[str, Any]:
    return {
        "messages": [
            {"id": str(m.pk), "text": m.text, "is_assistant": m.role == MessageRole.ASSISTANT}
            for m in messages
        ]
    }


def _reply_task(parent: Message, *, user: User | None = None, **kwargs: Any) -> Task:
    """An acknowledged reply task for `parent`, of the kind its role calls for."""
    if parent.role == MessageRole.PROMPTER:
        payload_type = "AssistantReplyPayload"
        fields: dict[str, Any] = {"type": "assistant_reply", "conversation": _conversation(parent)}
    else:
        payload_type = "PrompterReplyPayload"
        fields = {"type": "prompter_reply", "conversation": _conversation(parent), "hint": None}
    if user is not None:
        kwargs.update(user=user, api_client=user.api_client)
    return TaskFactory.create(
        acked=True,
        payload_type=payload_type,
        fields=fields,
        parent_message_id=parent.pk,
        message_tree_id=parent.message_tree_id,
        **kwargs,
    )


def _prompt_task(**kwargs: Any) -> Task:
    return TaskFactory.create(acked=True, payload_type="InitialPromptPayload", **kwargs)


def _submit(
    task: Task,
    *,
    user: User | None = None,
    text: str | None = None,
    user_message_id: str | None = None,
    lang: str | None = "en",
) -> Message:
    assert task.user is not None
    return submit_text_reply(
        client=task.api_client,
        user=user or task.user,
        message_id=task.frontend_message_id or "",
        user_message_id=user_message_id or f"reply-{uuid.uuid4()}",
        text=f"A helpful answer ({uuid.uuid4()})." if text is None else text,
        lang=lang,
    )


def _refused(code: ErrorCode, task: Task, **kwargs: Any) -> None:
    before = _world()
    with pytest.raises(DomainError) as caught:
        _submit(task, **kwargs)
    assert caught.value.code == code
    assert _world() == before


@pytest.fixture
def root() -> Message:
    """The accepted root of a growing tree."""
    return MessageTreeStateFactory.create().message_tree


@pytest.fixture
def _seeded() -> Iterator[None]:
    randomness.seed(7)
    yield
    randomness.seed(None)


# --- what a reply stores -------------------------------------------------------------------


def test_reply_is_stored_below_its_parent_and_completes_the_task(root: Message) -> None:
    task = _reply_task(root)

    message = _submit(task, text="  A helpful answer.  ", user_message_id="reply-1", lang="de")

    message.refresh_from_db()
    assert message.parent_id == root.pk
    assert message.message_tree_id == root.pk
    assert message.depth == 1
    assert message.role == MessageRole.ASSISTANT
    assert message.text == "A helpful answer."
    assert message.lang == "de"
    assert message.task_id == task.pk
    assert message.user_id == task.user_id
    assert message.api_client_id == task.api_client_id
    assert message.frontend_message_id == "reply-1"
    assert (message.review_count, message.review_result, message.deleted) == (0, None, False)
    root.refresh_from_db()
    assert root.children_count == 1
    task.refresh_from_db()
    assert task.done is True
    assert task.done_date is not None
    event = Journal.objects.get(event_type="text_reply_to_message")
    assert event.message_id == message.pk
    assert event.event_payload["payload"]["role"] == "assistant"
    assert list(UserStatsDirty.objects.values_list("user_id", flat=True)) == [task.user_id]


def test_reply_to_an_assistant_message_is_a_prompter_message(root: Message) -> None:
    assistant = MessageFactory.reply(root, accepted=True)
    task = _reply_task(assistant)

    message = _submit(task)

    assert message.role == MessageRole.PROMPTER
    assert message.depth == 2
    assert message.message_tree_id == root.pk


def test_reply_without_language_is_english(root: Message) -> None:
    assert _submit(_reply_task(root), lang=None).lang == "en"


def test_reply_under_a_deleted_parent_is_born_deleted_and_not_counted(root: Message) -> None:
    parent = MessageFactory.reply(root, accepted=True)
    task = _reply_task(parent)
    Message.objects.filter(pk=parent.pk).update(deleted=True, children_count=0)

    message = _submit(task)

    assert message.deleted is True
    parent.refresh_from_db()
    assert parent.children_count == 0


@pytest.mark.parametrize("state", [S.GROWING, S.RANKING, S.READY_FOR_SCORING, S.READY_FOR_EXPORT])
def test_replies_to_growing_and_later_trees_are_stored(state: TreeState) -> None:
    """TREE-13: late replies are kept even when the tree no longer grows."""
    root = MessageTreeStateFactory.create(state=state).message_tree

    message = _submit(_reply_task(root))

    assert Message.objects.filter(pk=message.pk, parent=root).exists()
    assert MessageTreeState.objects.get(pk=root.pk).state == state


@pytest.mark.parametrize(
    "state",
    [
        S.INITIAL_PROMPT_REVIEW,
        S.PROMPT_LOTTERY_WAITING,
        S.ABORTED_LOW_GRADE,
        S.HALTED_BY_MODERATOR,
        S.SCORING_FAILED,
        S.BACKLOG_RANKING,
    ],
)
def test_replies_to_trees_in_other_states_are_refused_with_2010(state: TreeState) -> None:
    root = MessageTreeStateFactory.create(state=state).message_tree
    _refused(ErrorCode.TREE_IN_ABORTED_STATE, _reply_task(root))


def test_reply_to_a_root_without_tree_state_is_refused_with_2010() -> None:
    root = MessageFactory.create(accepted=True)
    _refused(ErrorCode.TREE_IN_ABORTED_STATE, _reply_task(root))


# --- new prompts (TREE-5) ------------------------------------------------------------------


def test_initial_prompt_starts_a_tree_in_prompt_review(settings: SettingsWrapper) -> None:
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(
        TreeManagerConfig(), goal_tree_size=9, max_tree_depth=4, max_children_count=2
    )
    task = _prompt_task()

    prompt = _submit(task, text="Tell me about owls.", lang="fr")

    prompt.refresh_from_db()
    assert prompt.parent_id is None
    assert prompt.message_tree_id == prompt.pk
    assert (prompt.depth, prompt.role, prompt.lang) == (0, MessageRole.PROMPTER, "fr")
    tree = MessageTreeState.objects.get(pk=prompt.pk)
    assert (tree.state, tree.active, tree.lang) == (S.INITIAL_PROMPT_REVIEW, True, "fr")
    assert (tree.goal_tree_size, tree.max_depth, tree.max_children_count) == (9, 4, 2)
    assert Task.objects.get(pk=task.pk).done is True


@pytest.mark.usefixtures("_seeded")
def test_random_goal_size_is_drawn_from_the_configured_range(settings: SettingsWrapper) -> None:
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(
        TreeManagerConfig(), random_goal_tree_size=True, min_goal_tree_size=5, goal_tree_size=40
    )

    prompt = _submit(_prompt_task())

    assert MessageTreeState.objects.get(pk=prompt.pk).goal_tree_size == random.Random(7).randint(
        5, 40
    )


@pytest.mark.usefixtures("_seeded")
def test_random_goal_size_needs_a_minimum_below_the_goal(settings: SettingsWrapper) -> None:
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(
        TreeManagerConfig(), random_goal_tree_size=True, min_goal_tree_size=12, goal_tree_size=12
    )

    prompt = _submit(_prompt_task())

    assert MessageTreeState.objects.get(pk=prompt.pk).goal_tree_size == 12


# --- refusals, in the order of TREE-45 -----------------------------------------------------


def test_empty_task_frontend_id_is_refused_with_2000(root: Message) -> None:
    task = _reply_task(root)
    before = _world()
    with pytest.raises(DomainError) as caught:
        submit_text_reply(
            client=task.api_client,
            user=UserFactory.create(),
            message_id="",
            user_message_id="x",
            text="hi",
            lang=None,
        )
    assert caught.value.code == ErrorCode.INVALID_FRONTEND_MESSAGE_ID
    assert _world() == before


def test_empty_user_message_id_is_refused_with_2000(root: Message) -> None:
    task = _reply_task(root)
    before = _world()
    assert task.user is not None
    with pytest.raises(DomainError) as caught:
        submit_text_reply(
            client=task.api_client,
            user=task.user,
            message_id=task.frontend_message_id or "",
            user_message_id="",
            text="hi",
            lang=None,
        )
    assert caught.value.code == ErrorCode.INVALID_FRONTEND_MESSAGE_ID
    assert _world() == before


def test_task_of_another_client_is_not_found_2100(root: Message) -> None:
    task = _reply_task(root)
    before = _world()
    assert task.user is not None
    with pytest.raises(DomainError) as caught:
        submit_text_reply(
            client=ApiClientFactory.create(),
            user=task.user,
            message_id=task.frontend_message_id or "",
            user_message_id="reply",
            text="hi",
            lang=None,
        )
    assert caught.value.code == ErrorCode.TASK_NOT_FOUND
    assert _world() == before


def test_expired_task_is_refused_with_2101(root: Message) -> None:
    task = _reply_task(root, expiry_date=timezone.now() - timedelta(seconds=1))
    _refused(ErrorCode.TASK_EXPIRED, task)


def test_unacknowledged_task_is_refused_with_2104(root: Message) -> None:
    task = _reply_task(root)
    Task.objects.filter(pk=task.pk).update(ack=None)
    task.refresh_from_db()
    _refused(ErrorCode.TASK_NOT_ACK, task)


def test_repeated_submission_is_refused_with_2105_and_changes_nothing(root: Message) -> None:
    """TREE-53: a task yields one message; a replay (e.g. after a timeout) answers 2105."""
    task = _reply_task(root)
    _submit(task, text="first")

    _refused(ErrorCode.TASK_ALREADY_DONE, task, text="second")

    assert Message.objects.filter(task_id=task.pk).count() == 1


def test_task_of_another_user_is_refused_with_2106(root: Message) -> None:
    task = _reply_task(root)
    _refused(ErrorCode.TASK_NOT_ASSIGNED_TO_USER, task, user=UserFactory.create())


def test_collective_task_takes_replies_of_several_users_and_stays_open(root: Message) -> None:
    """TREE-56: any user may submit while the task has a user; it is not marked done."""
    task = _reply_task(root, collective=True, expiry_date=None)
    others = [UserFactory.create(), UserFactory.create()]

    replies = [_submit(task, user=user) for user in [*others]]

    assert {m.user_id for m in replies} == {u.pk for u in others}
    assert all(m.task_id == task.pk for m in replies)
    task.refresh_from_db()
    assert task.done is False
    root.refresh_from_db()
    assert root.children_count == 2


def test_whitespace_only_text_is_refused_with_1010(root: Message) -> None:
    _refused(ErrorCode.TASK_MESSAGE_TEXT_EMPTY, _reply_task(root), text=" \n\t ")


def test_text_over_the_size_limit_is_refused_with_1008(
    root: Message, settings: SettingsWrapper
) -> None:
    settings.MESSAGE_SIZE_LIMIT = 10
    _refused(ErrorCode.TASK_MESSAGE_TOO_LONG, _reply_task(root), text="x" * 11)


def test_text_at_the_size_limit_is_stored(root: Message, settings: SettingsWrapper) -> None:
    settings.MESSAGE_SIZE_LIMIT = 10
    assert _submit(_reply_task(root), text=" " + "x" * 10 + " ").text == "x" * 10


def test_same_text_by_the_same_user_within_the_window_is_refused_with_1009(
    root: Message,
) -> None:
    task = _reply_task(root)
    MessageFactory.create(user=task.user, text="Copy and paste.")
    _refused(ErrorCode.TASK_MESSAGE_DUPLICATED, task, text="Copy and paste.")


def test_same_text_outside_the_window_or_by_others_is_stored(
    root: Message, settings: SettingsWrapper
) -> None:
    settings.DUPLICATE_MESSAGE_FILTER_WINDOW_MINUTES = 60
    task = _reply_task(root)
    MessageFactory.create(
        user=task.user, text="Copy and paste.", created_date=timezone.now() - timedelta(minutes=61)
    )
    MessageFactory.create(text="Copy and paste.")

    assert _submit(task, text="Copy and paste.").text == "Copy and paste."


def test_missing_parent_is_refused_with_2001() -> None:
    task = TaskFactory.create(
        acked=True,
        payload_type="AssistantReplyPayload",
        fields={"type": "assistant_reply", "conversation": {"messages": []}},
        parent_message_id=uuid.uuid4(),
    )
    _refused(ErrorCode.MESSAGE_NOT_FOUND, task)


def test_second_reply_of_a_user_to_one_parent_is_refused_with_1011(root: Message) -> None:
    first = _reply_task(root)
    _submit(first)
    second = _reply_task(root, user=first.user)

    _refused(ErrorCode.TASK_MESSAGE_DUPLICATE_REPLY, second)


def test_a_deleted_earlier_reply_does_not_block_a_new_one(root: Message) -> None:
    first = _reply_task(root)
    earlier = _submit(first)
    Message.objects.filter(pk=earlier.pk).update(deleted=True)

    assert _submit(_reply_task(root, user=first.user)).parent_id == root.pk


def test_duplicate_replies_are_allowed_in_debug_mode(
    root: Message, settings: SettingsWrapper
) -> None:
    settings.DEBUG_ALLOW_DUPLICATE_TASKS = True
    first = _reply_task(root)
    _submit(first)

    _submit(_reply_task(root, user=first.user))

    root.refresh_from_db()
    assert root.children_count == 2


def _label_task(message: Message) -> Task:
    return TaskFactory.create(
        acked=True,
        payload_type="LabelAssistantReplyPayload",
        fields={
            "type": "label_assistant_reply",
            "message_id": str(message.pk),
            "conversation": _conversation(message),
            "valid_labels": ["spam"],
            "mandatory_labels": ["spam"],
            "mode": "simple",
        },
        parent_message_id=message.pk,
        message_tree_id=message.message_tree_id,
    )


def test_task_that_takes_no_text_is_refused_with_2107(root: Message) -> None:
    _refused(ErrorCode.TASK_UNEXPECTED_PAYLOAD_TYPE_, _label_task(root))


def test_the_task_type_is_checked_after_text_and_parent(root: Message) -> None:
    """TREE-45 step 6 comes after steps 3-5, as in the original."""
    _refused(ErrorCode.TASK_MESSAGE_TEXT_EMPTY, _label_task(root), text="  ")
    halted = MessageTreeStateFactory.create(state=S.HALTED_BY_MODERATOR).message_tree
    _refused(ErrorCode.TREE_IN_ABORTED_STATE, _label_task(halted))


def test_user_message_id_already_used_by_this_client_is_refused_with_2000(
    root: Message,
) -> None:
    task = _reply_task(root)
    MessageFactory.create(api_client=task.api_client, frontend_message_id="taken")
    _refused(ErrorCode.INVALID_FRONTEND_MESSAGE_ID, task, user_message_id="taken")


def test_user_message_id_of_another_client_may_be_reused(root: Message) -> None:
    MessageFactory.create(frontend_message_id="taken")
    assert _submit(_reply_task(root), user_message_id="taken").frontend_message_id == "taken"
