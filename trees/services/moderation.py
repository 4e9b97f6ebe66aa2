"""Automatic moderation (TREE-44), soft deletion (MOD-10), halt and unhalt (TREE-60/61).

Everything here writes tree states only through `tree_transition`; the moderator
actions take the actor (`user_id` / `api_client_id`) for the journal.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from shared_protocol.enums import EmojiCode
from stats.services import stats_mark_dirty
from trees.config import effective_config
from trees.models import ACTIVE_STATES, PARKING_STATES, Message, MessageTreeState, TreeState
from trees.services.scoring import tree_check_ranking, tree_check_scoring
from trees.transitions import tree_transition

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

S = TreeState
# TREE-44: auto-moderation watches trees that are still collecting messages.
MODERATED_STATES = (S.INITIAL_PROMPT_REVIEW, S.GROWING)
_NOT_HALTED = [s for s in TreeState if s != S.HALTED_BY_MODERATOR]

RED_FLAG = EmojiCode.RED_FLAG.value
SKIP_REPLY = EmojiCode.SKIP_REPLY.value


def _threshold(value: int) -> int:
    """A count must reach the threshold and be present: a zero count is an absent code."""
    return max(1, value)


# --- soft deletion (MOD-10) -------------------------------------------------------------------


def message_soft_delete(
    *,
    message_id: UUID,
    cause: str = "message_deleted",
    user_id: UUID | None = None,
    api_client_id: UUID | None = None,
) -> int:
    """Soft-delete a message and its whole subtree as one batch (MOD-10); returns how many.

    1. Lock every message of the tree, in primary-key order (replies lock their parent
       before they count as its child, so the recount below cannot miss one).
    2. Mark the message and its not-yet-deleted descendants `deleted` with one new
       `deletion_batch_id`; descendants deleted earlier keep their batch.
    3. Recount `children_count` of the parent and of every subtree member (DATA-18) and
       mark the authors dirty for statistics.
    4. A deleted root halts its tree from any working or parking state; otherwise a
       `growing` tree gets its ranking check (TREE-8).
    """
    with transaction.atomic():
        tree_id = (
            Message.objects.filter(pk=message_id).values_list("message_tree_id", flat=True).first()
        )
        if tree_id is None:
            return 0
        rows = list(
            Message.objects.select_for_update()
            .filter(message_tree_id=tree_id)
            .order_by("pk")
            .values_list("pk", "parent_id", "deleted", "user_id")
        )
        children: dict[UUID, list[UUID]] = defaultdict(list)
        by_id: dict[UUID, tuple[Any, ...]] = {}
        for pk, parent_id, deleted, author_id in rows:
            by_id[pk] = (parent_id, deleted, author_id)
            if parent_id is not None:
                children[parent_id].append(pk)
        subtree, frontier = [message_id], [message_id]
        while frontier:
            frontier = [child for parent in frontier for child in children[parent]]
            subtree.extend(frontier)
        newly = [pk for pk in subtree if not by_id[pk][1]]
        if newly:
            Message.objects.filter(pk__in=newly).update(
                deleted=True, deletion_batch_id=uuid.uuid4()
            )
            parent_id = by_id[message_id][0]
            children_count_recompute(
                message_ids=[*subtree, *([parent_id] if parent_id is not None else [])]
            )
            stats_mark_dirty(by_id[pk][2] for pk in newly)
        state = MessageTreeState.objects.filter(pk=tree_id).values_list("state", flat=True).first()
        if by_id[message_id][0] is None:
            tree_transition(
                tree_id=tree_id,
                expected=sorted(ACTIVE_STATES | PARKING_STATES),
                target=S.HALTED_BY_MODERATOR,
                cause=cause,
                user_id=user_id,
                api_client_id=api_client_id,
            )
        elif state == S.GROWING:
            tree_check_ranking(tree_id=tree_id)
    return len(newly)


def children_count_recompute(*, message_ids: list[UUID]) -> int:
    """Set `children_count` of these messages to their number of non-deleted children."""
    live_children = (
        Message.objects.filter(parent_id=OuterRef("pk"), deleted=False)
        .order_by()
        .values("parent_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Message.objects.filter(pk__in=message_ids).update(
        children_count=Coalesce(Subquery(live_children, output_field=IntegerField()), 0)
    )


# --- auto-moderation (TREE-44) -------------------------------------------------------------


def _evaluate(message_id: UUID) -> int:
    """Apply TREE-44 to one message; returns how many actions it took (0, 1 or 2)."""
    message = (
        Message.objects.filter(pk=message_id)
        .values(
            "message_tree_id", "parent_id", "deleted", "review_count", "review_result", "emojis"
        )
        .first()
    )
    if message is None or message["deleted"]:
        return 0
    config = effective_config()  # auto-moderation parameters are global (TREE-80)
    if not config.auto_mod_enabled:
        return 0
    tree_id = message["message_tree_id"]
    qualifying_tree = MessageTreeState.objects.filter(
        pk=tree_id, active=True, state__in=MODERATED_STATES
    ).exists()
    is_root = message["parent_id"] is None
    qualifies = (
        is_root
        or message["review_result"] is True
        or message["review_count"] < config.num_reviews_reply
    )
    if not (qualifying_tree and qualifies):
        return 0
    counts = message["emojis"] or {}
    actions = 0
    if int(counts.get(RED_FLAG, 0)) >= _threshold(config.auto_mod_red_flags):
        if is_root:
            actions += tree_transition(
                tree_id=tree_id,
                expected=MODERATED_STATES,
                target=S.ABORTED_LOW_GRADE,
                cause="auto_moderation_red_flags",
            )  # T4
        else:
            actions += message_soft_delete(message_id=message_id, cause="auto_moderation") > 0
    if int(counts.get(SKIP_REPLY, 0)) >= _threshold(config.auto_mod_max_skip_reply):
        # T5 from a moderated state; T17 when step 1 already moved the tree on (aborted
        # it, or its ranking check advanced it after the deletion).
        actions += tree_transition(
            tree_id=tree_id,
            expected=MODERATED_STATES if not actions else _NOT_HALTED,
            target=S.HALTED_BY_MODERATOR,
            cause="auto_moderation_skip_reply",
        )
    return actions


def auto_moderate_message(*, message_id: UUID) -> None:
    """TREE-44 for one message, in the caller's transaction (after a red flag or reply skip)."""
    with transaction.atomic():
        _evaluate(message_id)


def auto_moderation_offenders() -> list[UUID]:
    """Qualifying messages of all languages over a threshold, by one query (TREE-44, TREE-73).

    Roots come first within a tree, so that an aborted tree stops the rest of its work.
    """
    config = effective_config()
    if not config.auto_mod_enabled:
        return []

    def count(code: str) -> Coalesce:
        return Coalesce(Cast(KeyTextTransform(code, "emojis"), IntegerField()), 0)

    moderated_trees = MessageTreeState.objects.filter(
        active=True, state__in=MODERATED_STATES
    ).values("message_tree_id")
    return list(
        Message.objects.filter(message_tree_id__in=Subquery(moderated_trees), deleted=False)
        .filter(
            Q(parent_id__isnull=True)
            | Q(review_result=True)
            | Q(review_count__lt=config.num_reviews_reply)
        )
        .annotate(red_flags=count(RED_FLAG), skip_replies=count(SKIP_REPLY))
        .filter(
            Q(red_flags__gte=_threshold(config.auto_mod_red_flags))
            | Q(skip_replies__gte=_threshold(config.auto_mod_max_skip_reply))
        )
        .order_by("message_tree_id", "depth", "created_date", "pk")
        .values_list("pk", flat=True)
    )


def auto_moderation_sweep() -> int:
    """The pump's safety net (TREE-44, TREE-70): returns how many trees/messages changed.

    Each offender is re-evaluated in its own short transaction; one already handled by a
    concurrent request, or whose tree an earlier offender ended, is left alone.
    """
    changed = 0
    for message_id in auto_moderation_offenders():
        with transaction.atomic():
            changed += _evaluate(message_id)
    return changed


# --- halt and unhalt (TREE-60, TREE-61) ----------------------------------------------------


def tree_halt(
    *, tree_id: UUID, user_id: UUID | None = None, api_client_id: UUID | None = None
) -> bool:
    """A moderator halts the tree from any state (T17); False if it was already halted.

    Halting an active tree tops up the backlog like any move into a final state (TREE-3).
    """
    return tree_transition(
        tree_id=tree_id,
        expected=_NOT_HALTED,
        target=S.HALTED_BY_MODERATOR,
        cause="moderator_halt",
        user_id=user_id,
        api_client_id=api_client_id,
    )


def tree_check_prompt_review(*, tree_id: UUID) -> bool:
    """T2: an active `initial_prompt_review` tree whose root is accepted joins the lottery."""
    if not Message.objects.filter(pk=tree_id, review_result=True).exists():
        return False
    return tree_transition(
        tree_id=tree_id,
        expected=[S.INITIAL_PROMPT_REVIEW],
        target=S.PROMPT_LOTTERY_WAITING,
        cause="prompt_accepted",
    )


def tree_unhalt(
    *, tree_id: UUID, user_id: UUID | None = None, api_client_id: UUID | None = None
) -> bool:
    """Reactivate the tree (T18, TREE-61); returns whether it moved (T18 or a cascade).

    A waiting prompt stays waiting. An imported tree (origin set, never won the lottery)
    returns to `ranking` and gets its scoring check; a tree that won the lottery returns
    to `growing` and gets its ranking check; any other tree returns to
    `initial_prompt_review` and T2 is checked. Works from any other state, final ones too.
    """
    with transaction.atomic():
        row = (
            MessageTreeState.objects.select_for_update()
            .filter(pk=tree_id)
            .values("state", "origin", "won_prompt_lottery_date")
            .first()
        )
        if row is None or row["state"] == S.PROMPT_LOTTERY_WAITING:
            return False
        source = TreeState(row["state"])
        check: Callable[..., bool]
        if row["origin"] and row["won_prompt_lottery_date"] is None:
            target, check = S.RANKING, tree_check_scoring
        elif row["won_prompt_lottery_date"] is not None:
            target, check = S.GROWING, tree_check_ranking
        else:
            target, check = S.INITIAL_PROMPT_REVIEW, tree_check_prompt_review
        moved = source != target and tree_transition(
            tree_id=tree_id,
            expected=[source],
            target=target,
            cause="moderator_unhalt",
            user_id=user_id,
            api_client_id=api_client_id,
        )
        cascaded = check(tree_id=tree_id)
    return bool(moved or cascaded)
