"""The candidate index (TreeMessage): the only writer of its rows.

Every message has one entry holding its language, role and its tree's state. Entries are
added with their message (submissions, reconcile, imports) and their `tree_state` is
rewritten by the transition function for the whole tree, in the transition's transaction.

Only transitions update existing entries, and nothing else locks them, so the rewrite never
waits on locks held by submissions (which lock messages, not entries). The one race: a
reply inserted while its tree leaves `growing` keeps `growing`. Such an entry only makes a
message *considered* by a growing-tree query whose full predicate then rejects it (the real
tree state is always tested), and the tree's next transition rewrites it; check_invariants
reports drift and `--fix` repairs it (DATA-18).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, OuterRef, Q, Subquery

from config.prepared import PreparedInsert
from trees.models import Message, MessageTreeState, TreeMessage, TreeState

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID


_INSERT: PreparedInsert[TreeMessage] = PreparedInsert(TreeMessage)


def tree_index_add(message: Message, *, tree_state: TreeState | str | None) -> None:
    """Index a new message; `tree_state` is its tree's state (None before T1 for a root)."""
    _INSERT.create(
        message_id=message.pk,
        message_tree_id=message.message_tree_id,
        lang=message.lang,
        role=message.role,
        tree_state=None if tree_state is None else str(tree_state),
    )


def tree_index_set_state(*, tree_id: UUID, state: TreeState | str) -> None:
    """Mirror a tree's new state onto the entries of all its messages."""
    TreeMessage.objects.filter(message_tree_id=tree_id).update(tree_state=str(state))


def _tree_state_of(outer: str) -> Subquery:
    return Subquery(
        MessageTreeState.objects.filter(message_tree_id=OuterRef(outer)).values("state")[:1]
    )


def tree_index_drift() -> list[tuple[UUID, str]]:
    """Messages whose entry is missing or disagrees with the message or its tree.

    Returns (message id, what is wrong), ordered by message id.
    """
    missing = [
        (pk, f"has no entry, its tree is {actual}")
        for pk, actual in Message.objects.filter(index_entry__isnull=True)
        .annotate(actual=_tree_state_of("message_tree_id"))
        .order_by("pk")
        .values_list("pk", "actual")
    ]
    rows = (
        TreeMessage.objects.annotate(actual=_tree_state_of("message_tree_id"))
        .filter(
            Q(actual__isnull=True, tree_state__isnull=False)
            | Q(actual__isnull=False, tree_state__isnull=True)
            | (~Q(tree_state=F("actual")) & Q(actual__isnull=False, tree_state__isnull=False))
            | ~Q(lang=F("message__lang"))
            | ~Q(role=F("message__role"))
            | ~Q(message_tree_id=F("message__message_tree_id"))
        )
        .order_by("pk")
        .values_list(
            "pk",
            "tree_state",
            "actual",
            "lang",
            "message__lang",
            "role",
            "message__role",
            "message_tree_id",
            "message__message_tree_id",
        )
    )
    wrong = []
    for pk, state, actual, *pairs in rows:
        problems = [f"indexed as {state}, its tree is {actual}"] if state != actual else []
        for name, (have, want) in zip(
            ("language", "role", "tree"), zip(pairs[::2], pairs[1::2], strict=True), strict=True
        ):
            if have != want:
                problems.append(f"{name} indexed as {have}, the message has {want}")
        wrong.append((pk, "; ".join(problems)))
    return sorted(missing + wrong, key=lambda item: str(item[0]))


def tree_index_repair(message_ids: Iterable[UUID]) -> int:
    """Rebuild the entries of these messages from the messages and their trees' states."""
    ids = list(message_ids)
    if not ids:
        return 0
    TreeMessage.objects.filter(pk__in=ids).delete()
    rows = (
        Message.objects.filter(pk__in=ids)
        .annotate(actual=_tree_state_of("message_tree_id"))
        .values_list("pk", "message_tree_id", "lang", "role", "actual")
    )
    TreeMessage.objects.bulk_create(
        TreeMessage(message_id=pk, message_tree_id=tree, lang=lang, role=role, tree_state=state)
        for pk, tree, lang, role, state in rows
    )
    return len(ids)


def tree_index_add_trees(tree_ids: Iterable[UUID]) -> None:
    """Index every message of these trees afresh (new state rows made by reconcile)."""
    ids = list(tree_ids)
    if ids:
        tree_index_repair(
            Message.objects.filter(message_tree_id__in=ids).values_list("pk", flat=True)
        )
