"""Free labels and reports (MOD-14, MOD-15, IMP-43)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from journal.models import Journal
from shared_protocol.enums import EmojiCode
from shared_protocol.errors import DomainError, ErrorCode
from stats.models import UserStatsDirty
from tasks.models import TextLabels
from tasks.services import reviews
from tasks.services.submissions import submit_free_labels
from tests.factories import MessageFactory, MessageTreeStateFactory, TextLabelsFactory, UserFactory
from trees.models import FlaggedMessage, Message, MessageEmoji, MessageTreeState, TreeState
from trees.parameters import TreeManagerConfig
from trees.services.emoji import emoji_add

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import User

pytestmark = pytest.mark.django_db


def _label(
    message: Message,
    user: User,
    labels: dict[str, float],
    *,
    text: str = "",
    is_report: bool | None = None,
    record_activity: bool = False,
) -> TextLabels:
    return submit_free_labels(
        client=user.api_client,
        user=user,
        message_id=message.pk,
        text=text,
        labels=labels,
        is_report=is_report,
        record_activity=record_activity,
    )


@pytest.fixture
def reply() -> Message:
    """A reply still under review in a growing tree."""
    return MessageFactory.reply(MessageTreeStateFactory.create().message_tree, review_count=1)


@pytest.fixture
def user() -> User:
    return UserFactory.create()


def _review_state(message: Message) -> tuple[Any, ...]:
    message.refresh_from_db()
    tree = MessageTreeState.objects.get(pk=message.message_tree_id)
    return (message.review_count, message.review_result, tree.state)


# --- free labels (MOD-14) ------------------------------------------------------------------


def test_first_free_label_creates_the_users_row(reply: Message, user: User) -> None:
    before = _review_state(reply)

    row = _label(reply, user, {"quality": 0.5, "humor": 1.0}, text="nice")

    row.refresh_from_db()
    assert row.task_id is None
    assert (row.message_id, row.user_id, row.api_client_id) == (
        reply.pk,
        user.pk,
        user.api_client_id,
    )
    assert (row.labels, row.text) == ({"quality": 0.5, "humor": 1.0}, "nice")
    assert _review_state(reply) == before
    event = Journal.objects.get(event_type="text_labels")
    assert event.event_payload["payload"]["task_based"] is False
    assert event.event_payload["payload"]["is_report"] is False
    assert list(UserStatsDirty.objects.values_list("user_id", flat=True)) == [reply.user_id]


def test_later_free_labels_replace_the_labels_and_keep_text_unless_given(
    reply: Message, user: User
) -> None:
    _label(reply, user, {"quality": 0.5, "humor": 1.0}, text="first")

    _label(reply, user, {"spam": 0.0})
    row = TextLabels.objects.get(message=reply, user=user)
    assert (row.labels, row.text) == ({"spam": 0.0}, "first")

    _label(reply, user, {}, text="second")
    row.refresh_from_db()
    assert (row.labels, row.text) == ({}, "second")
    assert TextLabels.objects.filter(message=reply, user=user).count() == 1


def test_users_may_free_label_their_own_messages(reply: Message) -> None:
    assert reply.user is not None
    assert _label(reply, reply.user, {"quality": 1.0}).user_id == reply.user_id


def test_free_labels_never_decide_a_review(reply: Message) -> None:
    before = _review_state(reply)
    for _ in range(4):
        _label(reply, UserFactory.create(), {"spam": 1.0})

    assert _review_state(reply) == before


def test_free_label_row_lives_beside_the_users_review(reply: Message, user: User) -> None:
    review = TextLabelsFactory.create(task_based=True, message=reply, user=user)

    row = _label(reply, user, {"humor": 1.0})

    assert row.pk != review.pk
    assert TextLabels.objects.filter(message=reply, user=user).count() == 2


def test_free_label_of_an_unknown_message_is_refused_with_2001(user: User) -> None:
    with pytest.raises(DomainError) as caught:
        submit_free_labels(
            client=user.api_client,
            user=user,
            message_id=uuid.uuid4(),
            text="",
            labels={"spam": 1.0},
            is_report=None,
        )
    assert caught.value.code == ErrorCode.MESSAGE_NOT_FOUND
    assert not TextLabels.objects.exists()
    assert not Journal.objects.exists()


# --- reports (MOD-15, IMP-43) --------------------------------------------------------------


def test_report_merges_labels_sets_text_and_red_flags(reply: Message, user: User) -> None:
    _label(reply, user, {"quality": 0.25, "spam": 0.0}, text="earlier")

    row = _label(reply, user, {"spam": 1.0}, text="This is spam.", is_report=True)

    row.refresh_from_db()
    assert row.labels == {"quality": 0.25, "spam": 1.0}
    assert row.text == "This is spam."
    assert MessageEmoji.objects.filter(message=reply, user=user, emoji=EmojiCode.RED_FLAG).exists()
    reply.refresh_from_db()
    assert (reply.emojis or {}).get(EmojiCode.RED_FLAG) == 1
    assert FlaggedMessage.objects.filter(message=reply, processed=False).exists()
    events = Journal.objects.filter(event_type="text_labels").order_by("created_date", "id")
    assert [e.event_payload["payload"]["is_report"] for e in events] == [False, True]


def test_report_with_no_labels_keeps_the_users_earlier_labels(reply: Message, user: User) -> None:
    """IMP-43: the website sends an empty label list with reports."""
    _label(reply, user, {"quality": 0.75}, text="good")

    row = _label(reply, user, {}, text="Actually, it is rude.", is_report=True)

    assert (row.labels, row.text) == ({"quality": 0.75}, "Actually, it is rude.")


def test_first_report_creates_the_row(reply: Message, user: User) -> None:
    row = _label(reply, user, {}, text="Rude.", is_report=True)

    assert (row.labels, row.text, row.task_id) == ({}, "Rude.", None)


def test_repeated_reports_add_one_red_flag(
    reply: Message, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    emoji_add(message_id=reply.pk, user_id=user.pk, emoji=EmojiCode.RED_FLAG)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(reviews, "emoji_add", lambda **kwargs: calls.append(kwargs))

    _label(reply, user, {}, text="Again.", is_report=True)

    assert calls == []
    reply.refresh_from_db()
    assert (reply.emojis or {}).get(EmojiCode.RED_FLAG) == 1


def test_reports_never_decide_a_review(reply: Message) -> None:
    before = _review_state(reply)

    _label(reply, UserFactory.create(), {"spam": 1.0}, text="Spam.", is_report=True)

    assert _review_state(reply) == before


def test_report_red_flags_feed_auto_moderation(reply: Message, settings: SettingsWrapper) -> None:
    """MOD-15 → MOD-17 → TREE-44: enough reports delete a reply under review."""
    settings.TREE_MANAGER_DEFAULTS = dataclasses.replace(TreeManagerConfig(), auto_mod_red_flags=2)
    _label(reply, UserFactory.create(), {}, text="Spam.", is_report=True)
    reply.refresh_from_db()
    assert reply.deleted is False

    _label(reply, UserFactory.create(), {}, text="Spam!", is_report=True)

    reply.refresh_from_db()
    assert reply.deleted is True
    assert MessageTreeState.objects.get(pk=reply.message_tree_id).state == TreeState.GROWING
