"""DATA-18 invariants: every violation is detected and repaired (`check_invariants`)."""

from __future__ import annotations

from io import StringIO
from typing import TYPE_CHECKING

import pytest
from django.core.management import CommandError, call_command

from tests.factories import (
    MessageEmojiFactory,
    MessageFactory,
    MessageReactionFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
)
from trees.models import Message, MessageTreeState, TreeState
from trees.services.invariants import check_invariants

if TYPE_CHECKING:
    from tasks.models import MessageReaction

S = TreeState
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _config() -> None:
    TreeManagerSettingsFactory.create(overrides={"p_activate_backlog_tree": 0.0})


def ranking(parent: Message, order: list[Message], *, voided: bool = False) -> MessageReaction:
    fields = {
        "type": "message_ranking",
        "ranking": list(range(len(order))),
        "ranked_message_ids": [str(m.pk) for m in order],
        "ranking_parent_id": str(parent.pk),
        "message_tree_id": str(parent.message_tree_id),
        "not_rankable": False,
    }
    return MessageReactionFactory.create(
        ranking=True, message_id=parent.pk, voided=voided, fields=fields
    )


def consistent_tree() -> tuple[Message, Message, Message]:
    """A growing tree with two ranked replies, counters and aggregates all correct."""
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    root = tree.message_tree
    a = MessageFactory.reply(root, accepted=True)
    b = MessageFactory.reply(root, accepted=True)
    ranking(root, [a, b])
    ranking(root, [b, a], voided=True)
    ranking(a, [b])  # on another parent: never counts for b
    Message.objects.filter(pk__in=[a.pk, b.pk]).update(ranking_count=1)
    MessageEmojiFactory.create(message=a)
    Message.objects.filter(pk=a.pk).update(emojis={"+1": 1})
    return root, a, b


def test_a_consistent_database_has_no_violation() -> None:
    root, _, _ = consistent_tree()
    emptied = MessageFactory.reply(root)
    Message.objects.filter(pk=emptied.pk).update(emojis={})  # {} and null both mean no codes
    assert check_invariants(fix=False) == []


def test_children_count_is_detected_and_fixed() -> None:
    root, a, _ = consistent_tree()
    MessageFactory.reply(a, deleted=True)  # deleted children do not count
    Message.objects.filter(pk=root.pk).update(children_count=5)
    Message.objects.filter(pk=a.pk).update(children_count=1)

    lines = check_invariants(fix=True)

    assert sorted(lines) == sorted(
        [
            f"children_count: message {root.pk} has 5, expected 2",
            f"children_count: message {a.pk} has 1, expected 0",
        ]
    )
    assert check_invariants(fix=False) == []
    assert Message.objects.get(pk=root.pk).children_count == 2


def test_ranking_count_is_detected_and_fixed() -> None:
    _, a, b = consistent_tree()
    Message.objects.filter(pk=a.pk).update(ranking_count=3)
    Message.objects.filter(pk=b.pk).update(ranking_count=0)

    lines = check_invariants(fix=True)

    assert sorted(lines) == sorted(
        [
            f"ranking_count: message {a.pk} has 3, expected 1",
            f"ranking_count: message {b.pk} has 0, expected 1",
        ]
    )
    assert check_invariants(fix=False) == []
    assert Message.objects.get(pk=b.pk).ranking_count == 1


def test_emoji_aggregate_is_detected_and_fixed() -> None:
    root, a, b = consistent_tree()
    zero = MessageFactory.reply(root)
    MessageEmojiFactory.create(message=b, emoji="red_flag")
    MessageEmojiFactory.create(message=b, emoji="red_flag")
    Message.objects.filter(pk=a.pk).update(emojis={"+1": 2, "rofl": 1})  # too many
    Message.objects.filter(pk=zero.pk).update(emojis={"+1": 0})  # zero codes must be absent
    # b: rows but a null aggregate

    lines = check_invariants(fix=True)

    assert len(lines) == 3
    assert all(line.startswith("emojis: message ") for line in lines)
    assert check_invariants(fix=False) == []
    assert Message.objects.get(pk=a.pk).emojis == {"+1": 1}
    assert Message.objects.get(pk=b.pk).emojis == {"red_flag": 2}
    assert Message.objects.get(pk=zero.pk).emojis == {}


def test_missing_tree_state_rows_are_detected_and_created() -> None:
    lonely = MessageFactory.create()
    grown = MessageFactory.create()
    MessageFactory.reply(grown)

    lines = check_invariants(fix=True)

    assert sorted(lines) == sorted(
        f"tree state: root {pk} has no message_tree_state row" for pk in (lonely.pk, grown.pk)
    )
    assert MessageTreeState.objects.get(pk=lonely.pk).state == S.INITIAL_PROMPT_REVIEW
    assert MessageTreeState.objects.get(pk=grown.pk).state == S.GROWING
    assert check_invariants(fix=False) == []


def test_command_exits_non_zero_while_violations_remain() -> None:
    root, _, _ = consistent_tree()
    Message.objects.filter(pk=root.pk).update(children_count=9)

    with pytest.raises(CommandError, match="1 invariant violation"):
        call_command("check_invariants", stdout=StringIO())

    out = StringIO()
    call_command("check_invariants", "--fix", stdout=out)
    assert f"children_count: message {root.pk} has 9, expected 2" in out.getvalue()
    assert "Repaired 1 of 1." in out.getvalue()

    out = StringIO()
    call_command("check_invariants", stdout=out)
    assert "All invariants hold." in out.getvalue()
