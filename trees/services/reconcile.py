"""The reconciler (TREE-71) and the pump (TREE-70): periodic work of the tree manager.

Both are run by management commands under a job lock (TREE-72); the functions here do
no locking of their own so that tests can call them directly. Offenders are selected
with set-based queries (TREE-73); each tree is then moved in its own short transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from trees.config import effective_config
from trees.models import ACTIVE_STATES, Message, MessageTreeState, TreeState
from trees.randomness import now, rng
from trees.services.authors import trees_halt_waiting_prompts_of
from trees.services.lottery import lottery_run_all
from trees.services.moderation import auto_moderation_sweep, tree_check_prompt_review
from trees.services.scoring import tree_check_ranking, tree_check_scoring
from trees.services.tree_index import tree_index_add_trees

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from trees.parameters import TreeManagerConfig

S = TreeState


def goal_tree_size(config: TreeManagerConfig) -> int:
    """A new tree's goal size (TREE-5): fixed, or drawn uniformly when so configured."""
    if config.random_goal_tree_size and config.min_goal_tree_size < config.goal_tree_size:
        return rng().randint(config.min_goal_tree_size, config.goal_tree_size)
    return config.goal_tree_size


def tree_states_create_missing() -> int:
    """T20: create the state row of every root that has none; returns how many.

    The tree is `growing` when it has more than one message, else
    `initial_prompt_review`; sizes come from the configuration of the root's language.
    A row created concurrently (by the root's own insert) wins over ours.
    """
    tree_size = (
        Message.objects.filter(message_tree_id=OuterRef("pk"))
        .order_by()
        .values("message_tree_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    roots = list(
        Message.objects.filter(parent__isnull=True, tree_state__isnull=True)
        .annotate(size=Coalesce(Subquery(tree_size, output_field=IntegerField()), 0))
        .order_by("pk")
        .values_list("pk", "lang", "size")
    )
    if not roots:
        return 0
    created_at = now()
    rows = []
    for root_id, lang, size in roots:
        config = effective_config(lang)
        state = S.GROWING if size > 1 else S.INITIAL_PROMPT_REVIEW
        rows.append(
            MessageTreeState(
                message_tree_id=root_id,
                goal_tree_size=goal_tree_size(config),
                max_depth=config.max_tree_depth,
                max_children_count=config.max_children_count,
                state=state,
                active=state in ACTIVE_STATES,
                # A growing tree counts as having won the lottery, so an unhalt returns it
                # to growing (TREE-61).
                won_prompt_lottery_date=created_at if state == S.GROWING else None,
                lang=lang or "en",
                state_changed_date=created_at,
            )
        )
    with transaction.atomic():
        MessageTreeState.objects.bulk_create(rows, ignore_conflicts=True)
        tree_index_add_trees([row.message_tree_id for row in rows])
    return len(rows)


def _run_checks(tree_ids: list[UUID], check: Callable[..., bool]) -> int:
    moved = 0
    for tree_id in tree_ids:
        with transaction.atomic():
            moved += bool(check(tree_id=tree_id))
    return moved


def _active_trees(*states: TreeState, condition: Q | None = None) -> list[UUID]:
    trees = MessageTreeState.objects.filter(active=True, state__in=states)
    if condition is not None:
        trees = trees.filter(condition)
    return list(trees.order_by("message_tree_id").values_list("message_tree_id", flat=True))


def reconcile_trees() -> dict[str, int]:
    """TREE-71: repair missing state rows and re-run the checks of every active tree.

    1. T20 for roots without a state row.
    2. T2 for active `initial_prompt_review` trees whose root is accepted.
    3. The ranking check (TREE-8) for active `growing` trees.
    4. The scoring check (TREE-57) for active `ranking` / `ready_for_scoring` trees.
    Returns the rows created and trees moved per step; all zero on a consistent database.
    """
    created = tree_states_create_missing()
    accepted_root = Q(message_tree__review_result=True)
    prompt_review = _run_checks(
        _active_trees(S.INITIAL_PROMPT_REVIEW, condition=accepted_root), tree_check_prompt_review
    )
    ranking = _run_checks(_active_trees(S.GROWING), tree_check_ranking)
    scoring = _run_checks(_active_trees(S.RANKING, S.READY_FOR_SCORING), tree_check_scoring)
    return {
        "created": created,
        "prompt_review_moved": prompt_review,
        "ranking_check_moved": ranking,
        "scoring_check_moved": scoring,
    }


def tree_pump() -> dict[str, int]:
    """TREE-70: lottery for every language, auto-moderation sweep, banned authors' prompts.

    The last step is the safety net of TREE-14: waiting prompts whose author is disabled
    or deleted are halted (T7).
    """
    activated = lottery_run_all()
    moderated = auto_moderation_sweep()
    banned_authors = list(
        MessageTreeState.objects.filter(state=S.PROMPT_LOTTERY_WAITING)
        .filter(Q(message_tree__user__enabled=False) | Q(message_tree__user__deleted=True))
        .order_by()
        .values_list("message_tree__user_id", flat=True)
        .distinct()
    )
    halted = 0
    if banned_authors:
        with transaction.atomic():
            halted = trees_halt_waiting_prompts_of(
                user_ids=banned_authors, cause="author_disabled_safety_net"
            )
    return {"lottery_activated": activated, "auto_moderated": moderated, "halted": halted}
