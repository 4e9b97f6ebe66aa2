"""Ranking check, scoring check, ranked-pairs consensus and rank repair (TREE-8, TREE-57 … 63)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When

from config.prepared import Prepared
from shared_protocol.enums import MessageRole
from shared_protocol.envelope import unwrap
from stats.services import stats_mark_dirty
from tasks.models import MessageReaction
from trees.config import effective_config
from trees.models import Message, MessageTreeState, TreeState
from trees.transitions import tree_transition

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from trees.parameters import TreeManagerConfig

logger = logging.getLogger(__name__)

S = TreeState
RANKING_REACTION = "RankingReactionPayload"
RANKING_TASK_TYPES = (
    "RankAssistantRepliesPayload",
    "RankPrompterRepliesPayload",
    "RankInitialPromptsPayload",
)
RERANK_BATCH_SIZE = 500


class ConsensusFailed(Exception):
    """The consensus of one ranking parent could not be computed (corrupt rankings)."""

    def __init__(self, parent_id: UUID) -> None:
        super().__init__(f"consensus failed for ranking parent {parent_id}")
        self.parent_id = parent_id


# Per ranking parent, its consensus (best first); children not in it get rank null (TREE-59).
RankPlan = dict[UUID, list[UUID]]


def consensus_ranked_pairs(rankings: Sequence[Sequence[UUID]]) -> list[UUID] | None:
    """The ranked-pairs consensus of rankings (best first), or None below 2 common ids (TREE-58).

    1. Keep the ids present in every list, in each list's order; fewer than 2 → None.
    2. Number the common ids 0 … n-1 by ascending 128-bit UUID value.
    3. Count W(i, j), the lists placing i above j; the margin is W(i, j) - W(j, i).
    4. Candidates are the pairs with margin ≥ 0 (a tie gives both directions), largest
       margin first, then smaller i, then smaller j.
    5. Lock each candidate "i beats j" unless j already reaches i (that would be a cycle).
    6. The locked graph is a total order: sort by how many items each one reaches.
    A list naming an id twice is corrupt data and raises ValueError.
    """
    lists = [list(ranking) for ranking in rankings]
    for ranking in lists:
        if len(set(ranking)) != len(ranking):
            raise ValueError("a ranking names the same reply twice")
    if not lists:
        return None
    common = set(lists[0]).intersection(*lists[1:])
    if len(common) < 2:
        return None
    items = sorted(common, key=lambda item: item.int)
    index = {item: i for i, item in enumerate(items)}
    n = len(items)
    wins = [[0] * n for _ in range(n)]
    for ranking in lists:
        positions = [index[item] for item in ranking if item in common]
        for a, above in enumerate(positions):
            for below in positions[a + 1 :]:
                wins[above][below] += 1
    candidates = sorted(
        (
            (wins[i][j] - wins[j][i], i, j)
            for i in range(n)
            for j in range(n)
            if i != j and wins[i][j] >= wins[j][i]
        ),
        key=lambda pair: (-pair[0], pair[1], pair[2]),
    )
    beats: list[set[int]] = [set() for _ in range(n)]  # transitive closure of locked pairs
    for _margin, i, j in candidates:
        if i in beats[j] or j in beats[i]:
            continue  # j already reaches i (a cycle), or the pair is already ordered
        gained = {j} | beats[j]
        for k in range(n):
            if k == i or i in beats[k]:
                beats[k] |= gained
    return sorted(items, key=lambda item: -len(beats[index[item]]))


TREE_CHECK_FIELDS = ("state", "lang", "goal_tree_size", "max_depth", "max_children_count")


def _locked_tree(tree_id: UUID, condition: Q) -> MessageTreeState | None:
    """Lock the tree's state row if it matches `condition`; serialises checks of one tree."""
    return (
        MessageTreeState.objects.select_for_update()
        .filter(condition, message_tree_id=tree_id)
        .only(*TREE_CHECK_FIELDS)
        .first()
    )


# The ranking check runs after every review (config/prepared.py).
_GROWING_TREE_LOCK: Prepared[MessageTreeState] = Prepared(
    lambda tree_id: (
        MessageTreeState.objects.select_for_update()
        .filter(message_tree_id=tree_id, state=S.GROWING, active=True)
        .only(*TREE_CHECK_FIELDS)
        .order_by()[:1]
    ),
    tree_id=UUID,
)
_TREE_REVIEWS: Prepared[tuple[bool | None, int]] = Prepared(
    lambda tree_id: (
        Message.objects.filter(message_tree_id=tree_id, deleted=False)
        .order_by()
        .values_list("review_result", "review_count")
    ),
    tree_id=UUID,
)


def tree_check_ranking(*, tree_id: UUID) -> bool:
    """Run the ranking check of an active growing tree (TREE-8, T8/T9); True if it moved.

    1. Lock the state row; only an active `growing` tree proceeds.
    2. size = non-deleted accepted messages; awaiting = non-deleted, not accepted messages
       with fewer than `num_reviews_reply` reviews.
    3. size = 0 → T9 (halted_by_moderator).
    4. awaiting = 0 and (size ≥ the tree's goal or growth exhausted) → T8, then the scoring
       check (TREE-57) in the same transaction.
    """
    with transaction.atomic(savepoint=False):
        tree = _GROWING_TREE_LOCK.first(tree_id=tree_id)
        if tree is None:
            return False
        cfg = effective_config(tree.lang)
        reviews = _TREE_REVIEWS.rows(tree_id=tree_id)  # a tree holds tens of messages
        size = sum(1 for result, _ in reviews if result is True)
        awaiting = sum(
            1 for result, n in reviews if result is not True and n < cfg.num_reviews_reply
        )
        if size == 0:
            return tree_transition(
                tree_id=tree_id, expected=[S.GROWING], target=S.HALTED_BY_MODERATOR, cause="empty"
            )
        if awaiting > 0:
            return False
        if size < tree.goal_tree_size and _can_grow(tree, cfg):
            return False
        moved = tree_transition(
            tree_id=tree_id, expected=[S.GROWING], target=S.RANKING, cause="ranking_check"
        )
        if moved:
            tree_check_scoring(tree_id=tree_id)
        return moved


def _can_grow(tree: MessageTreeState, cfg: TreeManagerConfig) -> bool:
    """Whether some message is structurally extendible (TREE-8 via TREE-25, no user clauses)."""
    # Active children: not deleted, and accepted or still under review.
    active_child = Q(children__deleted=False) & (
        Q(children__review_result=True) | Q(children__review_count__lt=cfg.num_reviews_reply)
    )
    assistant_limit = min(tree.max_children_count, cfg.num_prompter_replies)
    return (
        Message.objects.filter(
            message_tree_id=tree.message_tree_id,
            deleted=False,
            review_result=True,
            depth__lt=tree.max_depth,
        )
        .annotate(active_children=Count("children", filter=active_child))
        .filter(
            Q(role=MessageRole.PROMPTER, active_children__lt=tree.max_children_count)
            | Q(role=MessageRole.ASSISTANT, active_children__lt=assistant_limit)
        )
        .order_by()
        .exists()
    )


def _rankable_parents(tree_ids: Iterable[UUID], *, rank_prompter_replies: bool) -> set[UUID]:
    """Parents with ≥ 2 accepted, non-deleted (assistant, unless configured) children."""
    children = Message.objects.filter(
        message_tree_id__in=list(tree_ids), parent__isnull=False, deleted=False, review_result=True
    )
    if not rank_prompter_replies:
        children = children.filter(role=MessageRole.ASSISTANT)
    groups = (
        children.order_by()
        .values("parent_id")
        .annotate(replies=Count("id"))
        .filter(replies__gte=2)
        .values_list("parent_id", flat=True)
    )
    return {parent_id for parent_id in groups if parent_id is not None}


def _completed_rankings(parent_ids: Iterable[UUID]) -> dict[UUID, list[Any]]:
    """Per parent, the payload envelopes of its completed rankings (TREE-57), oldest first."""
    rows = (
        MessageReaction.objects.filter(
            message_id__in=list(parent_ids),
            payload_type=RANKING_REACTION,
            voided=False,
            task__done=True,
            task__payload_type__in=RANKING_TASK_TYPES,
        )
        .order_by("created_date", "id")
        .values_list("message_id", "payload")
    )
    completed: dict[UUID, list[Any]] = defaultdict(list)
    for parent_id, payload in rows:
        if parent_id is not None:
            completed[parent_id].append(payload)
    return completed


def _consensus_plan(completed: dict[UUID, list[Any]], parent_ids: Iterable[UUID]) -> RankPlan:
    """Consensus of every parent with a completed ranking; ConsensusFailed on corrupt data.

    Parents whose common set is smaller than 2 are left out: their ranks stay (TREE-59).
    """
    plan: RankPlan = {}
    for parent_id in sorted(parent_ids, key=lambda pid: pid.int):
        payloads = completed.get(parent_id)
        if not payloads:
            continue
        try:
            rankings = [
                [
                    UUID(str(reply_id))
                    for reply_id in unwrap(p, RANKING_REACTION)["ranked_message_ids"]
                ]
                for p in payloads
            ]
            consensus = consensus_ranked_pairs(rankings)
        except Exception as exc:
            raise ConsensusFailed(parent_id) from exc
        if consensus is not None:
            plan[parent_id] = consensus
    return plan


def _write_ranks(plan: RankPlan) -> None:
    """Write TREE-59 ranks with one UPDATE, and mark authors and rankers dirty (STAT-6)."""
    if not plan:
        return
    positions = [
        When(id=child_id, then=Value(position))
        for consensus in plan.values()
        for position, child_id in enumerate(consensus)
    ]
    children = Message.objects.filter(parent_id__in=list(plan))
    children.update(rank=Case(*positions, default=Value(None), output_field=IntegerField()))
    authors = children.values_list("user_id", flat=True)
    rankers = MessageReaction.objects.filter(
        message_id__in=list(plan), payload_type=RANKING_REACTION, voided=False
    ).values_list("user_id", flat=True)
    stats_mark_dirty([*authors, *rankers])


def tree_check_scoring(*, tree_id: UUID) -> bool:
    """Run the scoring check (TREE-57); True if the tree moved. One transaction.

    1. Lock the state row; proceed only if active in ranking/ready_for_scoring, or in
       scoring_failed.
    2. Rankable parents and their completed rankings. If one has fewer than
       `num_required_rankings`: nothing, or T14 (→ ranking) from scoring_failed.
    3. T10 from ranking, T13 from scoring_failed (both → ready_for_scoring).
    4. Consensus of every rankable parent with a completed ranking (TREE-58). If it
       raises: log it, T12 (→ scoring_failed), write nothing else.
    5. Write ranks (TREE-59), mark authors and rankers dirty (STAT-6), T11 (→ export).
    """
    with transaction.atomic(savepoint=False):
        tree = _locked_tree(
            tree_id,
            Q(active=True, state__in=[S.RANKING, S.READY_FOR_SCORING]) | Q(state=S.SCORING_FAILED),
        )
        if tree is None:
            return False
        source = TreeState(tree.state)
        cfg = effective_config(tree.lang)
        parents = _rankable_parents([tree_id], rank_prompter_replies=cfg.rank_prompter_replies)
        completed = _completed_rankings(parents)
        if any(len(completed.get(p, [])) < cfg.num_required_rankings for p in parents):
            if source != S.SCORING_FAILED:
                return False
            return tree_transition(
                tree_id=tree_id, expected=[source], target=S.RANKING, cause="rankings_incomplete"
            )
        moved = source == S.READY_FOR_SCORING or tree_transition(
            tree_id=tree_id,
            expected=[source],
            target=S.READY_FOR_SCORING,
            cause="rankings_complete",
        )
        if not moved:
            return False  # the row lock makes this unreachable; a lost CAS is a no-op (TREE-2)
        try:
            plan = _consensus_plan(completed, parents)
        except ConsensusFailed as exc:
            logger.exception("consensus failed for tree %s, parent %s", tree_id, exc.parent_id)
            tree_transition(
                tree_id=tree_id,
                expected=[S.READY_FOR_SCORING],
                target=S.SCORING_FAILED,
                cause="consensus_failed",
            )
            return True
        _write_ranks(plan)
        tree_transition(
            tree_id=tree_id,
            expected=[S.READY_FOR_SCORING],
            target=S.READY_FOR_EXPORT,
            cause="consensus_written",
        )
        return True


def tree_retry_scoring(*, tree_id: UUID) -> bool:
    """Re-run the scoring check of one scoring_failed tree (TREE-63, T13/T14); True if moved."""
    with transaction.atomic():
        if _locked_tree(tree_id, Q(state=S.SCORING_FAILED)) is None:
            return False
        return tree_check_scoring(tree_id=tree_id)


def trees_rerank(*, commit: bool) -> list[dict[str, Any]]:
    """Recompute ranks of ready_for_export trees from all completed rankings (TREE-63).

    1. Take the ready_for_export trees in batches; with `commit`, lock their state rows.
    2. Per batch: rankable parents, their completed rankings (any number) and consensus.
    3. Compare with the stored ranks; report each parent whose ranks would change
       (`tree_id`, `parent_id`, `before`, `after`: child id → rank), or an `error`.
    4. With `commit`, write the changed parents' ranks and mark users dirty (STAT-6).
    States never change. A dry run (the default) writes nothing.
    """
    rank_prompter_replies = effective_config().rank_prompter_replies
    tree_ids = list(
        MessageTreeState.objects.filter(state=S.READY_FOR_EXPORT)
        .order_by("message_tree_id")
        .values_list("message_tree_id", flat=True)
    )
    changes: list[dict[str, Any]] = []
    for start in range(0, len(tree_ids), RERANK_BATCH_SIZE):
        batch = tree_ids[start : start + RERANK_BATCH_SIZE]
        with transaction.atomic():
            if commit:
                batch = list(
                    MessageTreeState.objects.select_for_update()
                    .filter(message_tree_id__in=batch, state=S.READY_FOR_EXPORT)
                    .order_by("message_tree_id")
                    .values_list("message_tree_id", flat=True)
                )
            changes.extend(_rerank_batch(batch, rank_prompter_replies, commit=commit))
    return changes


def _rerank_batch(
    tree_ids: list[UUID], rank_prompter_replies: bool, *, commit: bool
) -> list[dict[str, Any]]:
    """Rerank one batch of trees; returns its changes and errors (see trees_rerank)."""
    parents = _rankable_parents(tree_ids, rank_prompter_replies=rank_prompter_replies)
    completed = _completed_rankings(parents)
    children: dict[UUID, dict[UUID, int | None]] = defaultdict(dict)
    tree_of: dict[UUID, UUID] = {}
    rows = Message.objects.filter(parent_id__in=list(parents)).order_by("parent_id", "id")
    for parent_id, child_id, tree_id, rank in rows.values_list(
        "parent_id", "id", "message_tree_id", "rank"
    ):
        children[parent_id][child_id] = rank
        tree_of[parent_id] = tree_id
    report: list[dict[str, Any]] = []
    plan: RankPlan = {}
    for parent_id in sorted(completed, key=lambda pid: pid.int):
        try:
            consensus = _consensus_plan(completed, [parent_id]).get(parent_id)
        except ConsensusFailed as exc:
            logger.exception("rerank: consensus failed for tree %s", tree_of[parent_id])
            report.append(
                {"tree_id": tree_of[parent_id], "parent_id": parent_id, "error": str(exc.__cause__)}
            )
            continue
        if consensus is None:
            continue
        before = children[parent_id]
        position = {child_id: rank for rank, child_id in enumerate(consensus)}
        after = {child_id: position.get(child_id) for child_id in before}
        if after != before:
            plan[parent_id] = consensus
            report.append(
                {
                    "tree_id": tree_of[parent_id],
                    "parent_id": parent_id,
                    "before": before,
                    "after": after,
                }
            )
    if commit:
        _write_ranks(plan)
    return report
