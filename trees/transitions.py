"""The tree state machine: the transition table and the one function that writes `state`.

TREE-2: every state change goes through `tree_transition`, a compare-and-set on the
stored state; `active`, `state_changed_date` and `won_prompt_lottery_date` follow from it,
and a `tree_state_changed` signal is sent inside the same transaction (the journal
records it). TREE-12: no other code writes `state` or `active`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trees.models import ACTIVE_STATES, FINAL_STATES, MessageTreeState, TreeState
from trees.services.tree_index import tree_index_set_state
from trees.signals import tree_state_changed

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

S = TreeState
_ALL = frozenset(TreeState)

# TREE-4: (from state) -> the states it may move to. T17 (halt) is allowed from any state,
# T18 (unhalt/reactivation) from any state but prompt_lottery_waiting.
ALLOWED: dict[TreeState, frozenset[TreeState]] = {
    S.INITIAL_PROMPT_REVIEW: frozenset(
        {S.PROMPT_LOTTERY_WAITING, S.ABORTED_LOW_GRADE, S.HALTED_BY_MODERATOR, S.GROWING, S.RANKING}
    ),
    S.GROWING: frozenset(
        {S.RANKING, S.ABORTED_LOW_GRADE, S.HALTED_BY_MODERATOR, S.INITIAL_PROMPT_REVIEW}
    ),
    S.RANKING: frozenset(
        {S.READY_FOR_SCORING, S.HALTED_BY_MODERATOR, S.GROWING, S.INITIAL_PROMPT_REVIEW}
    ),
    S.READY_FOR_SCORING: frozenset(
        {
            S.READY_FOR_EXPORT,
            S.SCORING_FAILED,
            S.HALTED_BY_MODERATOR,
            S.GROWING,
            S.INITIAL_PROMPT_REVIEW,
            S.RANKING,
        }
    ),
    S.SCORING_FAILED: frozenset(
        {S.READY_FOR_SCORING, S.RANKING, S.HALTED_BY_MODERATOR, S.GROWING, S.INITIAL_PROMPT_REVIEW}
    ),
    S.PROMPT_LOTTERY_WAITING: frozenset({S.GROWING, S.HALTED_BY_MODERATOR}),
    S.BACKLOG_RANKING: frozenset(
        {S.RANKING, S.ABORTED_LOW_GRADE, S.HALTED_BY_MODERATOR, S.GROWING, S.INITIAL_PROMPT_REVIEW}
    ),
    S.READY_FOR_EXPORT: frozenset(
        {S.HALTED_BY_MODERATOR, S.GROWING, S.INITIAL_PROMPT_REVIEW, S.RANKING}
    ),
    S.ABORTED_LOW_GRADE: frozenset(
        {S.HALTED_BY_MODERATOR, S.GROWING, S.INITIAL_PROMPT_REVIEW, S.RANKING}
    ),
    S.HALTED_BY_MODERATOR: frozenset({S.GROWING, S.INITIAL_PROMPT_REVIEW, S.RANKING}),
}
if set(ALLOWED) != _ALL or any(state in targets for state, targets in ALLOWED.items()):
    raise ImportError("the transition table must name every state and have no self-loops")


class InvalidTransition(ValueError):
    """A transition the table of TREE-4 does not allow: a programming error, not a race."""


def tree_transition(
    *,
    tree_id: UUID,
    expected: Iterable[TreeState],
    target: TreeState,
    cause: str,
    user_id: UUID | None = None,
    api_client_id: UUID | None = None,
) -> bool:
    """Move the tree from one of the `expected` states to `target`; the only writer of state.

    Returns False, changing nothing, when the stored state is no longer an expected one
    (a concurrent transition won: a no-op, not an error, TREE-2). Raises InvalidTransition
    when an expected state may not move to `target` at all.
    """
    sources = frozenset(TreeState(state) for state in expected)
    forbidden = [s for s in sources if target not in ALLOWED[s]]
    if forbidden:
        raise InvalidTransition(
            f"{', '.join(sorted(forbidden))} -> {target} is not in the transition table"
        )
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        # Lock the row and read its state, then write conditionally: the UPDATE's WHERE
        # clause is the compare-and-set, the lock tells us which source state it was.
        row = (
            MessageTreeState.objects.select_for_update()
            .filter(message_tree_id=tree_id, state__in=[s.value for s in sources])
            .values("state", "won_prompt_lottery_date", "lang")
            .first()
        )
        if row is None:
            return False
        source = TreeState(row["state"])
        updates: dict[str, object] = {
            "state": target.value,
            "active": target in ACTIVE_STATES,
            "state_changed_date": now,
        }
        if target == S.GROWING and row["won_prompt_lottery_date"] is None:
            updates["won_prompt_lottery_date"] = now
        won = MessageTreeState.objects.filter(
            Q(message_tree_id=tree_id) & Q(state=source.value)
        ).update(**updates)
        if won != 1:
            return False
        tree_index_set_state(tree_id=tree_id, state=target)
        tree_state_changed.send(
            sender=MessageTreeState,
            tree_id=tree_id,
            source=source,
            target=target,
            cause=cause,
            user_id=user_id,
            api_client_id=api_client_id,
        )
        if source in ACTIVE_STATES and target in FINAL_STATES:
            # TREE-3: finishing an active tree may top up the backlog, in this transaction.
            # Parking states never do (IMP-23). Imported here: backlog imports this module.
            from trees.services.backlog import after_final_state

            after_final_state(tree_id=tree_id, lang=row["lang"], source=source)
    return True
