"""Dirty marks of users whose leaderboard rows must be recomputed (DATA-17, STAT-6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from stats.models import UserStatsDirty
from stats.services import stats_mark_dirty
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_marks_each_user_once_in_one_statement(django_assert_num_queries: Any) -> None:
    first, second = UserFactory.create(), UserFactory.create()
    with django_assert_num_queries(1):
        stats_mark_dirty([second.pk, None, first.pk, second.pk])
    assert set(UserStatsDirty.objects.values_list("user_id", flat=True)) == {first.pk, second.pk}


def test_a_repeated_mark_keeps_the_first_date() -> None:
    user, other = UserFactory.create(), UserFactory.create()
    long_ago = timezone.now() - timedelta(hours=2)
    UserStatsDirty.objects.create(user=user, marked_date=long_ago)
    stats_mark_dirty([user.pk, other.pk])
    marks = dict(UserStatsDirty.objects.values_list("user_id", "marked_date"))
    assert marks[user.pk] == long_ago
    assert marks[other.pk] > long_ago


def test_no_user_writes_nothing(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        stats_mark_dirty([None])
