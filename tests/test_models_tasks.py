"""Tasks, reactions and text labels in the database (DATA-6 … DATA-8, GEN-6)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tasks.models import TASK_PAYLOAD_TYPES, TEXT_LABELS_MAX_TEXT, MessageReaction, Task, TextLabels
from tests.factories import (
    ApiClientFactory,
    MessageFactory,
    MessageReactionFactory,
    TaskFactory,
    TextLabelsFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- task (DATA-6) -----------------------------------------------------------------------------


@pytest.mark.parametrize(("payload_type", "task_type"), sorted(TASK_PAYLOAD_TYPES.items()))
def test_task_payload_reads_back_as_its_wire_type_and_fields(
    payload_type: str, task_type: str
) -> None:
    """GEN-6: a task's envelope round-trips; task_type is the wire name of its payload type."""
    # given
    fields = {"type": task_type, "hint": "about cats", "conversation": {"messages": []}}
    task = TaskFactory.create(payload_type=payload_type, fields=fields)
    # when
    stored = Task.objects.get(pk=task.pk)
    # then
    assert stored.payload == {"payload_type": payload_type, "payload": fields}
    assert stored.payload_type == payload_type
    assert stored.task_type == task_type
    assert stored.fields == fields


def test_task_with_an_unknown_payload_type_is_rejected() -> None:
    """GEN-6, DATA-6: payload_type is one of the task payload types."""
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskFactory.create(payload_type="WriteAPoemPayload", fields={"type": "poem"})


def test_two_tasks_with_the_same_frontend_message_id_from_one_client_are_rejected() -> None:
    """DATA-6: unique (api_client, frontend_message_id) where the id is set."""
    existing = TaskFactory.create(frontend_message_id="ft-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskFactory.create(frontend_message_id="ft-1", api_client=existing.api_client)


def test_tasks_without_a_frontend_message_id_do_not_collide() -> None:
    """DATA-6: the uniqueness is partial; unacknowledged tasks have no frontend id."""
    client = ApiClientFactory.create()
    TaskFactory.create_batch(3, api_client=client, frontend_message_id=None)
    assert Task.objects.filter(api_client=client, frontend_message_id__isnull=True).count() == 3


def test_same_task_frontend_message_id_under_another_client_is_accepted() -> None:
    """GEN-3: frontend ids are scoped to their client."""
    TaskFactory.create(frontend_message_id="ft-1")
    TaskFactory.create(frontend_message_id="ft-1")
    assert Task.objects.filter(frontend_message_id="ft-1").count() == 2


# --- message_reaction (DATA-7) ---------------------------------------------------------------


def test_rating_reaction_reads_back_through_its_fields() -> None:
    """GEN-6: a rating is stored as a RatingReactionPayload envelope."""
    # given
    reaction = MessageReactionFactory.create(fields={"type": "message_rating", "rating": 5})
    # when
    stored = MessageReaction.objects.get(pk=reaction.pk)
    # then
    assert stored.payload_type == "RatingReactionPayload"
    assert stored.fields == {"type": "message_rating", "rating": 5}
    assert (stored.task_id, stored.user_id) == (reaction.task.id, reaction.task.user_id)


def test_ranking_reaction_reads_back_through_its_fields() -> None:
    """GEN-6: a ranking is stored as a RankingReactionPayload envelope."""
    # given
    parent = MessageFactory.create()
    replies = [MessageFactory.reply(parent), MessageFactory.reply(parent)]
    fields = {
        "type": "message_ranking",
        "ranking": [1, 0],
        "ranked_message_ids": [str(replies[1].id), str(replies[0].id)],
        "ranking_parent_id": str(parent.id),
        "message_tree_id": str(parent.message_tree_id),
        "not_rankable": False,
    }
    reaction = MessageReactionFactory.create(ranking=True, fields=fields, message_id=parent.id)
    # when
    stored = MessageReaction.objects.get(pk=reaction.pk)
    # then
    assert stored.payload == {"payload_type": "RankingReactionPayload", "payload": fields}
    assert stored.fields == fields
    assert stored.message_id == parent.id
    assert stored.task.task_type == "rank_assistant_replies"


def test_second_reaction_by_one_user_to_one_task_is_rejected() -> None:
    """DATA-7, TREE-53: one reaction per (task, user)."""
    existing = MessageReactionFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageReactionFactory.create(task=existing.task, user=existing.user)


def test_reactions_by_different_users_to_one_collective_task_are_accepted() -> None:
    """DATA-7: the key is (task, user), so other users may react to the same task."""
    existing = MessageReactionFactory.create(task__collective=True)
    MessageReactionFactory.create(task=existing.task, user=UserFactory.create())
    assert existing.task.reactions.count() == 2


def test_reaction_with_an_unknown_payload_type_is_rejected() -> None:
    """GEN-6, DATA-7: reactions are rankings or ratings."""
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageReactionFactory.create(payload_type="LikeReactionPayload")


# --- text_labels (DATA-8) --------------------------------------------------------------------


def test_labels_read_back_equal() -> None:
    """DATA-8: labels are a JSON object {label name: number 0..1}."""
    labels = {"spam": 0.0, "quality": 0.75, "humor": 1}
    row = TextLabelsFactory.create(labels=labels, text="ok")
    stored = TextLabels.objects.get(pk=row.pk)
    assert stored.labels == labels
    assert stored.text == "ok"


def test_task_based_label_has_the_task_id_as_its_id() -> None:
    """DATA-8: for task-based labels the row id equals the task id."""
    row = TextLabelsFactory.create(task_based=True)
    row.refresh_from_db()
    assert row.task_id == row.id


def test_two_label_rows_for_one_task_are_rejected() -> None:
    """DATA-8: task_id is unique when not null."""
    existing = TextLabelsFactory.create(task_based=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        TextLabelsFactory.create(task_id=existing.task_id)


def test_second_free_label_by_one_user_on_one_message_is_rejected() -> None:
    """DATA-8, MOD-14: one free label row (task_id null) per user and message."""
    existing = TextLabelsFactory.create(task_id=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        TextLabelsFactory.create(user=existing.user, message=existing.message, task_id=None)


def test_task_based_labels_by_one_user_on_one_message_may_repeat() -> None:
    """DATA-8: only free labels are one per (user, message); reviews each have their task."""
    # given
    free = TextLabelsFactory.create()
    # when
    for _ in range(2):
        TextLabelsFactory.create(user=free.user, message=free.message, task_based=True)
    # then
    assert TextLabels.objects.filter(user=free.user, message=free.message).count() == 3


def test_label_text_at_the_limit_is_accepted_and_one_more_character_rejected() -> None:
    """DATA-8: text holds at most 65536 characters, on both databases."""
    at_limit = TextLabelsFactory.create(text="x" * TEXT_LABELS_MAX_TEXT)
    at_limit.refresh_from_db()
    assert len(at_limit.text) == TEXT_LABELS_MAX_TEXT
    with pytest.raises(IntegrityError), transaction.atomic():
        TextLabelsFactory.create(text="x" * (TEXT_LABELS_MAX_TEXT + 1))
