"""Consequences for trees of what happens to their authors (TREE-14, MOD-2, MOD-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from trees.models import MessageTreeState, TreeState
from trees.transitions import tree_transition

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID


def trees_halt_waiting_prompts_of(
    *, user_ids: Iterable[UUID], cause: str, api_client_id: UUID | None = None
) -> int:
    """Halt the trees in `prompt_lottery_waiting` whose root was written by these users (T7).

    Runs in the caller's transaction (the one that disables or deletes the author) and
    returns how many trees moved. Trees locked by a concurrent lottery draw are handled
    by the transition's compare-and-set: whichever commits first wins.
    """
    tree_ids = list(
        MessageTreeState.objects.filter(
            state=TreeState.PROMPT_LOTTERY_WAITING, message_tree__user_id__in=list(user_ids)
        )
        .order_by("message_tree_id")
        .values_list("message_tree_id", flat=True)
    )
    halted = 0
    with transaction.atomic():
        for tree_id in tree_ids:
            halted += tree_transition(
                tree_id=tree_id,
                expected=[TreeState.PROMPT_LOTTERY_WAITING],
                target=TreeState.HALTED_BY_MODERATOR,
                cause=cause,
                api_client_id=api_client_id,
            )
    return halted
