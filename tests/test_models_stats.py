"""Leaderboard, trollboard, cached statistics and the dirty-user queue (DATA-14 … DATA-17)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from shared_protocol.enums import CachedStatsName, TimeFrame
from stats.models import CachedStats, UserStats
from tests.factories import (
    CachedStatsFactory,
    TrollStatsFactory,
    UserFactory,
    UserStatsDirtyFactory,
    UserStatsFactory,
)

pytestmark = pytest.mark.django_db

STATS_FACTORIES = [UserStatsFactory, TrollStatsFactory]


@pytest.mark.parametrize("factory_class", STATS_FACTORIES)
def test_second_stats_row_for_one_user_and_time_frame_is_rejected(factory_class: Any) -> None:
    """DATA-14: user_stats and troll_stats are keyed by (time_frame, user)."""
    existing = factory_class.create(time_frame=TimeFrame.WEEK)
    with pytest.raises(IntegrityError), transaction.atomic():
        factory_class.create(time_frame=TimeFrame.WEEK, user=existing.user)


@pytest.mark.parametrize("factory_class", STATS_FACTORIES)
def test_one_stats_row_per_time_frame_is_accepted(factory_class: Any) -> None:
    """DATA-14: each user has a row per time frame."""
    user = UserFactory.create()
    for time_frame in TimeFrame:
        factory_class.create(time_frame=time_frame, user=user)
    model = factory_class._meta.model
    assert set(model.objects.filter(user=user).values_list("time_frame", flat=True)) == set(
        TimeFrame.values
    )


@pytest.mark.parametrize("factory_class", STATS_FACTORIES)
def test_stats_row_with_an_unknown_time_frame_is_rejected(factory_class: Any) -> None:
    """DATA-14, STAT-2: time frames are day, week, month and total."""
    with pytest.raises(IntegrityError), transaction.atomic():
        factory_class.create(time_frame="year")


def test_leaderboard_counters_read_back_equal() -> None:
    """DATA-14: the leaderboard columns of stats.md §2 are stored as given."""
    row = UserStatsFactory.create(leader_score=42, prompts=3, reply_ranked_1=2, rank=1)
    stored = UserStats.objects.get(pk=row.pk)
    assert (stored.leader_score, stored.prompts, stored.reply_ranked_1, stored.rank) == (
        42,
        3,
        2,
        1,
    )


def test_cached_statistic_is_stored_once_per_name() -> None:
    """DATA-15: cached_stats is keyed by the statistic's name."""
    CachedStatsFactory.create(name=CachedStatsName.USERS_ACCEPTED_TOS, stats={"count": 7})
    with pytest.raises(IntegrityError), transaction.atomic():
        CachedStatsFactory.create(name=CachedStatsName.USERS_ACCEPTED_TOS)
    assert CachedStats.objects.get(pk="users_accepted_tos").stats == {"count": 7}


def test_user_is_marked_dirty_at_most_once() -> None:
    """DATA-17: user_stats_dirty is keyed by the user."""
    mark = UserStatsDirtyFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserStatsDirtyFactory.create(user=mark.user)
