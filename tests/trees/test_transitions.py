"""The transition table and the one function that writes a tree's state (TREE-1 … TREE-4)."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from django.db import connection

from journal.models import Journal
from tests.factories import MessageTreeStateFactory
from trees.models import ACTIVE_STATES, MessageTreeState, TreeState
from trees.transitions import ALLOWED, InvalidTransition, tree_transition

S = TreeState
ALLOWED_PAIRS = [(s, t) for s, targets in ALLOWED.items() for t in sorted(targets)]
FORBIDDEN_PAIRS = [
    (s, t) for s, t in itertools.product(TreeState, TreeState) if t not in ALLOWED[s]
]

# TREE-4, row by row: the transitions the spec lists (T17 any → halted, T18 any but
# prompt_lottery_waiting → growing / initial_prompt_review / ranking).
SPEC_PAIRS = {
    (S.INITIAL_PROMPT_REVIEW, S.PROMPT_LOTTERY_WAITING),  # T2
    (S.INITIAL_PROMPT_REVIEW, S.ABORTED_LOW_GRADE),  # T3, T4
    (S.GROWING, S.ABORTED_LOW_GRADE),  # T4
    (S.PROMPT_LOTTERY_WAITING, S.GROWING),  # T6
    (S.GROWING, S.RANKING),  # T8
    (S.RANKING, S.READY_FOR_SCORING),  # T10
    (S.READY_FOR_SCORING, S.READY_FOR_EXPORT),  # T11
    (S.READY_FOR_SCORING, S.SCORING_FAILED),  # T12
    (S.SCORING_FAILED, S.READY_FOR_SCORING),  # T13
    (S.SCORING_FAILED, S.RANKING),  # T14
    (S.BACKLOG_RANKING, S.RANKING),  # T15
    (S.BACKLOG_RANKING, S.ABORTED_LOW_GRADE),  # T16
    *((s, S.HALTED_BY_MODERATOR) for s in TreeState if s != S.HALTED_BY_MODERATOR),  # T17
    *(
        (s, t)
        for s in TreeState
        if s != S.PROMPT_LOTTERY_WAITING
        for t in (S.GROWING, S.INITIAL_PROMPT_REVIEW, S.RANKING)
        if s != t
    ),  # T18
}


def test_table_is_exactly_the_transitions_of_the_spec() -> None:
    assert set(ALLOWED_PAIRS) == SPEC_PAIRS


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALLOWED_PAIRS)
def test_allowed_transition_moves_the_tree_and_journals_it(
    source: TreeState, target: TreeState
) -> None:
    # given
    tree = MessageTreeStateFactory.create(state=source)
    before = tree.state_changed_date

    # when
    moved = tree_transition(
        tree_id=tree.message_tree_id, expected=[source], target=target, cause="test"
    )

    # then
    assert moved is True
    tree.refresh_from_db()
    assert tree.state == target
    assert tree.active is (target in ACTIVE_STATES)  # TREE-1
    assert tree.state_changed_date >= before
    (event,) = Journal.objects.filter(event_type="tree_state_changed")
    assert event.message_id == tree.message_tree_id
    assert event.fields["from_state"] == source.value
    assert event.fields["to_state"] == target.value
    assert event.fields["cause"] == "test"
    assert event.event_payload["payload_type"] == "TreeStateEvent"


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), FORBIDDEN_PAIRS)
def test_forbidden_transition_raises_and_changes_nothing(
    source: TreeState, target: TreeState
) -> None:
    tree = MessageTreeStateFactory.create(state=source)
    with pytest.raises(InvalidTransition):
        tree_transition(tree_id=tree.message_tree_id, expected=[source], target=target, cause="x")
    tree.refresh_from_db()
    assert tree.state == source
    assert not Journal.objects.exists()


@pytest.mark.django_db
def test_transition_from_a_state_the_tree_has_left_is_a_no_op() -> None:
    """TREE-2: a failed compare-and-set is not an error and writes nothing."""
    tree = MessageTreeStateFactory.create(state=S.RANKING)

    moved = tree_transition(
        tree_id=tree.message_tree_id, expected=[S.GROWING], target=S.RANKING, cause="late"
    )

    assert moved is False
    tree.refresh_from_db()
    assert tree.state == S.RANKING
    assert not Journal.objects.exists()


@pytest.mark.django_db
def test_first_entry_into_growing_records_the_lottery_win_once() -> None:
    tree = MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)
    tree_transition(
        tree_id=tree.message_tree_id,
        expected=[S.PROMPT_LOTTERY_WAITING],
        target=S.GROWING,
        cause="lottery",
    )
    tree.refresh_from_db()
    first_win = tree.won_prompt_lottery_date
    assert first_win is not None

    MessageTreeState.objects.filter(pk=tree.pk).update(
        won_prompt_lottery_date=first_win - timedelta(days=1)
    )
    tree_transition(
        tree_id=tree.message_tree_id, expected=[S.GROWING], target=S.HALTED_BY_MODERATOR, cause="h"
    )
    tree_transition(
        tree_id=tree.message_tree_id,
        expected=[S.HALTED_BY_MODERATOR],
        target=S.GROWING,
        cause="unhalt",
    )
    tree.refresh_from_db()
    assert tree.won_prompt_lottery_date == first_win - timedelta(days=1)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_of_one_tree_let_exactly_one_win() -> None:
    """TREE-2 under real concurrency: 16 threads race lottery draw against halts."""
    tree = MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)
    barrier = threading.Barrier(16)
    results: list[bool] = []
    errors: list[BaseException] = []

    def race(index: int) -> None:
        try:
            barrier.wait()
            target = S.GROWING if index % 2 else S.HALTED_BY_MODERATOR
            results.append(
                tree_transition(
                    tree_id=tree.message_tree_id,
                    expected=[S.PROMPT_LOTTERY_WAITING],
                    target=target,
                    cause=f"thread {index}",
                )
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False] * 15 + [True]
    assert Journal.objects.filter(event_type="tree_state_changed").count() == 1
