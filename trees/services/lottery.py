"""The prompt lottery (TREE-42, TREE-43): waiting prompts are drawn into `growing`.

The draw weighs authors, not prompts: each author of an eligible prompt gets weight
1 + their `reply_ranked_1` in the month leaderboard, and only then one of the drawn
author's prompts is picked uniformly, so mass-posting does not improve one's odds.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from django.db import transaction

from shared_protocol.enums import TimeFrame
from stats.models import UserStats
from trees.config import effective_config
from trees.models import MessageTreeState, TreeState
from trees.randomness import rng
from trees.services.job_lock import advisory_xact_lock
from trees.transitions import tree_transition

if TYPE_CHECKING:
    from collections.abc import Collection
    from uuid import UUID

    from django.db.models import QuerySet

S = TreeState
# TREE-43 allows restricting the uniform prompt draw to an author's oldest prompts.
PROMPTS_PER_AUTHOR = 100


class _Outcome(enum.Enum):
    ACTIVATED = "activated"
    FULL = "full"  # the language already has max_active_trees growing trees
    UNAVAILABLE = "unavailable"  # taken, locked or no longer eligible


def eligible_waiting_trees(lang: str) -> QuerySet[MessageTreeState]:
    """Waiting trees of `lang` whose root may win (TREE-43).

    The root is not deleted, is accepted, has language `lang`, and its author is enabled
    and not deleted.
    """
    return MessageTreeState.objects.filter(
        lang=lang,
        state=S.PROMPT_LOTTERY_WAITING,
        message_tree__deleted=False,
        message_tree__review_result=True,
        message_tree__lang=lang,
        message_tree__user__enabled=True,
        message_tree__user__deleted=False,
    )


def growing_count(lang: str) -> int:
    """Active growing trees of `lang`."""
    return MessageTreeState.objects.filter(lang=lang, state=S.GROWING, active=True).count()


def lottery_draw(*, lang: str, exclude: Collection[UUID] = ()) -> UUID | None:
    """Draw one eligible waiting tree of `lang` (TREE-43), or None when none is left.

    1. The distinct authors of eligible roots, each weighted 1 + month `reply_ranked_1`.
    2. One author with probability weight / sum of weights.
    3. One of that author's (100 oldest) eligible prompts, uniformly.
    Reads only; `exclude` names trees this run already found unavailable.
    """
    candidates = eligible_waiting_trees(lang).exclude(message_tree_id__in=list(exclude))
    authors = sorted(
        set(candidates.values_list("message_tree__user_id", flat=True)), key=lambda pk: pk.int
    )
    if not authors:
        return None
    wins = dict(
        UserStats.objects.filter(time_frame=TimeFrame.MONTH, user_id__in=authors).values_list(
            "user_id", "reply_ranked_1"
        )
    )
    weights = [1 + max(0, wins.get(author, 0)) for author in authors]
    author = rng().choices(authors, weights=weights, k=1)[0]
    prompts = list(
        candidates.filter(message_tree__user_id=author)
        .order_by("message_tree__created_date", "message_tree_id")
        .values_list("message_tree_id", flat=True)[:PROMPTS_PER_AUTHOR]
    )
    return rng().choice(prompts) if prompts else None


def _activate(tree_id: UUID, lang: str, max_active_trees: int) -> _Outcome:
    """T6 for one drawn tree, in its own short transaction.

    Activations of one language are serialised by a transaction-level advisory lock, so
    that the growing count checked here cannot be exceeded by a concurrent run; the tree's
    row is then locked with SKIP LOCKED (a row another transaction holds is unavailable)
    and moved by the compare-and-set of `tree_transition`, so no tree is activated twice.
    """
    with transaction.atomic():
        advisory_xact_lock("lottery", lang)
        if growing_count(lang) >= max_active_trees:
            return _Outcome.FULL
        locked = (
            eligible_waiting_trees(lang)
            .filter(message_tree_id=tree_id)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("message_tree_id", flat=True)
            .first()
        )
        if locked is None:
            return _Outcome.UNAVAILABLE
        moved = tree_transition(
            tree_id=tree_id,
            expected=[S.PROMPT_LOTTERY_WAITING],
            target=S.GROWING,
            cause="prompt_lottery",
        )
    return _Outcome.ACTIVATED if moved else _Outcome.UNAVAILABLE


def lottery_run(*, lang: str) -> int:
    """Run the lottery for `lang` (TREE-42); returns how many trees it activated.

    While fewer than `max_active_trees` trees of `lang` grow and fewer than
    `lottery_max_activations_per_run` were activated in this run, draw a prompt and move
    its tree to `growing` (T6); stop when no eligible prompt is left.
    """
    config = effective_config(lang)
    activated = 0
    unavailable: set[UUID] = set()
    while activated < config.lottery_max_activations_per_run:
        if growing_count(lang) >= config.max_active_trees:
            break
        tree_id = lottery_draw(lang=lang, exclude=unavailable)
        if tree_id is None:
            break
        outcome = _activate(tree_id, lang, config.max_active_trees)
        if outcome is _Outcome.FULL:
            break
        if outcome is _Outcome.ACTIVATED:
            activated += 1
        else:
            unavailable.add(tree_id)
    return activated


def lottery_languages() -> list[str]:
    """Languages with at least one tree in `prompt_lottery_waiting`."""
    return sorted(
        set(
            MessageTreeState.objects.filter(state=S.PROMPT_LOTTERY_WAITING).values_list(
                "lang", flat=True
            )
        )
    )


def lottery_run_all() -> int:
    """Run the lottery for every language with a waiting tree (TREE-42); total activations."""
    return sum(lottery_run(lang=lang) for lang in lottery_languages())
