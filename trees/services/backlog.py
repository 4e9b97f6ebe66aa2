"""Backlog activation (TREE-62) and the final-state top-up that triggers it (TREE-3).

`after_final_state` is called by `tree_transition` inside the transition's transaction
whenever a tree moves from an active state into a final state (never for parking states,
IMP-23). An activation may itself finish a tree (a backlog tree whose rankings are
already complete goes straight to `ready_for_export`), which calls the hook again; such
nested calls are queued and drained by the outermost call, so the work is iterative.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Min, Q

from shared_protocol.enums import MessageRole
from trees import randomness
from trees.config import effective_config
from trees.models import ACTIVE_STATES, Message, MessageTreeState, TreeState
from trees.services.scoring import tree_check_scoring
from trees.transitions import tree_transition

if TYPE_CHECKING:
    from uuid import UUID

S = TreeState
_local = threading.local()


def _has_something_to_rank(tree_id: UUID) -> bool:
    """A parent with ≥ 2 accepted, non-deleted assistant children (TREE-62).

    Deliberately ignores `rank_prompter_replies`, as the original did.
    """
    return (
        Message.objects.filter(
            message_tree_id=tree_id,
            parent__isnull=False,
            role=MessageRole.ASSISTANT,
            review_result=True,
            deleted=False,
        )
        .order_by()
        .values("parent_id")
        .annotate(replies=Count("pk"))
        .filter(replies__gte=2)
        .exists()
    )


def _oldest_backlog_tree(lang: str) -> UUID | None:
    """The oldest backlog tree of `lang`, by root creation then id (IMP-48)."""
    return (
        MessageTreeState.objects.filter(state=S.BACKLOG_RANKING, lang=lang)
        .order_by("message_tree__created_date", "message_tree_id")
        .values_list("message_tree_id", flat=True)
        .first()
    )


def backlog_activate(*, lang: str) -> bool:
    """Activate the oldest backlog tree of `lang` that has something to rank (TREE-62).

    Trees with nothing to rank on the way are aborted (T16). The chosen tree moves to
    `ranking` (T15) and gets its scoring check. Returns False when no backlog tree of
    `lang` is left. A tree a concurrent caller moved first is skipped (compare-and-set).
    """
    while (tree_id := _oldest_backlog_tree(lang)) is not None:
        with transaction.atomic():
            if not _has_something_to_rank(tree_id):
                tree_transition(
                    tree_id=tree_id,
                    expected=[S.BACKLOG_RANKING],
                    target=S.ABORTED_LOW_GRADE,
                    cause="backlog_nothing_to_rank",
                )  # T16
                continue
            if tree_transition(
                tree_id=tree_id,
                expected=[S.BACKLOG_RANKING],
                target=S.RANKING,
                cause="backlog_activation",
            ):  # T15
                tree_check_scoring(tree_id=tree_id)
                return True
    return False


def incomplete_ranking_groups_count(*, lang: str) -> int:
    """Incomplete-ranking groups of `lang` without any user clause (TREE-27 for TREE-3).

    Groups (parent, child role) of active `ranking` trees: the parent has language `lang`,
    is accepted and not deleted; its accepted, non-deleted children of that role number
    at least 2 and the smallest `ranking_count` among them is below
    `num_required_rankings`. Both roles count whatever `rank_prompter_replies` says, and
    leases (TREE-24c) are not subtracted: the question is what still needs rankings.
    """
    ranking_trees = MessageTreeState.objects.filter(active=True, state=S.RANKING).values(
        "message_tree_id"
    )
    required = effective_config(lang).num_required_rankings
    return (
        Message.objects.filter(
            message_tree_id__in=ranking_trees,
            parent__lang=lang,
            parent__review_result=True,
            parent__deleted=False,
            review_result=True,
            deleted=False,
        )
        .order_by()
        .values("parent_id", "role")
        .annotate(replies=Count("pk"), least=Min("ranking_count"))
        .filter(Q(replies__gte=2) & Q(least__lt=required))
        .count()
    )


def _top_up(tree_id: UUID) -> None:
    """TREE-3 (a) and (b) for one tree that just finished."""
    lang = Message.objects.filter(pk=tree_id).values_list("lang", flat=True).first()
    if lang is None:
        return  # TREE-3 applies only while the root message exists
    if not MessageTreeState.objects.filter(state=S.BACKLOG_RANKING, lang=lang).exists():
        return  # nothing to activate: skip the draw and the count
    config = effective_config(lang)
    probability = config.p_activate_backlog_tree
    if probability >= 1 or (probability > 0 and randomness.rng().random() < probability):
        backlog_activate(lang=lang)
    minimum = config.min_active_rankings_per_lang
    if minimum > 0 and incomplete_ranking_groups_count(lang=lang) < minimum:
        backlog_activate(lang=lang)


def after_final_state(*, tree_id: UUID, lang: str, source: TreeState) -> None:
    """TREE-3: after `tree_id` moved from `source` (active) into a final state.

    Runs in the caller's transaction. `lang` is the tree's language; the root's own
    language is used when they differ (they should not, DATA-5).
    """
    if TreeState(source) not in ACTIVE_STATES:
        return  # IMP-23: leaving a parking state never tops up the backlog
    pending: list[UUID] | None = getattr(_local, "pending", None)
    if pending is not None:
        pending.append(tree_id)  # nested: an activation finished a tree; the outer call drains
        return
    _local.pending = [tree_id]
    try:
        while _local.pending:
            _top_up(_local.pending.pop(0))
    finally:
        _local.pending = None
