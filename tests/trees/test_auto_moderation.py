"""Auto-moderation (TREE-44) and the soft deletion of a subtree it uses (MOD-10)."""

from __future__ import annotations

from typing import Any

import pytest

from journal.models import Journal
from shared_protocol.enums import EmojiCode
from stats.models import UserStatsDirty
from tests.factories import (
    MessageEmojiFactory,
    MessageFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
    UserFactory,
)
from trees.models import Message, MessageTreeState, TreeManagerSettings, TreeState
from trees.services.emoji import emoji_add, emojis_recompute
from trees.services.moderation import (
    auto_moderate_message,
    auto_moderation_sweep,
    message_soft_delete,
)

S = TreeState
E = EmojiCode
pytestmark = pytest.mark.django_db

BASE_CONFIG: dict[str, Any] = {
    "auto_mod_enabled": True,
    "auto_mod_red_flags": 3,
    "auto_mod_max_skip_reply": 3,
    "num_reviews_reply": 3,
    "p_activate_backlog_tree": 0.0,
}


@pytest.fixture(autouse=True)
def _config() -> None:
    TreeManagerSettingsFactory.create(overrides=BASE_CONFIG)


def configure(**overrides: object) -> None:
    TreeManagerSettings.objects.update(overrides={**BASE_CONFIG, **overrides})


def react(message: Message, code: str, times: int) -> None:
    """`times` users add `code` through the service (auto-moderation runs on each)."""
    for _ in range(times):
        emoji_add(message_id=message.pk, user_id=UserFactory.create().pk, emoji=code)


def rows(message: Message, code: str, times: int) -> None:
    """`times` emoji rows and an exact aggregate, without running auto-moderation."""
    for _ in range(times):
        MessageEmojiFactory.create(message=message, emoji=code)
    emojis_recompute(message_ids=[message.pk])


def state_of(tree: MessageTreeState) -> str:
    tree.refresh_from_db()
    return tree.state


def growing_tree() -> tuple[MessageTreeState, Message]:
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    return tree, tree.message_tree


@pytest.mark.parametrize("state", [S.INITIAL_PROMPT_REVIEW, S.GROWING])
def test_root_red_flags_abort_the_tree_at_exactly_the_threshold(state: TreeState) -> None:
    tree = MessageTreeStateFactory.create(state=state)

    react(tree.message_tree, E.RED_FLAG, 2)  # N - 1
    assert state_of(tree) == state

    react(tree.message_tree, E.RED_FLAG, 1)  # N
    assert state_of(tree) == S.ABORTED_LOW_GRADE  # T4


def test_reply_red_flags_delete_the_reply_and_its_subtree_at_the_threshold() -> None:
    # given: root → a (flagged) → b → c (c deleted earlier); root → sibling
    tree, root = growing_tree()
    a = MessageFactory.reply(root, accepted=True)
    b = MessageFactory.reply(a, accepted=True)
    c = MessageFactory.reply(b, deleted=True, deletion_batch_id=MessageFactory.build().pk)
    old_batch = c.deletion_batch_id
    sibling = MessageFactory.reply(root, accepted=True)
    MessageFactory.reply(sibling)  # keeps the tree growing (awaits review)
    root.refresh_from_db()
    assert root.children_count == 2

    # when: N - 1 flags, then the N-th
    react(a, E.RED_FLAG, 2)
    a.refresh_from_db()
    assert a.deleted is False
    react(a, E.RED_FLAG, 1)

    # then
    a.refresh_from_db()
    b.refresh_from_db()
    c.refresh_from_db()
    root.refresh_from_db()
    assert a.deleted
    assert b.deleted
    assert c.deleted
    assert a.deletion_batch_id is not None
    assert a.deletion_batch_id == b.deletion_batch_id
    assert c.deletion_batch_id == old_batch  # already deleted: keeps its batch (MOD-10)
    assert root.children_count == 1
    assert (a.children_count, b.children_count) == (0, 0)
    assert Message.objects.get(pk=sibling.pk).deleted is False
    assert UserStatsDirty.objects.filter(user_id__in=[a.user_id, b.user_id]).count() == 2
    assert state_of(tree) == S.GROWING


def test_deleting_the_last_awaited_reply_runs_the_ranking_check() -> None:
    # given: goal 2 reached once the reply under review is gone
    tree = MessageTreeStateFactory.create(state=S.GROWING, goal_tree_size=2)
    root = tree.message_tree
    MessageFactory.reply(root, accepted=True)
    pending = MessageFactory.reply(root)

    # when
    react(pending, E.RED_FLAG, 3)

    # then: T8, and with nothing rankable straight through to export (IMP-4)
    assert state_of(tree) == S.READY_FOR_EXPORT


def test_deleting_the_only_accepted_reply_does_not_halt_while_the_root_is_accepted() -> None:
    tree, root = growing_tree()
    reply = MessageFactory.reply(root, accepted=True)
    react(reply, E.RED_FLAG, 3)
    reply.refresh_from_db()
    assert reply.deleted
    assert state_of(tree) == S.GROWING  # the root still counts (TREE-8)


def test_rejected_replies_and_finished_trees_do_not_qualify() -> None:
    _, root = growing_tree()
    rejected = MessageFactory.reply(root, rejected=True)
    react(rejected, E.RED_FLAG, 3)
    assert Message.objects.get(pk=rejected.pk).deleted is False

    ranking = MessageTreeStateFactory.create(state=S.RANKING)
    react(ranking.message_tree, E.RED_FLAG, 3)
    react(ranking.message_tree, E.SKIP_REPLY, 3)
    assert state_of(ranking) == S.RANKING


def test_reply_under_review_qualifies() -> None:
    _, root = growing_tree()
    under_review = MessageFactory.reply(root, review_count=2)
    react(under_review, E.RED_FLAG, 3)
    assert Message.objects.get(pk=under_review.pk).deleted is True


def test_skip_replies_halt_the_tree_at_exactly_the_threshold() -> None:
    tree, root = growing_tree()
    reply = MessageFactory.reply(root, accepted=True)

    react(reply, E.SKIP_REPLY, 2)
    assert state_of(tree) == S.GROWING
    react(reply, E.SKIP_REPLY, 1)
    assert state_of(tree) == S.HALTED_BY_MODERATOR  # T5
    assert Message.objects.get(pk=reply.pk).deleted is False


def test_red_flags_and_skips_on_a_root_abort_then_halt() -> None:
    """TREE-44 step 2 after step 1 ended the tree: T4, then T17."""
    tree, root = growing_tree()
    rows(root, E.RED_FLAG, 3)
    rows(root, E.SKIP_REPLY, 3)

    auto_moderate_message(message_id=root.pk)

    assert state_of(tree) == S.HALTED_BY_MODERATOR
    events = Journal.objects.filter(event_type="tree_state_changed").order_by("id")
    assert [(e.fields["from_state"], e.fields["to_state"]) for e in events] == [
        (S.GROWING, S.ABORTED_LOW_GRADE),
        (S.ABORTED_LOW_GRADE, S.HALTED_BY_MODERATOR),
    ]


def test_disabled_auto_moderation_does_nothing() -> None:
    configure(auto_mod_enabled=False)
    tree, root = growing_tree()
    react(root, E.RED_FLAG, 5)
    assert state_of(tree) == S.GROWING
    assert auto_moderation_sweep() == 0


def test_sweep_applies_a_lowered_threshold() -> None:
    # given: offenders below the configured thresholds
    configure(auto_mod_red_flags=5, auto_mod_max_skip_reply=5)
    flagged_root_tree, flagged_root = growing_tree()
    rows(flagged_root, E.RED_FLAG, 2)
    tree, root = growing_tree()
    reply = MessageFactory.reply(root, accepted=True)
    MessageFactory.reply(reply, accepted=True)
    rows(reply, E.RED_FLAG, 2)
    skipped_tree, skipped_root = growing_tree()
    rows(skipped_root, E.SKIP_REPLY, 2)
    ignored = MessageTreeStateFactory.create(state=S.RANKING)
    rows(ignored.message_tree, E.RED_FLAG, 2)
    assert auto_moderation_sweep() == 0

    # when: the thresholds are lowered
    configure(auto_mod_red_flags=2, auto_mod_max_skip_reply=2)
    changed = auto_moderation_sweep()

    # then
    assert changed == 3
    assert state_of(flagged_root_tree) == S.ABORTED_LOW_GRADE
    assert Message.objects.filter(message_tree_id=root.pk, deleted=True).count() == 2
    assert state_of(tree) == S.GROWING
    assert state_of(skipped_tree) == S.HALTED_BY_MODERATOR
    assert state_of(ignored) == S.RANKING
    assert auto_moderation_sweep() == 0  # nothing left to do


def test_a_zero_threshold_never_fires_without_any_flag() -> None:
    configure(auto_mod_red_flags=0, auto_mod_max_skip_reply=0)
    tree, root = growing_tree()
    MessageFactory.reply(root, accepted=True)
    assert auto_moderation_sweep() == 0
    assert state_of(tree) == S.GROWING


def test_deleting_a_root_halts_its_tree() -> None:
    """MOD-10: a deleted root stops its tree from any working or parking state."""
    tree = MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)
    assert message_soft_delete(message_id=tree.message_tree_id) == 1
    assert state_of(tree) == S.HALTED_BY_MODERATOR
