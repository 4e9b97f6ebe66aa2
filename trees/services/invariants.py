"""DATA-18 invariants: detection and set-based repair (the `check_invariants` command).

1. `children_count` = number of non-deleted children.
2. `ranking_count` of a reply = non-voided ranking reactions on its parent naming it.
3. `emojis[code]` = number of `message_emoji` rows with that code; zero codes absent
   (a null aggregate and `{}` both mean "no codes").
4. Every root has a tree-state row.
5. `active` agrees with `state` (TREE-1; also a database constraint).
6. Every message has a candidate-index entry (tree_message) that agrees with the message
   and its tree's state.
Every check is a fixed number of queries whatever the table sizes (TREE-73); repairs
recompute the stored values in the database from their sources.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from trees.models import ACTIVE_STATES, Message, MessageEmoji, MessageTreeState
from trees.services.emoji import emojis_recompute
from trees.services.moderation import children_count_recompute
from trees.services.reconcile import tree_states_create_missing
from trees.services.tree_index import tree_index_drift, tree_index_repair

if TYPE_CHECKING:
    from uuid import UUID

# Ranking reactions on the parent of the outer "message" row whose ranked ids name it.
_RANKING_COUNT_SQL = {
    "postgresql": (
        "(SELECT COUNT(*) FROM message_reaction r CROSS JOIN LATERAL jsonb_array_elements_text("
        " CASE WHEN jsonb_typeof(r.payload->'payload'->'ranked_message_ids') = 'array'"
        " THEN r.payload->'payload'->'ranked_message_ids' ELSE '[]'::jsonb END) AS ranked(id)"
        ' WHERE r.message_id = "message"."parent_id" AND NOT r.voided'
        " AND r.payload_type = 'RankingReactionPayload'"
        ' AND lower(ranked.id) = "message"."id"::text)'
    ),
    "sqlite": (
        "(SELECT COUNT(*) FROM message_reaction r,"
        " json_each(r.payload, '$.payload.ranked_message_ids') ranked"
        ' WHERE r.message_id = "message"."parent_id" AND NOT r.voided'
        " AND r.payload_type = 'RankingReactionPayload'"
        " AND lower(replace(ranked.value, '-', '')) = \"message\".\"id\")"
    ),
}


def _expected_ranking_count() -> RawSQL:
    sql = _RANKING_COUNT_SQL[connection.vendor]
    return RawSQL(sql, (), output_field=IntegerField())  # noqa: S611 - constant SQL


def _children_count_violations() -> list[tuple[UUID, int, int]]:
    live_children = (
        Message.objects.filter(parent_id=OuterRef("pk"), deleted=False)
        .order_by()
        .values("parent_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Message.objects.annotate(
            expected=Coalesce(Subquery(live_children, output_field=IntegerField()), 0)
        )
        .exclude(children_count=F("expected"))
        .order_by("pk")
        .values_list("pk", "children_count", "expected")
    )
    return list(rows)


def _ranking_count_violations() -> list[tuple[UUID, int, int]]:
    rows = (
        Message.objects.filter(parent__isnull=False)
        .annotate(expected=_expected_ranking_count())
        .exclude(ranking_count=F("expected"))
        .order_by("pk")
        .values_list("pk", "ranking_count", "expected")
    )
    return list(rows)


def _emoji_violations() -> list[tuple[UUID, dict[str, Any], dict[str, int]]]:
    """Messages whose aggregate differs from their rows (two reads, compared in memory)."""
    expected: dict[UUID, dict[str, int]] = defaultdict(dict)
    for message_id, emoji, n in (
        MessageEmoji.objects.order_by()
        .values("message_id", "emoji")
        .annotate(n=Count("pk"))
        .values_list("message_id", "emoji", "n")
    ):
        expected[message_id][emoji] = n
    stored = dict(
        Message.objects.filter(Q(pk__in=list(expected)) | Q(emojis__isnull=False))
        .exclude(emojis={})
        .values_list("pk", "emojis")
    )
    violations = []
    for message_id in sorted(set(expected) | set(stored), key=lambda pk: pk.int):
        have = stored.get(message_id) or {}
        want = expected.get(message_id, {})
        if have != want:
            violations.append((message_id, have, want))
    return violations


def _roots_without_state() -> list[UUID]:
    return list(
        Message.objects.filter(parent__isnull=True, tree_state__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _active_mismatch() -> Q:
    active = sorted(s.value for s in ACTIVE_STATES)
    return Q(active=True) & ~Q(state__in=active) | Q(active=False, state__in=active)


def check_invariants(*, fix: bool) -> list[str]:
    """Report every DATA-18 violation as one line; with `fix`, repair them as well.

    The returned lines describe what was found (before any repair). Repairs run in one
    transaction and recompute values in the database, so a change committed between the
    check and the repair is not overwritten with a stale value.
    """
    lines: list[str] = []
    children = _children_count_violations()
    lines += [
        f"children_count: message {pk} has {have}, expected {want}" for pk, have, want in children
    ]
    rankings = _ranking_count_violations()
    lines += [
        f"ranking_count: message {pk} has {have}, expected {want}" for pk, have, want in rankings
    ]
    emojis = _emoji_violations()
    lines += [f"emojis: message {pk} has {have}, expected {want}" for pk, have, want in emojis]
    roots = _roots_without_state()
    lines += [f"tree state: root {pk} has no message_tree_state row" for pk in roots]
    mismatched = list(
        MessageTreeState.objects.filter(_active_mismatch())
        .order_by("pk")
        .values_list("pk", "state", "active")
    )
    lines += [
        f"active: tree {pk} in {state} has active={active}" for pk, state, active in mismatched
    ]
    drift = tree_index_drift()
    lines += [f"tree_message: message {pk} {problem}" for pk, problem in drift]
    if fix and lines:
        with transaction.atomic():
            tree_index_repair(pk for pk, _ in drift)
            children_count_recompute(message_ids=[pk for pk, _, _ in children])
            Message.objects.filter(pk__in=[pk for pk, _, _ in rankings]).update(
                ranking_count=_expected_ranking_count()
            )
            emojis_recompute(message_ids=[pk for pk, _, _ in emojis])
            if roots:
                tree_states_create_missing()
            if mismatched:
                # The one repair of `active` outside the transition function (TREE-12): it
                # restores agreement with the stored state, which stays untouched.
                active = sorted(s.value for s in ACTIVE_STATES)
                MessageTreeState.objects.filter(_active_mismatch()).update(
                    active=ExpressionWrapper(Q(state__in=active), output_field=BooleanField())
                )
    return lines
