"""Backlog activation (TREE-62) and the final-state top-up that triggers it (TREE-3, IMP-23)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.factories import (
    MessageFactory,
    MessageReactionFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
)
from trees import randomness
from trees.models import Message, MessageTreeState, TreeManagerSettings, TreeState
from trees.services.backlog import backlog_activate, incomplete_ranking_groups_count
from trees.transitions import tree_transition

S = TreeState
pytestmark = pytest.mark.django_db

BASE_CONFIG: dict[str, Any] = {
    "p_activate_backlog_tree": 0.0,
    "min_active_rankings_per_lang": 0,
    "num_required_rankings": 2,
    "rank_prompter_replies": False,
}


@pytest.fixture(autouse=True)
def _config() -> None:
    TreeManagerSettingsFactory.create(overrides=BASE_CONFIG)


def configure(**overrides: object) -> None:
    TreeManagerSettings.objects.update(overrides={**BASE_CONFIG, **overrides})


def backlog_tree(*, rankable: bool = True, age_days: int = 0, **kwargs: Any) -> MessageTreeState:
    """An imported tree parked in backlog_ranking; `rankable`: two accepted assistant replies."""
    created = timezone.now() - timedelta(days=age_days)
    tree = MessageTreeStateFactory.create(
        state=S.BACKLOG_RANKING, origin="import", message_tree__created_date=created, **kwargs
    )
    first = MessageFactory.reply(tree.message_tree, accepted=True)
    if rankable:
        MessageFactory.reply(tree.message_tree, accepted=True)
    else:
        MessageFactory.reply(tree.message_tree, rejected=True)
        MessageFactory.reply(first, accepted=True)  # a prompter reply: never counts here
    return tree


def state_of(tree: MessageTreeState) -> str:
    tree.refresh_from_db()
    return tree.state


def finish(tree: MessageTreeState, target: TreeState = S.HALTED_BY_MODERATOR) -> None:
    assert tree_transition(
        tree_id=tree.pk, expected=[TreeState(tree.state)], target=target, cause="test"
    )


# --- TREE-62 --------------------------------------------------------------------------------


def test_oldest_backlog_tree_goes_to_ranking_first() -> None:
    newer = backlog_tree(age_days=1)
    oldest = backlog_tree(age_days=5)
    other_lang = backlog_tree(age_days=9, message_tree__lang="de")

    assert backlog_activate(lang="en") is True

    assert state_of(oldest) == S.RANKING  # T15, rankings still missing
    assert state_of(newer) == S.BACKLOG_RANKING
    assert state_of(other_lang) == S.BACKLOG_RANKING


def test_equal_creation_dates_are_ordered_by_id() -> None:
    same_time = timezone.now() - timedelta(days=2)
    trees = [backlog_tree() for _ in range(3)]
    Message.objects.filter(pk__in=[t.pk for t in trees]).update(created_date=same_time)

    backlog_activate(lang="en")

    first = min(trees, key=lambda t: str(t.pk))
    assert [state_of(t) for t in trees].count(S.RANKING) == 1
    assert state_of(first) == S.RANKING


def test_trees_with_nothing_to_rank_are_aborted_on_the_way() -> None:
    # given: the two oldest have nothing to rank (even with prompter ranking switched on)
    configure(rank_prompter_replies=True)
    empty_1 = backlog_tree(rankable=False, age_days=9)
    empty_2 = backlog_tree(rankable=False, age_days=8)
    rankable = backlog_tree(age_days=1)

    assert backlog_activate(lang="en") is True

    assert state_of(empty_1) == S.ABORTED_LOW_GRADE  # T16
    assert state_of(empty_2) == S.ABORTED_LOW_GRADE
    assert state_of(rankable) == S.RANKING


def test_nothing_happens_without_a_backlog_tree() -> None:
    empty = backlog_tree(rankable=False)
    assert backlog_activate(lang="en") is False
    assert state_of(empty) == S.ABORTED_LOW_GRADE
    assert backlog_activate(lang="en") is False


def test_activated_tree_with_complete_rankings_is_scored_at_once() -> None:
    configure(num_required_rankings=1)
    tree = backlog_tree()
    a, b = Message.objects.filter(parent_id=tree.pk).order_by("pk")
    fields = {
        "type": "message_ranking",
        "ranking": [0, 1],
        "ranked_message_ids": [str(b.pk), str(a.pk)],
        "ranking_parent_id": str(tree.pk),
        "message_tree_id": str(tree.pk),
        "not_rankable": False,
    }
    MessageReactionFactory.create(ranking=True, message_id=tree.pk, fields=fields)

    assert backlog_activate(lang="en") is True

    assert state_of(tree) == S.READY_FOR_EXPORT
    assert Message.objects.get(pk=b.pk).rank == 0


# --- TREE-3 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [S.HALTED_BY_MODERATOR, S.ABORTED_LOW_GRADE, S.READY_FOR_EXPORT])
def test_an_active_tree_finishing_tops_up_the_backlog(target: TreeState) -> None:
    configure(p_activate_backlog_tree=1.0)
    parked = backlog_tree()
    source = S.READY_FOR_SCORING if target == S.READY_FOR_EXPORT else S.GROWING
    finishing = MessageTreeStateFactory.create(state=source)

    finish(finishing, target)

    assert state_of(parked) == S.RANKING


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.PROMPT_LOTTERY_WAITING, S.HALTED_BY_MODERATOR),  # parking → final (IMP-23)
        (S.ABORTED_LOW_GRADE, S.HALTED_BY_MODERATOR),  # final → final
        (S.INITIAL_PROMPT_REVIEW, S.PROMPT_LOTTERY_WAITING),  # active → parking
        (S.GROWING, S.RANKING),  # active → active
    ],
)
def test_other_transitions_never_top_up(source: TreeState, target: TreeState) -> None:
    configure(p_activate_backlog_tree=1.0, min_active_rankings_per_lang=5)
    parked = backlog_tree()
    tree = MessageTreeStateFactory.create(state=source)

    finish(tree, target)

    assert state_of(parked) == S.BACKLOG_RANKING


def test_backlog_abort_does_not_cascade_into_another_activation() -> None:
    configure(p_activate_backlog_tree=1.0)
    empty = backlog_tree(rankable=False, age_days=3)
    waiting = backlog_tree(age_days=1)
    finish(empty, S.ABORTED_LOW_GRADE)  # T16 by hand: backlog is a parking state
    assert state_of(waiting) == S.BACKLOG_RANKING


def test_top_up_uses_the_language_of_the_finished_tree() -> None:
    configure(p_activate_backlog_tree=1.0)
    german = backlog_tree(message_tree__lang="de")
    finish(MessageTreeStateFactory.create(state=S.GROWING))  # an English tree
    assert state_of(german) == S.BACKLOG_RANKING
    finish(MessageTreeStateFactory.create(state=S.GROWING, message_tree__lang="de"))
    assert state_of(german) == S.RANKING


@pytest.mark.parametrize(("draw", "activated"), [(0.05, True), (0.25, False)])
def test_top_up_probability_uses_the_random_source(
    draw: float, activated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(p_activate_backlog_tree=0.1)

    class Fixed(random.Random):
        def random(self) -> float:
            return draw

    monkeypatch.setattr(randomness, "rng", lambda: Fixed())
    parked = backlog_tree()

    finish(MessageTreeStateFactory.create(state=S.GROWING))

    assert (state_of(parked) == S.RANKING) is activated


def test_too_few_ranking_groups_activate_a_backlog_tree() -> None:
    configure(min_active_rankings_per_lang=1)
    first, second = backlog_tree(age_days=2), backlog_tree(age_days=1)

    finish(MessageTreeStateFactory.create(state=S.GROWING))
    assert state_of(first) == S.RANKING  # no group of "en" needed rankings

    finish(MessageTreeStateFactory.create(state=S.GROWING))
    assert state_of(second) == S.BACKLOG_RANKING  # `first` provides one group now


def test_incomplete_group_count_ignores_user_clauses_and_counts_both_roles() -> None:
    configure(rank_prompter_replies=False)
    tree = MessageTreeStateFactory.create(state=S.RANKING)
    root = tree.message_tree
    assistant = MessageFactory.reply(root, accepted=True)
    MessageFactory.reply(root, accepted=True)
    MessageFactory.reply(assistant, accepted=True)
    MessageFactory.reply(assistant, accepted=True)  # a prompter group under `assistant`
    MessageFactory.reply(root, accepted=True, deleted=True)  # deleted: not a group member
    done = MessageFactory.reply(assistant, accepted=True, ranking_count=2)
    Message.objects.filter(parent_id=assistant.pk).update(ranking_count=2)
    assert incomplete_ranking_groups_count(lang="en") == 1  # the prompter group is complete

    Message.objects.filter(pk=done.pk).update(ranking_count=0)
    assert incomplete_ranking_groups_count(lang="en") == 2
    assert incomplete_ranking_groups_count(lang="de") == 0
    # Inactive (finished) trees do not count.
    finish(tree, S.HALTED_BY_MODERATOR)
    assert incomplete_ranking_groups_count(lang="en") == 0
