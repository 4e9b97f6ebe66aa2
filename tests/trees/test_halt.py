"""Halt (TREE-60, T17), reactivation (TREE-61, T18) and the prompt-review check (T2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from journal.models import Journal
from tests.factories import (
    MessageFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
    UserFactory,
)
from trees.models import MessageTreeState, TreeManagerSettings, TreeState
from trees.services.moderation import tree_check_prompt_review, tree_halt, tree_unhalt

S = TreeState
pytestmark = pytest.mark.django_db

BASE_CONFIG: dict[str, Any] = {"p_activate_backlog_tree": 0.0, "num_required_rankings": 2}


@pytest.fixture(autouse=True)
def _config() -> None:
    TreeManagerSettingsFactory.create(overrides=BASE_CONFIG)


def state_of(tree: MessageTreeState) -> str:
    tree.refresh_from_db()
    return tree.state


@pytest.mark.parametrize("state", [s for s in TreeState if s != S.HALTED_BY_MODERATOR])
def test_halt_works_from_every_state(state: TreeState) -> None:
    tree = MessageTreeStateFactory.create(state=state)
    moderator = UserFactory.create()

    assert tree_halt(tree_id=tree.pk, user_id=moderator.pk) is True

    assert state_of(tree) == S.HALTED_BY_MODERATOR
    event = Journal.objects.get(event_type="tree_state_changed")
    assert event.fields["cause"] == "moderator_halt"
    assert event.user_id == moderator.pk


def test_halting_a_halted_tree_changes_nothing() -> None:
    tree = MessageTreeStateFactory.create(state=S.HALTED_BY_MODERATOR)
    assert tree_halt(tree_id=tree.pk) is False
    assert not Journal.objects.exists()


@pytest.mark.parametrize(("state", "tops_up"), [(S.GROWING, True), (S.BACKLOG_RANKING, False)])
def test_halt_tops_up_the_backlog_only_from_active_states(state: TreeState, tops_up: bool) -> None:
    TreeManagerSettings.objects.update(overrides={**BASE_CONFIG, "p_activate_backlog_tree": 1.0})
    parked = MessageTreeStateFactory.create(state=S.BACKLOG_RANKING, origin="import")
    MessageFactory.reply(parked.message_tree, accepted=True)
    MessageFactory.reply(parked.message_tree, accepted=True)
    tree = MessageTreeStateFactory.create(state=state)

    tree_halt(tree_id=tree.pk)

    assert (state_of(parked) == S.RANKING) is tops_up


def test_unhalt_leaves_a_waiting_prompt_waiting() -> None:
    tree = MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)
    assert tree_unhalt(tree_id=tree.pk) is False
    assert state_of(tree) == S.PROMPT_LOTTERY_WAITING


def test_unhalt_returns_an_imported_tree_to_ranking() -> None:
    """IMP-24: imported trees go back to ranking, not through prompt review."""
    tree = MessageTreeStateFactory.create(state=S.HALTED_BY_MODERATOR, origin="import")
    MessageFactory.reply(tree.message_tree, accepted=True)
    MessageFactory.reply(tree.message_tree, accepted=True)

    assert tree_unhalt(tree_id=tree.pk) is True

    assert state_of(tree) == S.RANKING  # rankings incomplete: the scoring check waits


def test_unhalt_of_an_imported_tree_with_nothing_to_rank_goes_on_to_export() -> None:
    tree = MessageTreeStateFactory.create(state=S.ABORTED_LOW_GRADE, origin="import")
    assert tree_unhalt(tree_id=tree.pk) is True
    assert state_of(tree) == S.READY_FOR_EXPORT  # the scoring check ran (IMP-4)


def test_unhalt_returns_a_lottery_winner_to_growing() -> None:
    tree = MessageTreeStateFactory.create(
        state=S.HALTED_BY_MODERATOR, won_prompt_lottery_date=timezone.now()
    )
    MessageFactory.reply(tree.message_tree)  # under review: the tree keeps growing

    assert tree_unhalt(tree_id=tree.pk, user_id=UserFactory.create().pk) is True

    assert state_of(tree) == S.GROWING
    causes = Journal.objects.values_list("event_payload__payload__cause", flat=True)
    assert list(causes) == ["moderator_unhalt"]


def test_unhalt_of_a_finished_lottery_winner_cascades_through_the_ranking_check() -> None:
    tree = MessageTreeStateFactory.create(
        state=S.READY_FOR_EXPORT, won_prompt_lottery_date=timezone.now(), goal_tree_size=2
    )
    MessageFactory.reply(tree.message_tree, accepted=True)

    assert tree_unhalt(tree_id=tree.pk) is True

    # growing → (goal reached) ranking → (nothing to rank) ready_for_export
    assert state_of(tree) == S.READY_FOR_EXPORT
    events = Journal.objects.filter(event_type="tree_state_changed").order_by("id")
    assert [e.fields["to_state"] for e in events] == [
        S.GROWING,
        S.RANKING,
        S.READY_FOR_SCORING,
        S.READY_FOR_EXPORT,
    ]


def test_unhalt_of_an_unreviewed_prompt_returns_it_to_review() -> None:
    tree = MessageTreeStateFactory.create(
        state=S.HALTED_BY_MODERATOR, message_tree__review_result=None, message_tree__review_count=0
    )
    assert tree_unhalt(tree_id=tree.pk) is True
    assert state_of(tree) == S.INITIAL_PROMPT_REVIEW


def test_unhalt_of_an_accepted_prompt_sends_it_to_the_lottery() -> None:
    tree = MessageTreeStateFactory.create(state=S.ABORTED_LOW_GRADE)  # root accepted
    assert tree_unhalt(tree_id=tree.pk) is True
    assert state_of(tree) == S.PROMPT_LOTTERY_WAITING  # T18, then T2


def test_unhalt_of_a_tree_already_in_its_target_state_only_runs_the_check() -> None:
    tree = MessageTreeStateFactory.create(state=S.GROWING, won_prompt_lottery_date=timezone.now())
    MessageFactory.reply(tree.message_tree)
    assert tree_unhalt(tree_id=tree.pk) is False
    assert not Journal.objects.exists()


def test_unhalt_of_an_unknown_tree_is_false() -> None:
    assert tree_unhalt(tree_id=MessageFactory.build().pk) is False


def test_prompt_review_check_moves_only_accepted_roots() -> None:
    accepted = MessageTreeStateFactory.create(
        state=S.INITIAL_PROMPT_REVIEW, message_tree__review_result=True
    )
    pending = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)

    assert tree_check_prompt_review(tree_id=accepted.pk) is True
    assert tree_check_prompt_review(tree_id=pending.pk) is False

    assert state_of(accepted) == S.PROMPT_LOTTERY_WAITING
    assert state_of(pending) == S.INITIAL_PROMPT_REVIEW
