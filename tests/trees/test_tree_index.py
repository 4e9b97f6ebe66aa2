"""The candidate index (tree_message): kept by the services, checked and repaired (DATA-18).

Next-task selection finds the messages of a language in growing or ranking trees through it
(TREE-22 … TREE-27, TREE-39), so every message needs an entry that carries its tree's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from shared_protocol.enums import MessageRole
from tasks.services.submissions import submit_text_reply
from tests.factories import MessageFactory, MessageTreeStateFactory, TaskFactory, UserFactory
from trees.models import Message, MessageTreeState, TreeMessage, TreeState
from trees.services.invariants import check_invariants
from trees.services.reconcile import tree_states_create_missing
from trees.transitions import tree_transition

if TYPE_CHECKING:
    from uuid import UUID

    from tasks.models import Task

pytestmark = pytest.mark.django_db

S = TreeState


def _entries(tree_id: UUID) -> dict[UUID, tuple[str, str, str | None]]:
    return {
        pk: (lang, role, state)
        for pk, lang, role, state in TreeMessage.objects.filter(
            message_tree_id=tree_id
        ).values_list("message_id", "lang", "role", "tree_state")
    }


def _submit(task: Task, *, text: str, lang: str) -> Message:
    """The text of `task`, submitted by its own user through the service (TREE-45)."""
    assert task.user is not None
    return submit_text_reply(
        client=task.user.api_client,
        user=task.user,
        message_id=str(task.frontend_message_id),
        user_message_id=f"submitted-{task.pk}",
        text=text,
        lang=lang,
    )


def test_a_transition_rewrites_the_state_of_every_message_of_the_tree() -> None:
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    reply = MessageFactory.reply(tree.message_tree, accepted=True)
    MessageFactory.reply(reply)
    other = MessageTreeStateFactory.create(state=S.GROWING)

    assert tree_transition(tree_id=tree.pk, expected=[S.GROWING], target=S.RANKING, cause="test")

    assert {state for _, _, state in _entries(tree.pk).values()} == {S.RANKING}
    assert len(_entries(tree.pk)) == 3
    assert _entries(other.pk) == {other.pk: ("en", MessageRole.PROMPTER, S.GROWING)}


def test_a_lost_compare_and_set_leaves_the_entries_alone() -> None:
    tree = MessageTreeStateFactory.create(state=S.RANKING)

    assert not tree_transition(
        tree_id=tree.pk, expected=[S.GROWING], target=S.HALTED_BY_MODERATOR, cause="test"
    )

    assert _entries(tree.pk) == {tree.pk: ("en", MessageRole.PROMPTER, S.RANKING)}


def test_a_submitted_reply_is_indexed_with_its_language_role_and_tree_state() -> None:
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    root = tree.message_tree
    author = UserFactory.create()
    task = TaskFactory.create(
        acked=True,
        user=author,
        api_client=author.api_client,
        payload_type="AssistantReplyPayload",
        fields={
            "type": "assistant_reply",
            "conversation": {
                "messages": [{"id": str(root.pk), "text": root.text, "is_assistant": False}]
            },
        },
        parent_message_id=root.pk,
        message_tree_id=root.pk,
    )

    reply = _submit(task, text="An answer.", lang="de")

    assert _entries(tree.pk)[reply.pk] == ("de", MessageRole.ASSISTANT, S.GROWING)


def test_a_submitted_prompt_is_indexed_in_initial_prompt_review() -> None:
    author = UserFactory.create()
    task = TaskFactory.create(
        acked=True, user=author, api_client=author.api_client, payload_type="InitialPromptPayload"
    )

    root = _submit(task, text="A question?", lang="es")

    assert _entries(root.pk) == {root.pk: ("es", MessageRole.PROMPTER, S.INITIAL_PROMPT_REVIEW)}


def test_reconcile_indexes_the_trees_it_creates_state_rows_for() -> None:
    root = MessageFactory.create()
    MessageFactory.reply(root)
    assert {state for _, _, state in _entries(root.pk).values()} == {None}

    tree_states_create_missing()

    assert MessageTreeState.objects.get(pk=root.pk).state == S.GROWING
    assert {state for _, _, state in _entries(root.pk).values()} == {S.GROWING}


def test_drift_is_reported_and_repaired_by_check_invariants() -> None:
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    stale = MessageFactory.reply(tree.message_tree)
    unindexed = MessageFactory.reply(tree.message_tree)
    TreeMessage.objects.filter(pk=stale.pk).update(tree_state=S.RANKING)
    TreeMessage.objects.filter(pk=unindexed.pk).delete()

    lines = check_invariants(fix=True)

    assert sorted(lines) == sorted(
        [
            f"tree_message: message {stale.pk} indexed as ranking, its tree is growing",
            f"tree_message: message {unindexed.pk} has no entry, its tree is growing",
        ]
    )
    assert check_invariants(fix=False) == []
    assert _entries(tree.pk)[unindexed.pk] == ("en", MessageRole.ASSISTANT, S.GROWING)


def test_an_entry_that_disagrees_with_its_message_is_drift() -> None:
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    Message.objects.filter(pk=tree.pk).update(lang="fr")

    assert check_invariants(fix=True) == [
        f"tree_message: message {tree.pk} language indexed as en, the message has fr"
    ]
    assert _entries(tree.pk) == {tree.pk: ("fr", MessageRole.PROMPTER, S.GROWING)}
