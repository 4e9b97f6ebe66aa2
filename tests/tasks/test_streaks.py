"""Activity dates and streaks, updated by every task submission (STAT-13, IMP-41)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from tasks.services.submissions import (
    submit_free_labels,
    submit_ranking,
    submit_task_labels,
    submit_text_reply,
    user_record_activity,
)
from tests.factories import MessageFactory, MessageTreeStateFactory, TaskFactory, UserFactory
from trees import randomness
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the tree manager's clock (GEN-7)."""

    def set_now(when: datetime) -> None:
        monkeypatch.setattr(randomness, "now", lambda: when)

    return set_now


def _active_at(user: User, when: datetime, clock: Callable[[datetime], None]) -> User:
    clock(when)
    user_record_activity(user=user)
    user.refresh_from_db()
    return user


def test_a_streak_changed_since_the_user_was_read_is_recomputed_from_the_row(
    clock: Callable[[datetime], None],
) -> None:
    """A concurrent submission of the same user moved the streak after this request read
    the user: the update is computed from the stored row, not from the stale copy."""
    user = UserFactory.create(
        streak_last_day_date=MONDAY_10 - timedelta(days=5),
        streak_days=0,
        last_activity_date=MONDAY_10 - timedelta(days=5),
    )
    stale = User.objects.get(pk=user.pk)  # by the stale values, a new streak would start
    User.objects.filter(pk=user.pk).update(
        streak_last_day_date=MONDAY_10 - timedelta(days=3),
        last_activity_date=MONDAY_10 - timedelta(hours=1),
    )

    clock(MONDAY_10)
    user_record_activity(user=stale)

    user.refresh_from_db()
    assert (user.streak_last_day_date, user.streak_days, user.last_activity_date) == (
        MONDAY_10 - timedelta(days=3),
        3,
        MONDAY_10,
    )
    assert (stale.streak_last_day_date, stale.streak_days) == (MONDAY_10 - timedelta(days=3), 3)


def test_stat_13_worked_example(clock: Callable[[datetime], None]) -> None:
    """A streak started Monday 10:00, activity Tuesday: Wednesday 09:00 → 1, 11:00 → 2."""
    user = UserFactory.create(
        streak_last_day_date=MONDAY_10,
        streak_days=1,
        last_activity_date=MONDAY_10 + timedelta(days=1, hours=2),
    )

    _active_at(user, MONDAY_10 + timedelta(days=1, hours=23), clock)  # Wednesday 09:00
    assert user.streak_days == 1
    assert user.streak_last_day_date == MONDAY_10

    _active_at(user, MONDAY_10 + timedelta(days=2, hours=1), clock)  # Wednesday 11:00
    assert user.streak_days == 2
    assert user.last_activity_date == MONDAY_10 + timedelta(days=2, hours=1)


def test_first_activity_starts_a_streak(clock: Callable[[datetime], None]) -> None:
    user = _active_at(UserFactory.create(), MONDAY_10, clock)

    assert (user.streak_last_day_date, user.streak_days, user.last_activity_date) == (
        MONDAY_10,
        0,
        MONDAY_10,
    )


def test_a_gap_longer_than_the_maximum_restarts_the_streak(
    clock: Callable[[datetime], None],
) -> None:
    user = UserFactory.create(
        streak_last_day_date=MONDAY_10 - timedelta(days=5),
        streak_days=5,
        last_activity_date=MONDAY_10,
    )
    later = MONDAY_10 + timedelta(hours=36, seconds=1)

    _active_at(user, later, clock)

    assert (user.streak_last_day_date, user.streak_days) == (later, 0)


def test_a_gap_of_exactly_the_maximum_keeps_the_streak(
    clock: Callable[[datetime], None],
) -> None:
    user = UserFactory.create(
        streak_last_day_date=MONDAY_10 - timedelta(days=5),
        streak_days=5,
        last_activity_date=MONDAY_10,
    )

    _active_at(user, MONDAY_10 + timedelta(hours=36), clock)

    assert (user.streak_last_day_date, user.streak_days) == (MONDAY_10 - timedelta(days=5), 6)


def test_the_maximum_gap_is_configurable(
    clock: Callable[[datetime], None], settings: SettingsWrapper
) -> None:
    settings.USER_STREAK_MAX_GAP_HOURS = 12
    user = UserFactory.create(
        streak_last_day_date=MONDAY_10, streak_days=0, last_activity_date=MONDAY_10
    )
    later = MONDAY_10 + timedelta(hours=13)

    _active_at(user, later, clock)

    assert (user.streak_last_day_date, user.streak_days) == (later, 0)


def test_a_streak_start_in_the_future_restarts_the_streak(
    clock: Callable[[datetime], None],
) -> None:
    user = UserFactory.create(
        streak_last_day_date=MONDAY_10 + timedelta(days=1),
        streak_days=3,
        last_activity_date=MONDAY_10 - timedelta(hours=1),
    )

    _active_at(user, MONDAY_10, clock)

    assert (user.streak_last_day_date, user.streak_days) == (MONDAY_10, 0)


def test_a_streak_without_recorded_activity_restarts(clock: Callable[[datetime], None]) -> None:
    user = UserFactory.create(
        streak_last_day_date=MONDAY_10 - timedelta(days=3), streak_days=3, last_activity_date=None
    )

    _active_at(user, MONDAY_10, clock)

    assert (user.streak_last_day_date, user.streak_days) == (MONDAY_10, 0)


# --- which submissions count ---------------------------------------------------------------


def test_a_text_reply_records_activity(clock: Callable[[datetime], None]) -> None:
    clock(MONDAY_10)
    task = TaskFactory.create(acked=True)
    assert task.user is not None

    submit_text_reply(
        client=task.api_client,
        user=task.user,
        message_id=task.frontend_message_id or "",
        user_message_id="prompt",
        text="Hello there.",
        lang=None,
    )

    task.user.refresh_from_db()
    assert (task.user.last_activity_date, task.user.streak_days) == (MONDAY_10, 0)


def test_a_review_records_activity(clock: Callable[[datetime], None]) -> None:
    clock(MONDAY_10)
    reply = MessageFactory.reply(MessageTreeStateFactory.create().message_tree)
    task = TaskFactory.create(
        acked=True,
        payload_type="LabelAssistantReplyPayload",
        fields={
            "type": "label_assistant_reply",
            "message_id": str(reply.pk),
            "conversation": {"messages": []},
            "valid_labels": ["spam"],
            "mandatory_labels": ["spam"],
            "mode": "simple",
        },
        parent_message_id=reply.pk,
    )
    assert task.user is not None

    submit_task_labels(
        client=task.api_client,
        user=task.user,
        task_id=task.pk,
        message_id=reply.pk,
        text="",
        labels={"spam": 0.0},
    )

    task.user.refresh_from_db()
    assert task.user.last_activity_date == MONDAY_10


def test_a_ranking_records_activity(clock: Callable[[datetime], None]) -> None:
    clock(MONDAY_10)
    root = MessageTreeStateFactory.create(ranking=True).message_tree
    replies = [MessageFactory.reply(root, accepted=True) for _ in range(2)]
    task = TaskFactory.create(
        acked=True,
        payload_type="RankAssistantRepliesPayload",
        fields={
            "type": "rank_assistant_replies",
            "conversation": {"messages": [{"id": str(root.pk)}]},
            "reply_messages": [{"id": str(m.pk)} for m in replies],
            "ranking_parent_id": str(root.pk),
            "message_tree_id": str(root.pk),
            "reveal_synthetic": False,
        },
        parent_message_id=root.pk,
    )
    assert task.user is not None

    submit_ranking(
        client=task.api_client,
        user=task.user,
        message_id=task.frontend_message_id or "",
        ranking=[1, 0],
        not_rankable=None,
    )

    task.user.refresh_from_db()
    assert task.user.last_activity_date == MONDAY_10


def test_free_labels_record_activity_only_when_asked(clock: Callable[[datetime], None]) -> None:
    """STAT-13: through /text_labels/ free labels and reports are no task submission;
    through /tasks/interaction (API-TASK-5) every successful interaction counts."""
    clock(MONDAY_10)
    message = MessageFactory.create()
    user = UserFactory.create()

    def label(*, record_activity: bool) -> None:
        submit_free_labels(
            client=user.api_client,
            user=user,
            message_id=message.pk,
            text="",
            labels={"quality": 1.0},
            is_report=None,
            record_activity=record_activity,
        )

    label(record_activity=False)
    user.refresh_from_db()
    assert user.last_activity_date is None

    label(record_activity=True)
    user.refresh_from_db()
    assert user.last_activity_date == MONDAY_10
