"""Ranking check (TREE-8), scoring check and ranks (TREE-57, TREE-59), repair commands (TREE-63)."""

from __future__ import annotations

import threading
from io import StringIO
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journal.models import Journal
from stats.models import UserStatsDirty
from tasks.models import MessageReaction
from tests.factories import (
    MessageFactory,
    MessageReactionFactory,
    MessageTreeStateFactory,
    TaskFactory,
    TreeManagerSettingsFactory,
)
from trees.models import Message, MessageTreeState, TreeManagerSettings, TreeState
from trees.services import scoring
from trees.services.scoring import (
    tree_check_ranking,
    tree_check_scoring,
    tree_retry_scoring,
    trees_rerank,
)

if TYPE_CHECKING:
    from uuid import UUID

S = TreeState
pytestmark = pytest.mark.django_db


BASE_CONFIG = {
    "num_required_rankings": 2,
    "num_reviews_reply": 3,
    "num_prompter_replies": 1,
    "rank_prompter_replies": False,
    "p_activate_backlog_tree": 0.0,  # no backlog top-up draws (TREE-3)
}


@pytest.fixture(autouse=True)
def _config() -> None:
    """Explicit values for the parameters these tests depend on (§13)."""
    TreeManagerSettingsFactory.create(overrides=BASE_CONFIG)


def configure(**overrides: object) -> None:
    """Change global overrides; tests run with a zero config cache TTL."""
    TreeManagerSettings.objects.update(overrides={**BASE_CONFIG, **overrides})


def tree_of(state: TreeState, **kwargs: Any) -> MessageTreeState:
    return MessageTreeStateFactory.create(state=state, **kwargs)


def accepted_reply(parent: Message, **kwargs: Any) -> Message:
    return MessageFactory.reply(parent, accepted=True, **kwargs)


def rank(
    parent: Message, order: list[Message], *, voided: bool = False, done: bool = True
) -> MessageReaction:
    """A ranking reaction on `parent` (TREE-48 step 5), best first."""
    fields = {
        "type": "message_ranking",
        "ranking": list(range(len(order))),
        "ranked_message_ids": [str(m.id) for m in order],
        "ranking_parent_id": str(parent.id),
        "message_tree_id": str(parent.message_tree_id),
        "not_rankable": False,
    }
    extra: dict[str, Any] = {}
    if not done:
        extra["task"] = TaskFactory.create(payload_type="RankAssistantRepliesPayload")
    return MessageReactionFactory.create(
        ranking=True, message_id=parent.id, voided=voided, fields=fields, **extra
    )


def state_of(tree: MessageTreeState) -> str:
    tree.refresh_from_db()
    return tree.state


def transitions(tree: MessageTreeState) -> list[tuple[str, str]]:
    events = Journal.objects.filter(event_type="tree_state_changed", message_id=tree.pk)
    return [(e.fields["from_state"], e.fields["to_state"]) for e in events.order_by("id")]


def ranks(*messages: Message) -> list[int | None]:
    by_id = dict(Message.objects.filter(id__in=[m.id for m in messages]).values_list("id", "rank"))
    return [by_id[m.id] for m in messages]


def dirty_users() -> set[UUID]:
    return set(UserStatsDirty.objects.values_list("user_id", flat=True))


# --- ranking check (TREE-8) ------------------------------------------------------------------


def test_growing_tree_that_reaches_its_goal_moves_to_ranking() -> None:
    tree = tree_of(S.GROWING, goal_tree_size=3)
    accepted_reply(tree.message_tree)
    accepted_reply(tree.message_tree)

    assert tree_check_ranking(tree_id=tree.pk) is True

    assert state_of(tree) == S.RANKING  # the scoring check ran and waits for rankings
    assert transitions(tree) == [("growing", "ranking")]


def test_reply_awaiting_review_keeps_the_tree_growing() -> None:
    tree = tree_of(S.GROWING, goal_tree_size=3)
    accepted_reply(tree.message_tree)
    accepted_reply(tree.message_tree)
    MessageFactory.reply(tree.message_tree, review_count=2)

    assert tree_check_ranking(tree_id=tree.pk) is False

    assert state_of(tree) == S.GROWING
    assert transitions(tree) == []


def test_rejected_and_deleted_replies_do_not_block_ranking() -> None:
    tree = tree_of(S.GROWING, goal_tree_size=3)
    accepted_reply(tree.message_tree)
    accepted_reply(tree.message_tree)
    MessageFactory.reply(tree.message_tree, rejected=True)
    MessageFactory.reply(tree.message_tree, review_count=0, deleted=True)

    assert tree_check_ranking(tree_id=tree.pk) is True
    assert state_of(tree) == S.RANKING


def test_growth_exhausted_tree_below_its_goal_moves_on() -> None:
    """IMP-22: every parent full or at maximum depth."""
    tree = tree_of(S.GROWING, goal_tree_size=12, max_depth=1, max_children_count=2)
    accepted_reply(tree.message_tree)
    accepted_reply(tree.message_tree)

    assert tree_check_ranking(tree_id=tree.pk) is True
    assert state_of(tree) == S.RANKING


def test_tree_with_room_for_replies_keeps_growing_below_its_goal() -> None:
    tree = tree_of(S.GROWING, goal_tree_size=12, max_depth=1, max_children_count=3)
    accepted_reply(tree.message_tree)
    accepted_reply(tree.message_tree)
    MessageFactory.reply(tree.message_tree, rejected=True)  # not an active child

    assert tree_check_ranking(tree_id=tree.pk) is False
    assert state_of(tree) == S.GROWING


@pytest.mark.parametrize(("num_prompter_replies", "moves"), [(1, True), (2, False)])
def test_assistant_messages_are_full_at_num_prompter_replies(
    num_prompter_replies: int, moves: bool
) -> None:
    configure(num_prompter_replies=num_prompter_replies)
    tree = tree_of(S.GROWING, goal_tree_size=12, max_depth=2, max_children_count=2)
    for _ in range(2):
        assistant = accepted_reply(tree.message_tree)
        accepted_reply(assistant)  # depth 2 = max_depth: cannot be extended

    assert tree_check_ranking(tree_id=tree.pk) is moves


def test_tree_without_accepted_messages_is_halted() -> None:
    """T9: the root was deleted (its subtree with it)."""
    tree = tree_of(S.GROWING)
    Message.objects.filter(pk=tree.pk).update(deleted=True)

    assert tree_check_ranking(tree_id=tree.pk) is True

    assert state_of(tree) == S.HALTED_BY_MODERATOR
    assert transitions(tree) == [("growing", "halted_by_moderator")]


@pytest.mark.parametrize("state", [S.INITIAL_PROMPT_REVIEW, S.RANKING, S.READY_FOR_EXPORT])
def test_ranking_check_ignores_trees_that_are_not_growing(state: TreeState) -> None:
    tree = tree_of(state, goal_tree_size=1)

    assert tree_check_ranking(tree_id=tree.pk) is False
    assert state_of(tree) == state
    assert transitions(tree) == []


def test_tree_without_rankable_parents_goes_from_growing_straight_to_export() -> None:
    tree = tree_of(S.GROWING, goal_tree_size=2)
    accepted_reply(tree.message_tree)

    assert tree_check_ranking(tree_id=tree.pk) is True

    assert state_of(tree) == S.READY_FOR_EXPORT
    assert transitions(tree) == [
        ("growing", "ranking"),
        ("ranking", "ready_for_scoring"),
        ("ready_for_scoring", "ready_for_export"),
    ]


# --- scoring check (TREE-57, TREE-59) --------------------------------------------------------


def test_incomplete_rankings_keep_the_tree_in_ranking() -> None:
    tree = tree_of(S.RANKING)
    a, b = accepted_reply(tree.message_tree), accepted_reply(tree.message_tree)
    rank(tree.message_tree, [a, b])

    assert tree_check_scoring(tree_id=tree.pk) is False

    assert state_of(tree) == S.RANKING
    assert ranks(a, b) == [None, None]


def test_complete_rankings_write_ranks_and_export_the_tree() -> None:
    # given: root → a, b, c accepted; d rejected (ranked earlier); e deleted
    tree = tree_of(S.RANKING)
    root = tree.message_tree
    a, b, c = (accepted_reply(root) for _ in range(3))
    d = MessageFactory.reply(root, rejected=True, rank=7)
    e = accepted_reply(root, deleted=True, rank=1)
    # a → q → x, y: rankings of q share only x, so q's ranks stay (TREE-59)
    q = accepted_reply(a)
    x, y, z = (accepted_reply(q, rank=n) for n in (4, 5, 6))
    first, second = rank(root, [b, a, c]), rank(root, [b, a, c])
    rank(q, [x, y])
    rank(q, [z, x])

    # when
    assert tree_check_scoring(tree_id=tree.pk) is True

    # then
    assert state_of(tree) == S.READY_FOR_EXPORT
    assert ranks(b, a, c, d, e) == [0, 1, 2, None, None]
    assert ranks(x, y, z) == [4, 5, 6]
    assert transitions(tree) == [
        ("ranking", "ready_for_scoring"),
        ("ready_for_scoring", "ready_for_export"),
    ]
    authors = {m.user_id for m in (a, b, c, d, e)}
    assert authors | {first.user_id, second.user_id} <= dirty_users()


def test_scoring_takes_as_many_queries_for_a_big_tree_as_for_a_small_one() -> None:
    """TREE-73: set-based reads and one UPDATE for all ranks, whatever the tree's size."""

    def scored_tree(parents: int) -> int:
        tree = tree_of(S.RANKING)
        assistant = accepted_reply(tree.message_tree)
        for _ in range(parents):
            parent = accepted_reply(assistant)
            replies = [accepted_reply(parent) for _ in range(3)]
            rank(parent, replies)
            rank(parent, replies[::-1])
        with CaptureQueriesContext(connection) as queries:
            tree_check_scoring(tree_id=tree.pk)
        assert state_of(tree) == S.READY_FOR_EXPORT
        return len(queries)

    assert scored_tree(1) == scored_tree(4)


def test_five_rankings_of_the_worked_example_give_a_b_c() -> None:
    tree = tree_of(S.RANKING)
    root = tree.message_tree
    a, b, c = sorted((accepted_reply(root) for _ in range(3)), key=lambda m: m.id.int)
    for order in ([a, b, c], [a, b, c], [c, a, b], [c, a, b], [b, c, a]):
        rank(root, order)

    tree_check_scoring(tree_id=tree.pk)

    assert ranks(a, b, c) == [0, 1, 2]


def test_voided_reactions_and_unfinished_tasks_do_not_count() -> None:
    tree = tree_of(S.RANKING)
    root = tree.message_tree
    a, b, c = (accepted_reply(root) for _ in range(3))
    rank(root, [b, a, c])
    for _ in range(3):
        rank(root, [c, a, b], voided=True)
        rank(root, [c, a, b], done=False)

    assert tree_check_scoring(tree_id=tree.pk) is False  # one completed ranking of two
    assert state_of(tree) == S.RANKING

    rank(root, [b, a, c])
    assert tree_check_scoring(tree_id=tree.pk) is True
    assert ranks(b, a, c) == [0, 1, 2]


@pytest.mark.parametrize(
    ("rank_prompter_replies", "state"), [(False, S.READY_FOR_EXPORT), (True, S.RANKING)]
)
def test_prompter_replies_are_ranked_only_when_configured(
    rank_prompter_replies: bool, state: TreeState
) -> None:
    configure(rank_prompter_replies=rank_prompter_replies)
    tree = tree_of(S.RANKING)
    assistant = accepted_reply(tree.message_tree)
    accepted_reply(assistant)
    accepted_reply(assistant)

    tree_check_scoring(tree_id=tree.pk)

    assert state_of(tree) == state


def test_tree_without_rankable_parents_is_exported_without_ranks() -> None:
    tree = tree_of(S.RANKING)
    only = accepted_reply(tree.message_tree)
    MessageFactory.reply(tree.message_tree, rejected=True)

    assert tree_check_scoring(tree_id=tree.pk) is True

    assert state_of(tree) == S.READY_FOR_EXPORT
    assert ranks(only) == [None]


@pytest.mark.parametrize("state", [S.GROWING, S.READY_FOR_EXPORT, S.HALTED_BY_MODERATOR])
def test_scoring_check_ignores_other_states(state: TreeState) -> None:
    tree = tree_of(state)

    assert tree_check_scoring(tree_id=tree.pk) is False
    assert transitions(tree) == []


def _complete_tree() -> tuple[MessageTreeState, list[Message]]:
    tree = tree_of(S.RANKING)
    a, b = accepted_reply(tree.message_tree), accepted_reply(tree.message_tree)
    rank(tree.message_tree, [b, a])
    rank(tree.message_tree, [b, a])
    return tree, [a, b]


def test_consensus_failure_moves_to_scoring_failed_and_retry_recovers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    tree, (a, b) = _complete_tree()

    def explode(rankings: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(scoring, "consensus_ranked_pairs", explode)

    # when
    assert tree_check_scoring(tree_id=tree.pk) is True

    # then: nothing written but the failure
    assert state_of(tree) == S.SCORING_FAILED
    assert ranks(a, b) == [None, None]
    assert not UserStatsDirty.objects.filter(user_id__in=[a.user_id, b.user_id]).exists()
    assert f"consensus failed for tree {tree.pk}, parent {tree.pk}" in caplog.text

    # when: the bug is fixed and the operator retries
    monkeypatch.undo()
    out = StringIO()
    call_command("retry_scoring", stdout=out)

    # then
    assert state_of(tree) == S.READY_FOR_EXPORT
    assert ranks(b, a) == [0, 1]
    assert f"{tree.pk}: scoring_failed -> ready_for_export" in out.getvalue()
    assert "Retried 1 scoring_failed tree(s): 1 ready_for_export." in out.getvalue()
    assert transitions(tree) == [
        ("ranking", "ready_for_scoring"),
        ("ready_for_scoring", "scoring_failed"),
        ("scoring_failed", "ready_for_scoring"),
        ("ready_for_scoring", "ready_for_export"),
    ]


def test_corrupt_stored_ranking_fails_scoring() -> None:
    tree, (a, _b) = _complete_tree()
    rank(tree.message_tree, [a, a])  # names a reply twice

    assert tree_check_scoring(tree_id=tree.pk) is True
    assert state_of(tree) == S.SCORING_FAILED


def test_retry_with_incomplete_rankings_goes_back_to_ranking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree, _ = _complete_tree()
    monkeypatch.setattr(scoring, "consensus_ranked_pairs", lambda rankings: 1 / 0)
    tree_check_scoring(tree_id=tree.pk)
    monkeypatch.undo()
    MessageReaction.objects.filter(message_id=tree.pk).update(voided=True)  # moderator voids

    assert tree_retry_scoring(tree_id=tree.pk) is True

    assert state_of(tree) == S.RANKING
    assert transitions(tree)[-1] == ("scoring_failed", "ranking")


def test_retry_ignores_trees_that_did_not_fail() -> None:
    tree, _ = _complete_tree()

    assert tree_retry_scoring(tree_id=tree.pk) is False
    assert state_of(tree) == S.RANKING


# --- rerank (TREE-63) ------------------------------------------------------------------------


def _exported_tree_with_late_rankings() -> tuple[MessageTreeState, Message, Message]:
    tree = tree_of(S.RANKING)
    a, b = sorted((accepted_reply(tree.message_tree) for _ in range(2)), key=lambda m: m.id.int)
    rank(tree.message_tree, [b, a])
    rank(tree.message_tree, [b, a])
    tree_check_scoring(tree_id=tree.pk)
    for _ in range(3):  # submitted after completion
        rank(tree.message_tree, [a, b])
    return tree, a, b


def test_rerank_dry_run_reports_and_changes_nothing() -> None:
    tree, a, b = _exported_tree_with_late_rankings()
    journal_before = Journal.objects.count()
    UserStatsDirty.objects.all().delete()
    out = StringIO()

    call_command("rerank", stdout=out)

    assert ranks(a, b) == [1, 0]
    assert f"tree {tree.pk} parent {tree.pk}: " in out.getvalue()
    assert "Would rerank 1 parent(s)" in out.getvalue()
    assert "Dry run" in out.getvalue()
    assert Journal.objects.count() == journal_before
    assert not UserStatsDirty.objects.exists()


def test_rerank_commit_rewrites_ranks_without_changing_states() -> None:
    tree, a, b = _exported_tree_with_late_rankings()
    untouched, c, d = _exported_tree_with_late_rankings()
    MessageReaction.objects.filter(message_id=untouched.pk).update(voided=True)
    rank(untouched.message_tree, [d, c])  # consensus unchanged for this one
    UserStatsDirty.objects.all().delete()
    out = StringIO()

    call_command("rerank", "--commit", stdout=out)

    assert ranks(a, b) == [0, 1]
    assert ranks(c, d) == [1, 0]
    assert state_of(tree) == S.READY_FOR_EXPORT
    assert "Reranked 1 parent(s)" in out.getvalue()
    assert {a.user_id, b.user_id} <= dirty_users()


def test_rerank_returns_the_change_per_parent() -> None:
    tree, a, b = _exported_tree_with_late_rankings()

    (change,) = trees_rerank(commit=False)

    assert change == {
        "tree_id": tree.pk,
        "parent_id": tree.pk,
        "before": {a.id: 1, b.id: 0},
        "after": {a.id: 0, b.id: 1},
    }


def test_rerank_reports_a_parent_whose_consensus_fails_and_goes_on() -> None:
    broken, a, _b = _exported_tree_with_late_rankings()
    rank(broken.message_tree, [a, a])
    _tree, c, d = _exported_tree_with_late_rankings()
    out = StringIO()

    call_command("rerank", "--commit", stdout=out)

    assert f"tree {broken.pk} parent {broken.pk}: consensus failed" in out.getvalue()
    assert ranks(c, d) == [0, 1]
    assert "Reranked 1 parent(s) in 1 tree(s); 1 failed." in out.getvalue()


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_of_one_tree_move_it_exactly_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a growing tree at its goal whose rankings are already complete
    tree = tree_of(S.GROWING, goal_tree_size=3)
    a, b = accepted_reply(tree.message_tree), accepted_reply(tree.message_tree)
    rank(tree.message_tree, [b, a])
    rank(tree.message_tree, [b, a])
    consensus_calls: list[int] = []
    real_consensus = scoring.consensus_ranked_pairs

    def counting(rankings: Any) -> Any:
        consensus_calls.append(1)
        return real_consensus(rankings)

    monkeypatch.setattr(scoring, "consensus_ranked_pairs", counting)
    barrier = threading.Barrier(12)
    results: list[bool] = []
    errors: list[BaseException] = []

    def race(index: int) -> None:
        try:
            barrier.wait()
            check = tree_check_ranking if index % 2 else tree_check_scoring
            results.append(check(tree_id=tree.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=race, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert errors == []
    assert sorted(results) == [False] * 11 + [True]
    assert state_of(tree) == S.READY_FOR_EXPORT
    assert transitions(tree) == [
        ("growing", "ranking"),
        ("ranking", "ready_for_scoring"),
        ("ready_for_scoring", "ready_for_export"),
    ]
    assert consensus_calls == [1]
    assert ranks(b, a) == [0, 1]
