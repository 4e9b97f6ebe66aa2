"""Writes of the stats app: leaderboard ranks (STAT-4) and dirty-user marks (STAT-6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from config.prepared import statement_cursor
from shared_protocol.enums import TimeFrame
from stats.models import UserStatsDirty

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

# One set-based statement per frame (TREE-73): rows of enabled, shown users get ranks
# 1, 2, … by leader_score descending then user_id; every other row gets NULL.
_RANK_SQL = """
UPDATE user_stats SET rank = ranked.position
FROM (
    SELECT us.id AS id,
           CASE WHEN u.enabled AND u.show_on_leaderboard
                THEN ROW_NUMBER() OVER (
                    PARTITION BY (u.enabled AND u.show_on_leaderboard)
                    ORDER BY us.leader_score DESC, us.user_id
                )
           END AS position
    FROM user_stats us JOIN "user" u ON u.id = us.user_id
    WHERE us.time_frame = %s
) AS ranked
WHERE user_stats.id = ranked.id
"""


def leaderboard_recompute_ranks(frames: list[str] | None = None) -> None:
    """Recompute the ranks of the given frames (all four by default) in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        for frame in frames or list(TimeFrame.values):
            cursor.execute(_RANK_SQL, [frame])


def stats_mark_dirty(user_ids: Iterable[UUID | None]) -> None:
    """Mark users whose leaderboard rows must be recomputed (DATA-17, STAT-6).

    Call it in the transaction of the change; one statement whatever the number of users,
    and repeated marks of a user keep its first `marked_date`.
    """
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        # Every submission marks one or two users: one prepared statement for any number.
        with statement_cursor(connection) as cursor:
            cursor.execute(_MARK_DIRTY_SQL, [now, ids])
        return
    UserStatsDirty.objects.bulk_create(
        [UserStatsDirty(user_id=user_id, marked_date=now) for user_id in ids],
        ignore_conflicts=True,
    )


# The table and columns of UserStatsDirty.
_MARK_DIRTY_SQL = (
    "INSERT INTO user_stats_dirty (user_id, marked_date)"
    " SELECT u, %s FROM unnest(%s::uuid[]) AS u ON CONFLICT DO NOTHING"
)
