"""The reconciler (TREE-71), the pump (TREE-70) and the job locks of both (TREE-72)."""

from __future__ import annotations

import threading
from io import StringIO
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.db import connection

from journal.models import Journal
from shared_protocol.enums import EmojiCode
from tests.factories import (
    LanguageSettingsFactory,
    MessageEmojiFactory,
    MessageFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
    UserFactory,
)
from trees.models import Message, MessageTreeState, TreeState
from trees.services.emoji import emojis_recompute
from trees.services.job_lock import job_lock
from trees.services.reconcile import reconcile_trees, tree_pump

if TYPE_CHECKING:
    from collections.abc import Iterator

S = TreeState
pytestmark = pytest.mark.django_db

BASE_CONFIG: dict[str, Any] = {
    "p_activate_backlog_tree": 0.0,
    "num_required_rankings": 2,
    "num_reviews_reply": 3,
    "auto_mod_red_flags": 2,
    "max_active_trees": 10,
}
NOTHING = {
    "created": 0,
    "prompt_review_moved": 0,
    "ranking_check_moved": 0,
    "scoring_check_moved": 0,
}


@pytest.fixture(autouse=True)
def _config() -> None:
    TreeManagerSettingsFactory.create(overrides=BASE_CONFIG)


def state_of(tree: MessageTreeState) -> str:
    tree.refresh_from_db()
    return tree.state


def consistent_world() -> list[MessageTreeState]:
    """Trees in every state, none of which any check would move."""
    review = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    growing = MessageTreeStateFactory.create(state=S.GROWING)
    MessageFactory.reply(growing.message_tree)  # awaits review
    ranking = MessageTreeStateFactory.create(state=S.RANKING)
    MessageFactory.reply(ranking.message_tree, accepted=True)
    MessageFactory.reply(ranking.message_tree, accepted=True)  # rankings missing
    others = [
        MessageTreeStateFactory.create(state=state)
        for state in (S.PROMPT_LOTTERY_WAITING, S.READY_FOR_EXPORT, S.HALTED_BY_MODERATOR)
    ]
    return [review, growing, ranking, *others]


def test_a_consistent_database_moves_nothing() -> None:
    trees = consistent_world()
    before = [t.state for t in trees]

    assert reconcile_trees() == NOTHING
    assert reconcile_trees() == NOTHING

    assert [state_of(t) for t in trees] == before
    assert not Journal.objects.exists()


def test_missing_state_rows_are_created_with_the_root_languages_sizes() -> None:
    # given: roots without a state row, one alone and one with a reply (T20)
    LanguageSettingsFactory.create(
        lang="de", overrides={"goal_tree_size": 7, "max_tree_depth": 4, "max_children_count": 2}
    )
    lonely = MessageFactory.create(lang="de")
    grown = MessageFactory.create(accepted=True)
    MessageFactory.reply(grown)  # under review: the ranking check leaves the tree growing

    # when
    counts = reconcile_trees()

    # then
    assert counts["created"] == 2
    german = MessageTreeState.objects.get(pk=lonely.pk)
    assert (german.state, german.active, german.lang) == (S.INITIAL_PROMPT_REVIEW, True, "de")
    assert (german.goal_tree_size, german.max_depth, german.max_children_count) == (7, 4, 2)
    english = MessageTreeState.objects.get(pk=grown.pk)
    assert (english.state, english.active, english.goal_tree_size) == (S.GROWING, True, 12)
    assert english.won_prompt_lottery_date is not None
    assert reconcile_trees() == NOTHING


def test_stuck_trees_are_moved_on() -> None:
    # given: an accepted prompt still in review, a finished growing tree, an empty ranking
    accepted = MessageTreeStateFactory.create(
        state=S.INITIAL_PROMPT_REVIEW, message_tree__review_result=True
    )
    grown = MessageTreeStateFactory.create(state=S.GROWING, goal_tree_size=2)
    MessageFactory.reply(grown.message_tree, accepted=True)
    empty_ranking = MessageTreeStateFactory.create(state=S.RANKING)
    untouched = consistent_world()

    # when
    counts = reconcile_trees()

    # then
    assert counts == {
        **NOTHING,
        "prompt_review_moved": 1,
        "ranking_check_moved": 1,
        "scoring_check_moved": 1,
    }
    assert state_of(accepted) == S.PROMPT_LOTTERY_WAITING  # T2
    assert state_of(grown) == S.READY_FOR_EXPORT  # T8, then nothing to rank
    assert state_of(empty_ranking) == S.READY_FOR_EXPORT  # IMP-4
    assert all(state_of(t) == t.state for t in untouched)


def test_pump_runs_lottery_sweep_and_banned_author_safety_net() -> None:
    # given
    drawn = MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)
    banned = MessageTreeStateFactory.create(
        state=S.PROMPT_LOTTERY_WAITING, message_tree__user=UserFactory.create(disabled=True)
    )
    flagged = MessageTreeStateFactory.create(state=S.GROWING)
    for _ in range(2):
        MessageEmojiFactory.create(message=flagged.message_tree, emoji=EmojiCode.RED_FLAG)
    emojis_recompute(message_ids=[flagged.pk])

    # when
    counts = tree_pump()

    # then
    assert counts == {"lottery_activated": 1, "auto_moderated": 1, "halted": 1}
    assert state_of(drawn) == S.GROWING
    assert state_of(banned) == S.HALTED_BY_MODERATOR  # T7 (TREE-14)
    assert state_of(flagged) == S.ABORTED_LOW_GRADE
    assert tree_pump() == {"lottery_activated": 0, "auto_moderated": 0, "halted": 0}


def test_commands_run_the_jobs_and_report() -> None:
    MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)
    MessageFactory.create()

    out = StringIO()
    call_command("run_tree_pump", stdout=out)
    assert "lottery_activated: 1" in out.getvalue()

    out = StringIO()
    call_command("reconcile_trees", stdout=out)
    assert "created: 1" in out.getvalue()
    assert Message.objects.filter(tree_state__isnull=True).count() == 0


@pytest.fixture
def held_lock() -> Iterator[str]:
    """Hold the pump's job lock from another thread (its own connection) during the test."""
    taken, release = threading.Event(), threading.Event()
    outcome: list[bool] = []

    def hold() -> None:
        try:
            with job_lock("run_tree_pump") as acquired:
                outcome.append(acquired)
                taken.set()
                release.wait(timeout=30)
        finally:
            taken.set()
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(timeout=30)
    assert outcome == [True]
    yield "run_tree_pump"
    release.set()
    thread.join()


def test_a_job_whose_lock_is_held_elsewhere_is_skipped(held_lock: str) -> None:
    waiting = MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)

    with job_lock(held_lock) as acquired:
        assert acquired is False
    out = StringIO()
    call_command("run_tree_pump", stdout=out)

    assert "Another run_tree_pump is running; nothing done." in out.getvalue()
    assert state_of(waiting) == S.PROMPT_LOTTERY_WAITING
    with job_lock("reconcile_trees") as other:
        assert other is True  # locks are per job


def test_a_lock_is_released_when_the_job_fails() -> None:
    def failing_job() -> None:
        with job_lock("reconcile_trees") as acquired:
            assert acquired
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_job()
    with job_lock("reconcile_trees") as again:
        assert again is True
