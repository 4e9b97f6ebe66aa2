"""Task-based labels and review evaluation (TREE-46, TREE-47, TREE-50, TREE-6, IMP-14, IMP-21)."""

from __future__ import annotations

import dataclasses
import uuid
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pytest

from journal.models import Journal
from shared_protocol.enums import MessageRole
from shared_protocol.errors import DomainError, ErrorCode
from stats.models import UserStatsDirty
from tasks.models import Task, TextLabels
from tasks.services.reviews import review_acceptance
from tasks.services.submissions import submit_task_labels
from tests.factories import (
    MessageFactory,
    MessageTreeStateFactory,
    TaskFactory,
    TextLabelsFactory,
    UserFactory,
)
from trees.models import Message, MessageTreeState, TreeState
from trees.parameters import TreeManagerConfig

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import User

pytestmark = pytest.mark.django_db

S = TreeState
VALID = ("spam", "lang_mismatch", "quality")


def _world() -> dict[str, Any]:
    """Everything a refused submission must leave untouched."""
    return {
        "messages": list(
            Message.objects.order_by("pk").values_list("pk", "review_count", "review_result")
        ),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "done", "done_date")),
        "trees": list(MessageTreeState.objects.order_by("pk").values_list("pk", "state")),
        "labels": list(TextLabels.objects.order_by("pk").values_list("pk", "labels")),
        "journal": Journal.objects.count(),
        "dirty": UserStatsDirty.objects.count(),
    }


def _label_task(
    message: Message,
    *,
    user: User | None = None,
    valid: tuple[str, ...] = VALID,
    mandatory: tuple[str, ...] | None = ("spam",),
    **kwargs: Any,
) -> Task:
    """An acknowledged review task for `message`, of the kind its position calls for."""
    common: dict[str, Any] = {
        "message_id": str(message.pk),
        "valid_labels": list(valid),
        "mandatory_labels": list(mandatory) if mandatory is not None else None,
        "mode": "full",
    }
    fields: dict[str, Any]
    if message.parent_id is None:
        payload_type = "LabelInitialPromptPayload"
        fields = {"type": "label_initial_prompt", "prompt": message.text, **common}
    elif message.role == MessageRole.ASSISTANT:
        payload_type = "LabelAssistantReplyPayload"
        fields = {"type": "label_assistant_reply", "conversation": {"messages": []}, **common}
    else:
        payload_type = "LabelPrompterReplyPayload"
        fields = {"type": "label_prompter_reply", "conversation": {"messages": []}, **common}
    if user is not None:
        kwargs.update(user=user, api_client=user.api_client)
    return TaskFactory.create(
        acked=True,
        payload_type=payload_type,
        fields=fields,
        parent_message_id=message.pk,
        message_tree_id=message.message_tree_id,
        **kwargs,
    )


def _submit(
    task: Task,
    labels: dict[str, float],
    *,
    message_id: uuid.UUID | None = None,
    user: User | None = None,
) -> TextLabels:
    assert task.user is not None
    return submit_task_labels(
        client=task.api_client,
        user=user or task.user,
        task_id=task.pk,
        message_id=message_id if message_id is not None else task.parent_message_id,
        text="looks fine",
        labels=labels,
    )


def _review(message: Message, labels: dict[str, float]) -> TextLabels:
    return _submit(_label_task(message), labels)


def _refused(code: ErrorCode, task: Task, labels: dict[str, float], **kwargs: Any) -> None:
    before = _world()
    with pytest.raises(DomainError) as caught:
        _submit(task, labels, **kwargs)
    assert caught.value.code == code
    assert _world() == before


def _prompt_under_review() -> Message:
    return MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW).message_tree


def _reply_under_review() -> Message:
    root = MessageTreeStateFactory.create().message_tree
    return MessageFactory.reply(root)


def _state(message: Message) -> str:
    return MessageTreeState.objects.get(pk=message.message_tree_id).state


# --- what a review stores ------------------------------------------------------------------


def test_review_is_stored_under_the_task_id_and_counted() -> None:
    reply = _reply_under_review()
    task = _label_task(reply)

    row = _submit(task, {"spam": 0.0, "quality": 0.75})

    row.refresh_from_db()
    assert row.pk == task.pk
    assert row.task_id == task.pk
    assert (row.message_id, row.user_id, row.api_client_id) == (
        reply.pk,
        task.user_id,
        task.api_client_id,
    )
    assert row.labels == {"spam": 0.0, "quality": 0.75}
    assert row.text == "looks fine"
    reply.refresh_from_db()
    assert (reply.review_count, reply.review_result) == (1, None)
    task.refresh_from_db()
    assert task.done is True
    assert task.done_date is not None
    event = Journal.objects.get(event_type="text_labels")
    assert event.event_payload["payload"]["task_based"] is True
    assert set(UserStatsDirty.objects.values_list("user_id", flat=True)) == {
        task.user_id,
        reply.user_id,
    }


def test_message_id_may_be_omitted() -> None:
    reply = _reply_under_review()
    task = _label_task(reply)
    assert task.user is not None

    row = submit_task_labels(
        client=task.api_client,
        user=task.user,
        task_id=task.pk,
        message_id=None,
        text="",
        labels={"spam": 0.0},
    )

    assert row.message_id == reply.pk


# --- TREE-50, row by row -------------------------------------------------------------------

ACCEPTANCE_TABLE = [
    # spam values, lang_mismatch values (None: label absent), accepted
    pytest.param((0, 0, 0), (None, None, None), True, id="1.0-accepted"),
    pytest.param((0, 0, 1), (None, None, None), True, id="0.667-accepted"),
    pytest.param((0, 1, 1), (None, None, None), False, id="0.333-rejected"),
    pytest.param((0, 0, 1), (0, 1, 0), False, id="0.333-with-lang-rejected"),
    pytest.param((0.5, 0, 0), (0, 0, 0), True, id="0.833-accepted"),
    pytest.param((0, 0, 0), (0.4, 0.4, 0.4), False, id="0.6-not-above-rejected"),
]


def _labels(spam: float, lang_mismatch: float | None) -> dict[str, float]:
    labels = {"spam": float(spam)}
    if lang_mismatch is not None:
        labels["lang_mismatch"] = float(lang_mismatch)
    return labels


@pytest.mark.parametrize(("spams", "langs", "accepted"), ACCEPTANCE_TABLE)
def test_acceptance_table_decides_a_prompt(
    spams: tuple[float, ...], langs: tuple[float | None, ...], accepted: bool
) -> None:
    prompt = _prompt_under_review()

    for spam, lang in zip(spams, langs, strict=True):
        _review(prompt, _labels(spam, lang))

    prompt.refresh_from_db()
    assert prompt.review_result is accepted
    assert _state(prompt) == (S.PROMPT_LOTTERY_WAITING if accepted else S.ABORTED_LOW_GRADE)


@pytest.mark.parametrize(("spams", "langs", "accepted"), ACCEPTANCE_TABLE)
def test_acceptance_table_decides_a_reply(
    spams: tuple[float, ...], langs: tuple[float | None, ...], accepted: bool
) -> None:
    reply = _reply_under_review()

    for spam, lang in zip(spams, langs, strict=True):
        _review(reply, _labels(spam, lang))

    reply.refresh_from_db()
    assert reply.review_result is accepted
    assert _state(reply) == S.GROWING


def test_acceptance_is_exact_at_the_threshold() -> None:
    """0.6 on paper stays 0.6: binary rounding would put 1 - mean(0, .6, .6) above it."""
    reply = _reply_under_review()
    for spam in (0.0, 0.6, 0.6):
        _review(reply, {"spam": spam})

    assert review_acceptance(message_id=reply.pk) == Fraction(3, 5)
    reply.refresh_from_db()
    assert reply.review_result is False


@pytest.mark.parametrize(("threshold", "accepted"), [(0.59, True), (0.6, False)])
def test_prompt_threshold_is_strict_and_configurable(
    settings: SettingsWrapper, threshold: float, accepted: bool
) -> None:
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(
        TreeManagerConfig(), acceptance_threshold_initial_prompt=threshold
    )
    prompt = _prompt_under_review()
    for spam in (0.0, 0.6, 0.6):
        _review(prompt, {"spam": spam})

    prompt.refresh_from_db()
    assert prompt.review_result is accepted


def test_no_decision_before_the_required_review_count() -> None:
    prompt = _prompt_under_review()
    _review(prompt, {"spam": 1.0})
    _review(prompt, {"spam": 1.0})

    prompt.refresh_from_db()
    assert (prompt.review_count, prompt.review_result) == (2, None)
    assert _state(prompt) == S.INITIAL_PROMPT_REVIEW


def test_required_review_count_is_configurable(settings: SettingsWrapper) -> None:
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(
        TreeManagerConfig(), num_reviews_initial_prompt=1
    )
    prompt = _prompt_under_review()

    _review(prompt, {"spam": 0.0})

    assert _state(prompt) == S.PROMPT_LOTTERY_WAITING
    event = Journal.objects.get(event_type="tree_state_changed")
    assert event.event_payload["payload"]["to_state"] == "prompt_lottery_waiting"


def test_reviews_of_open_collective_tasks_count_but_do_not_weigh() -> None:
    """TREE-50: only reviews whose task is done enter the acceptance."""
    reply = _reply_under_review()
    collective = _label_task(reply, collective=True, expiry_date=None)
    _submit(collective, {"spam": 1.0})
    _review(reply, {"spam": 0.0})
    _review(reply, {"spam": 0.0})

    reply.refresh_from_db()
    assert reply.review_count == 3
    assert review_acceptance(message_id=reply.pk) == 1
    assert reply.review_result is True


def test_free_labels_do_not_weigh_in_acceptance() -> None:
    reply = _reply_under_review()
    TextLabelsFactory.create(message=reply, labels={"spam": 1.0})
    TextLabelsFactory.create(message=reply, report=True)
    for _ in range(3):
        _review(reply, {"spam": 0.0})

    assert review_acceptance(message_id=reply.pk) == 1
    reply.refresh_from_db()
    assert reply.review_result is True


# --- late reviews (TREE-47 consequences, TREE-6, IMP-21) -----------------------------------


def test_an_accepted_reply_never_becomes_rejected() -> None:
    reply = _reply_under_review()
    for _ in range(3):
        _review(reply, {"spam": 0.0})
    for _ in range(3):
        _review(reply, {"spam": 1.0})

    reply.refresh_from_db()
    assert (reply.review_count, reply.review_result) == (6, True)


def test_a_rejected_reply_is_accepted_once_late_reviews_lift_it() -> None:
    reply = _reply_under_review()
    for spam in (1.0, 1.0, 0.0):  # 0.333
        _review(reply, {"spam": spam})
    results = []
    for _ in range(3):  # 0.5, 0.6 (not above), 0.667
        _review(reply, {"spam": 0.0})
        reply.refresh_from_db()
        results.append(reply.review_result)

    assert results == [False, False, True]


def test_a_late_review_of_an_accepted_prompt_changes_nothing() -> None:
    prompt = _prompt_under_review()
    for _ in range(3):
        _review(prompt, {"spam": 0.0})
    for _ in range(3):
        _review(prompt, {"spam": 1.0})

    prompt.refresh_from_db()
    assert prompt.review_result is True
    assert _state(prompt) == S.PROMPT_LOTTERY_WAITING


def test_a_late_review_can_accept_the_prompt_of_an_aborted_tree_but_not_revive_it() -> None:
    prompt = _prompt_under_review()
    for spam in (1.0, 1.0, 0.0):
        _review(prompt, {"spam": spam})
    assert _state(prompt) == S.ABORTED_LOW_GRADE
    for _ in range(3):
        _review(prompt, {"spam": 0.0})

    prompt.refresh_from_db()
    assert prompt.review_result is True
    assert _state(prompt) == S.ABORTED_LOW_GRADE


def test_a_late_rejecting_review_cannot_overwrite_a_halt() -> None:
    """IMP-21: T3 only from active initial_prompt_review; the root's result still changes."""
    tree = MessageTreeStateFactory.create(
        state=S.HALTED_BY_MODERATOR, message_tree__review_result=None, message_tree__review_count=2
    )
    prompt = tree.message_tree

    _review(prompt, {"spam": 1.0})

    prompt.refresh_from_db()
    assert (prompt.review_count, prompt.review_result) == (3, False)
    assert _state(prompt) == S.HALTED_BY_MODERATOR
    assert not Journal.objects.filter(event_type="tree_state_changed").exists()


def test_a_late_accepting_review_does_not_move_a_halted_tree() -> None:
    tree = MessageTreeStateFactory.create(
        state=S.HALTED_BY_MODERATOR, message_tree__review_result=None, message_tree__review_count=2
    )
    prompt = tree.message_tree

    _review(prompt, {"spam": 0.0})

    prompt.refresh_from_db()
    assert prompt.review_result is True
    assert _state(prompt) == S.HALTED_BY_MODERATOR


def test_accepting_the_last_awaited_reply_runs_the_ranking_check() -> None:
    """TREE-8 after a review: goal reached, nothing awaits review → ranking; with no parent
    having two accepted replies the scoring check passes it straight to ready_for_export."""
    tree = MessageTreeStateFactory.create(goal_tree_size=2)
    reply = MessageFactory.reply(tree.message_tree)

    for _ in range(3):
        _review(reply, {"spam": 0.0})

    assert _state(reply) == S.READY_FOR_EXPORT


# --- refusals, in the order of TREE-46 -----------------------------------------------------


def test_unknown_task_is_refused_with_2100() -> None:
    reply = _reply_under_review()
    task = _label_task(reply)
    assert task.user is not None
    before = _world()
    with pytest.raises(DomainError) as caught:
        submit_task_labels(
            client=task.api_client,
            user=task.user,
            task_id=uuid.uuid4(),
            message_id=reply.pk,
            text="",
            labels={"spam": 0.0},
        )
    assert caught.value.code == ErrorCode.TASK_NOT_FOUND
    assert _world() == before


def test_repeated_review_is_refused_with_2105_and_changes_nothing() -> None:
    reply = _reply_under_review()
    task = _label_task(reply)
    _submit(task, {"spam": 0.0})

    _refused(ErrorCode.TASK_ALREADY_DONE, task, {"spam": 1.0})


def test_review_by_another_user_is_refused_with_2106() -> None:
    task = _label_task(_reply_under_review())
    _refused(ErrorCode.TASK_NOT_ASSIGNED_TO_USER, task, {"spam": 0.0}, user=UserFactory.create())


def test_labels_for_a_task_that_is_no_review_are_refused_with_2102() -> None:
    root = MessageTreeStateFactory.create().message_tree
    task = TaskFactory.create(
        acked=True,
        payload_type="AssistantReplyPayload",
        fields={"type": "assistant_reply", "conversation": {"messages": []}},
        parent_message_id=root.pk,
        message_tree_id=root.pk,
    )
    _refused(ErrorCode.TASK_PAYLOAD_TYPE_MISMATCH, task, {"spam": 0.0}, message_id=root.pk)


@pytest.mark.parametrize("kind", ["prompt", "reply"])
def test_labels_for_another_message_are_refused_with_2050(kind: str) -> None:
    """IMP-14: prompt reviews and reply reviews alike."""
    message = _prompt_under_review() if kind == "prompt" else _reply_under_review()
    other = MessageFactory.create()
    _refused(
        ErrorCode.TEXT_LABELS_WRONG_MESSAGE_ID,
        _label_task(message),
        {"spam": 0.0},
        message_id=other.pk,
    )


def test_label_outside_the_valid_labels_is_refused_with_2051() -> None:
    task = _label_task(_reply_under_review(), valid=("spam", "lang_mismatch"))
    _refused(ErrorCode.TEXT_LABELS_INVALID_LABEL, task, {"spam": 0.0, "humor": 0.5})


def test_missing_mandatory_label_is_refused_with_2052() -> None:
    task = _label_task(_reply_under_review(), mandatory=("spam", "lang_mismatch"))
    _refused(ErrorCode.TEXT_LABELS_MANDATORY_LABEL_MISSING, task, {"spam": 0.0})


def test_review_without_mandatory_labels_configured_accepts_any_subset() -> None:
    reply = _reply_under_review()
    task = _label_task(reply, mandatory=None)

    assert _submit(task, {"quality": 1.0}).labels == {"quality": 1.0}


def test_review_of_a_missing_message_is_refused_with_2001() -> None:
    ghost = MessageFactory.build()
    task = _label_task(ghost)
    _refused(ErrorCode.MESSAGE_NOT_FOUND, task, {"spam": 0.0})


def test_review_of_ones_own_message_is_refused_with_2053() -> None:
    reply = _reply_under_review()
    assert reply.user is not None
    task = _label_task(reply, user=reply.user)
    _refused(ErrorCode.TEXT_LABELS_NO_SELF_LABELING, task, {"spam": 0.0})


def test_self_review_is_allowed_in_debug_mode(settings: SettingsWrapper) -> None:
    settings.DEBUG_ALLOW_SELF_LABELING = True
    reply = _reply_under_review()
    assert reply.user is not None

    _submit(_label_task(reply, user=reply.user), {"spam": 0.0})

    reply.refresh_from_db()
    assert reply.review_count == 1


def test_second_review_of_a_message_by_one_user_is_refused_with_2053() -> None:
    reply = _reply_under_review()
    first = _label_task(reply)
    _submit(first, {"spam": 0.0})
    assert first.user is not None

    _refused(
        ErrorCode.TEXT_LABELS_DUPLICATE_TASK_REPLY, _label_task(reply, user=first.user), {"spam": 0}
    )


def test_a_free_label_does_not_block_a_review() -> None:
    reply = _reply_under_review()
    task = _label_task(reply)
    TextLabelsFactory.create(message=reply, user=task.user)

    _submit(task, {"spam": 0.0})

    reply.refresh_from_db()
    assert reply.review_count == 1


def test_second_review_by_one_user_is_allowed_in_debug_mode(settings: SettingsWrapper) -> None:
    settings.DEBUG_ALLOW_DUPLICATE_TASKS = True
    reply = _reply_under_review()
    first = _label_task(reply)
    _submit(first, {"spam": 0.0})

    _submit(_label_task(reply, user=first.user), {"spam": 0.0})

    reply.refresh_from_db()
    assert reply.review_count == 2


def test_collective_review_task_takes_only_its_first_review() -> None:
    """DATA-8: the row's id is the task id, so one row per task even for collective tasks."""
    reply = _reply_under_review()
    task = _label_task(reply, collective=True, expiry_date=None)
    _submit(task, {"spam": 0.0}, user=UserFactory.create())

    _refused(ErrorCode.TASK_ALREADY_DONE, task, {"spam": 0.0}, user=UserFactory.create())
    task.refresh_from_db()
    assert task.done is False
