"""Rankings and ratings (TREE-48, TREE-49, TREE-53, TREE-56, TREE-57)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from journal.models import Journal
from shared_protocol.enums import MessageRole
from shared_protocol.errors import DomainError, ErrorCode
from stats.models import UserStatsDirty
from tasks.models import MessageReaction, Task
from tasks.services.submissions import submit_ranking, submit_rating
from tests.factories import MessageFactory, MessageTreeStateFactory, TaskFactory, UserFactory
from trees.models import Message, MessageTreeState, TreeState
from trees.parameters import TreeManagerConfig

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import User

pytestmark = pytest.mark.django_db

S = TreeState


def _world() -> dict[str, Any]:
    """Everything a refused submission must leave untouched."""
    return {
        "messages": list(Message.objects.order_by("pk").values_list("pk", "ranking_count", "rank")),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "done", "done_date")),
        "trees": list(MessageTreeState.objects.order_by("pk").values_list("pk", "state")),
        "reactions": MessageReaction.objects.count(),
        "journal": Journal.objects.count(),
        "dirty": UserStatsDirty.objects.count(),
    }


def _item(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.pk),
        "text": message.text,
        "is_assistant": message.role == MessageRole.ASSISTANT,
    }


class Group:
    """A ranking tree: an accepted root with three accepted assistant replies a < b < c."""

    def __init__(self, state: TreeState = S.RANKING) -> None:
        self.tree = MessageTreeStateFactory.create(state=state)
        self.root = self.tree.message_tree
        replies = [MessageFactory.reply(self.root, accepted=True) for _ in range(3)]
        self.a, self.b, self.c = sorted(replies, key=lambda m: m.pk)
        # The order in which the task showed them (TREE-32 shuffles).
        self.shown = [self.c, self.a, self.b]

    def task(self, *, user: User | None = None, **kwargs: Any) -> Task:
        if user is not None:
            kwargs.update(user=user, api_client=user.api_client)
        return TaskFactory.create(
            acked=True,
            payload_type="RankAssistantRepliesPayload",
            fields={
                "type": "rank_assistant_replies",
                "conversation": {"messages": [_item(self.root)]},
                "reply_messages": [_item(m) for m in self.shown],
                "ranking_parent_id": str(self.root.pk),
                "message_tree_id": str(self.root.pk),
                "reveal_synthetic": False,
            },
            parent_message_id=self.root.pk,
            message_tree_id=self.root.pk,
            **kwargs,
        )


def _submit(
    task: Task,
    ranking: list[int],
    *,
    user: User | None = None,
    not_rankable: bool | None = None,
) -> MessageReaction:
    assert task.user is not None
    return submit_ranking(
        client=task.api_client,
        user=user or task.user,
        message_id=task.frontend_message_id or "",
        ranking=ranking,
        not_rankable=not_rankable,
    )


def _refused(code: ErrorCode, task: Task, ranking: list[int], **kwargs: Any) -> None:
    before = _world()
    with pytest.raises(DomainError) as caught:
        _submit(task, ranking, **kwargs)
    assert caught.value.code == code
    assert _world() == before


def _ranking_counts(*messages: Message) -> list[int]:
    return [Message.objects.get(pk=m.pk).ranking_count for m in messages]


# --- what a ranking stores -----------------------------------------------------------------


def test_ranking_is_stored_best_first_and_counted() -> None:
    group = Group()
    task = group.task()

    reaction = _submit(task, [2, 0, 1])  # shown [c, a, b] → b, c, a

    reaction.refresh_from_db()
    assert (reaction.task_id, reaction.user_id, reaction.api_client_id) == (
        task.pk,
        task.user_id,
        task.api_client_id,
    )
    assert reaction.message_id == group.root.pk
    assert reaction.payload_type == "RankingReactionPayload"
    assert reaction.payload == {
        "payload_type": "RankingReactionPayload",
        "payload": {
            "type": "message_ranking",
            "ranking": [2, 0, 1],
            "ranked_message_ids": [str(group.b.pk), str(group.c.pk), str(group.a.pk)],
            "ranking_parent_id": str(group.root.pk),
            "message_tree_id": str(group.root.pk),
            "not_rankable": False,
        },
    }
    assert _ranking_counts(group.a, group.b, group.c) == [1, 1, 1]
    task.refresh_from_db()
    assert task.done is True
    event = Journal.objects.get(event_type="message_ranking")
    assert event.message_id == group.root.pk
    assert event.event_payload["payload"]["ranking"] == [2, 0, 1]
    assert set(UserStatsDirty.objects.values_list("user_id", flat=True)) == {
        task.user_id,
        group.a.user_id,
        group.b.user_id,
        group.c.user_id,
    }


def test_not_rankable_is_stored() -> None:
    group = Group()
    reaction = _submit(group.task(), [0, 1, 2], not_rankable=True)
    assert reaction.fields["not_rankable"] is True


def test_ranking_does_not_complete_the_tree_before_enough_rankings() -> None:
    group = Group()
    _submit(group.task(), [0, 1, 2])

    assert MessageTreeState.objects.get(pk=group.root.pk).state == S.RANKING


def test_last_required_ranking_runs_scoring(settings: SettingsWrapper) -> None:
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(
        TreeManagerConfig(), num_required_rankings=2
    )
    group = Group()
    _submit(group.task(), [2, 0, 1])  # b, c, a

    _submit(group.task(), [2, 0, 1])

    assert MessageTreeState.objects.get(pk=group.root.pk).state == S.READY_FOR_EXPORT
    ranks = {m.pk: Message.objects.get(pk=m.pk).rank for m in (group.a, group.b, group.c)}
    assert ranks == {group.b.pk: 0, group.c.pk: 1, group.a.pk: 2}


def test_late_ranking_of_a_finished_tree_is_stored_without_rescoring() -> None:
    group = Group(state=S.READY_FOR_EXPORT)

    _submit(group.task(), [0, 1, 2])

    assert _ranking_counts(group.a, group.b, group.c) == [1, 1, 1]
    assert MessageTreeState.objects.get(pk=group.root.pk).state == S.READY_FOR_EXPORT


def test_collective_ranking_task_takes_one_ranking_per_user_and_stays_open() -> None:
    group = Group()
    task = group.task(collective=True, expiry_date=None)
    first, second = UserFactory.create(), UserFactory.create()
    _submit(task, [0, 1, 2], user=first)
    _submit(task, [2, 1, 0], user=second)

    _refused(ErrorCode.TASK_ALREADY_DONE, task, [0, 1, 2], user=first)
    assert _ranking_counts(group.a, group.b, group.c) == [2, 2, 2]
    task.refresh_from_db()
    assert task.done is False


def test_ranking_of_initial_prompts_stores_only_the_reaction() -> None:
    """TREE-48 note: no parent, no counters, no scoring (such tasks are never generated)."""
    prompts = [MessageFactory.create(accepted=True) for _ in range(2)]
    task = TaskFactory.create(
        acked=True,
        payload_type="RankInitialPromptsPayload",
        fields={"type": "rank_initial_prompts", "prompt_messages": [_item(m) for m in prompts]},
    )

    reaction = _submit(task, [1, 0])

    assert reaction.message_id is None
    assert reaction.fields["ranked_message_ids"] == [str(prompts[1].pk), str(prompts[0].pk)]
    assert _ranking_counts(*prompts) == [0, 0]
    assert Task.objects.get(pk=task.pk).done is True
    assert Journal.objects.filter(event_type="message_ranking").count() == 1


# --- refusals, in the order of TREE-48 -----------------------------------------------------


def test_repeated_ranking_is_refused_with_2105_and_changes_nothing() -> None:
    group = Group()
    task = group.task()
    _submit(task, [0, 1, 2])

    _refused(ErrorCode.TASK_ALREADY_DONE, task, [2, 1, 0])


def test_ranking_by_another_user_is_refused_with_2106() -> None:
    group = Group()
    _refused(
        ErrorCode.TASK_NOT_ASSIGNED_TO_USER, group.task(), [0, 1, 2], user=UserFactory.create()
    )


def test_ranking_for_a_task_that_ranks_nothing_is_refused_with_2102() -> None:
    root = MessageTreeStateFactory.create().message_tree
    task = TaskFactory.create(
        acked=True,
        payload_type="AssistantReplyPayload",
        fields={"type": "assistant_reply", "conversation": {"messages": [_item(root)]}},
        parent_message_id=root.pk,
    )
    _refused(ErrorCode.TASK_PAYLOAD_TYPE_MISMATCH, task, [0])


@pytest.mark.parametrize(
    "ranking", [[0, 1], [0, 0, 1], [0, 1, 3], [1, 2, 3], [0, 1, 2, 3], [-1, 0, 1]]
)
def test_ranking_that_is_no_permutation_of_the_replies_is_refused_with_2003(
    ranking: list[int],
) -> None:
    _refused(ErrorCode.INVALID_RANKING_VALUE, Group().task(), ranking)


def test_ranking_whose_parent_is_gone_is_refused_with_2001() -> None:
    group = Group()
    task = group.task()
    fields = task.fields
    fields["conversation"]["messages"][-1]["id"] = str(uuid.uuid4())
    Task.objects.filter(pk=task.pk).update(
        payload={"payload_type": task.payload_type, "payload": fields}
    )
    task.refresh_from_db()

    _refused(ErrorCode.MESSAGE_NOT_FOUND, task, [0, 1, 2])


def test_ranking_of_a_reply_that_left_its_parent_is_refused_with_2011() -> None:
    group = Group()
    task = group.task()
    elsewhere = MessageFactory.reply(group.a)
    Message.objects.filter(pk=group.b.pk).update(parent=elsewhere, depth=3)

    _refused(ErrorCode.CORRUPT_RANKING_RESULT, task, [0, 1, 2])


def test_ranking_of_a_reply_that_no_longer_exists_is_refused_with_2011() -> None:
    group = Group()
    task = group.task()
    fields = task.fields
    fields["reply_messages"][1]["id"] = str(uuid.uuid4())
    Task.objects.filter(pk=task.pk).update(
        payload={"payload_type": task.payload_type, "payload": fields}
    )
    task.refresh_from_db()

    _refused(ErrorCode.CORRUPT_RANKING_RESULT, task, [0, 1, 2])


# --- ratings (TREE-49) ---------------------------------------------------------------------


def _rating_task(*, scale: dict[str, int] | None = None) -> tuple[Task, Message]:
    task = TaskFactory.create(
        acked=True,
        payload_type="RateSummaryPayload",
        fields={
            "type": "rate_summary",
            "full_text": "A long story.",
            "summary": "A story.",
            "scale": scale or {"min": 1, "max": 5},
        },
    )
    # The original looks the message up by the task's frontend id (TREE-49).
    message = MessageFactory.create(
        api_client=task.api_client, frontend_message_id=task.frontend_message_id
    )
    return task, message


def _rate(task: Task, rating: int) -> MessageReaction:
    assert task.user is not None
    return submit_rating(
        client=task.api_client,
        user=task.user,
        message_id=task.frontend_message_id or "",
        rating=rating,
    )


@pytest.mark.parametrize("rating", [1, 5])
def test_rating_within_the_scale_is_stored(rating: int) -> None:
    task, message = _rating_task()

    reaction = _rate(task, rating)

    assert reaction.message_id == message.pk
    assert reaction.payload == {
        "payload_type": "RatingReactionPayload",
        "payload": {"type": "message_rating", "rating": rating},
    }
    assert Task.objects.get(pk=task.pk).done is True
    assert Journal.objects.filter(event_type="message_rating").count() == 1


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_outside_the_scale_is_refused_with_2002(rating: int) -> None:
    task, _ = _rating_task()
    before = _world()
    with pytest.raises(DomainError) as caught:
        _rate(task, rating)
    assert caught.value.code == ErrorCode.RATING_OUT_OF_RANGE
    assert _world() == before


def test_rating_without_its_message_is_refused_with_2001() -> None:
    task, message = _rating_task()
    Message.objects.filter(pk=message.pk).update(frontend_message_id="elsewhere")
    before = _world()
    with pytest.raises(DomainError) as caught:
        _rate(task, 3)
    assert caught.value.code == ErrorCode.MESSAGE_NOT_FOUND
    assert _world() == before


def test_rating_for_a_ranking_task_is_refused_with_2102() -> None:
    group = Group()
    task = group.task()
    MessageFactory.create(api_client=task.api_client, frontend_message_id=task.frontend_message_id)
    before = _world()
    with pytest.raises(DomainError) as caught:
        _rate(task, 3)
    assert caught.value.code == ErrorCode.TASK_PAYLOAD_TYPE_MISMATCH
    assert _world() == before
