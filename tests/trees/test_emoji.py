"""Emoji reactions (MOD-17), the flagged queue (MOD-16) and the emoji aggregate (DATA-18)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from journal.models import Journal
from shared_protocol.enums import EmojiCode
from shared_protocol.errors import DomainError
from stats.models import UserStatsDirty
from tests.factories import (
    FlaggedMessageFactory,
    MessageFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
    UserFactory,
)
from trees.models import FlaggedMessage, Message, MessageEmoji, MessageTreeState, TreeState
from trees.services.emoji import emoji_add, emoji_remove, emoji_toggle

E = EmojiCode


def emojis_of(message: Message) -> dict[str, int] | None:
    message.refresh_from_db(fields=["emojis"])
    return message.emojis


@pytest.mark.django_db
def test_add_is_idempotent_and_counts_once() -> None:
    # given
    message = MessageFactory.create()
    user = UserFactory.create()

    # when
    first = emoji_add(message_id=message.pk, user_id=user.pk, emoji=E.HUNDRED)
    second = emoji_add(message_id=message.pk, user_id=user.pk, emoji=E.HUNDRED)

    # then
    assert (first, second) == (True, False)
    assert MessageEmoji.objects.filter(message=message).count() == 1
    assert emojis_of(message) == {"100": 1}


@pytest.mark.django_db
def test_aggregate_counts_every_user_and_drops_codes_at_zero() -> None:
    message = MessageFactory.create()
    alice, bob = UserFactory.create(), UserFactory.create()
    emoji_add(message_id=message.pk, user_id=alice.pk, emoji=E.HUNDRED)
    emoji_add(message_id=message.pk, user_id=bob.pk, emoji=E.HUNDRED)
    emoji_add(message_id=message.pk, user_id=bob.pk, emoji=E.ROFL)
    assert emojis_of(message) == {"100": 2, "rofl": 1}

    assert emoji_remove(message_id=message.pk, user_id=bob.pk, emoji=E.ROFL) is True
    assert emojis_of(message) == {"100": 2}  # the key disappears at zero

    emoji_remove(message_id=message.pk, user_id=alice.pk, emoji=E.HUNDRED)
    emoji_remove(message_id=message.pk, user_id=bob.pk, emoji=E.HUNDRED)
    assert emojis_of(message) == {}


@pytest.mark.django_db
def test_a_message_without_reactions_keeps_a_null_aggregate() -> None:
    message = MessageFactory.create()
    user = UserFactory.create()

    assert emoji_remove(message_id=message.pk, user_id=user.pk, emoji=E.HUNDRED) is False
    assert emojis_of(message) is None  # export: absent if the message never had any


@pytest.mark.django_db
def test_toggle_adds_then_removes() -> None:
    message = MessageFactory.create()
    user = UserFactory.create()

    assert emoji_toggle(message_id=message.pk, user_id=user.pk, emoji=E.CLAP) is True
    assert emojis_of(message) == {"clap": 1}
    assert emoji_toggle(message_id=message.pk, user_id=user.pk, emoji=E.CLAP) is True
    assert emojis_of(message) == {}
    assert not MessageEmoji.objects.exists()


@pytest.mark.django_db
def test_thumbs_up_replaces_the_users_thumbs_down() -> None:
    message = MessageFactory.create()
    user = UserFactory.create()
    emoji_add(message_id=message.pk, user_id=user.pk, emoji=E.THUMBS_DOWN)

    emoji_add(message_id=message.pk, user_id=user.pk, emoji=E.THUMBS_UP)

    assert emojis_of(message) == {"+1": 1}
    assert list(MessageEmoji.objects.values_list("emoji", flat=True)) == ["+1"]


@pytest.mark.django_db
def test_no_votes_on_ones_own_message_but_the_opposite_vote_goes() -> None:
    message = MessageFactory.create()
    author = message.user
    assert author is not None
    MessageEmoji.objects.create(message=message, user=author, emoji=E.THUMBS_DOWN)

    changed = emoji_add(message_id=message.pk, user_id=author.pk, emoji=E.THUMBS_UP)

    assert changed is True  # the -1 was removed
    assert emojis_of(message) == {}
    assert not MessageEmoji.objects.exists()
    assert emoji_add(message_id=message.pk, user_id=author.pk, emoji=E.THUMBS_UP) is False
    # Other codes are allowed on one's own message.
    assert emoji_add(message_id=message.pk, user_id=author.pk, emoji=E.HEART_EYES) is True


@pytest.mark.django_db
def test_reaction_marks_the_author_dirty() -> None:
    author = UserFactory.create()
    message = MessageFactory.create(user=author)
    emoji_add(message_id=message.pk, user_id=UserFactory.create().pk, emoji=E.THUMBS_UP)
    assert UserStatsDirty.objects.filter(user_id=author.pk).exists()


@pytest.mark.django_db
def test_reactions_on_deleted_messages_are_allowed() -> None:
    message = MessageFactory.create(deleted=True)
    assert emoji_add(message_id=message.pk, user_id=UserFactory.create().pk, emoji=E.SKULL)
    assert emojis_of(message) == {"skull": 1}


@pytest.mark.django_db
def test_unknown_message_is_404_and_unknown_code_is_refused() -> None:
    user = UserFactory.create()
    with pytest.raises(DomainError):
        emoji_add(message_id=MessageFactory.build().pk, user_id=user.pk, emoji=E.CLAP)
    with pytest.raises(ValueError, match="not_a_code"):
        emoji_add(message_id=MessageFactory.create().pk, user_id=user.pk, emoji="not_a_code")


@pytest.mark.django_db
def test_first_red_flag_queues_the_message() -> None:
    message = MessageFactory.create()

    emoji_add(message_id=message.pk, user_id=UserFactory.create().pk, emoji=E.RED_FLAG)

    flag = FlaggedMessage.objects.get()
    assert flag.message_id == message.pk
    assert flag.processed is False


@pytest.mark.django_db
def test_new_red_flag_requeues_a_processed_message() -> None:
    # given: a message a moderator already processed
    flag = FlaggedMessageFactory.create(processed_flag=True)
    FlaggedMessage.objects.filter(pk=flag.pk).update(
        created_date=timezone.now() - timedelta(days=3)
    )
    before = FlaggedMessage.objects.get().created_date

    # when
    emoji_add(message_id=flag.message_id, user_id=UserFactory.create().pk, emoji=E.RED_FLAG)

    # then
    flag.refresh_from_db()
    assert flag.processed is False
    assert flag.created_date > before
    assert FlaggedMessage.objects.count() == 1


@pytest.mark.django_db
def test_repeated_red_flag_of_one_user_does_not_requeue() -> None:
    message = MessageFactory.create()
    user = UserFactory.create()
    emoji_add(message_id=message.pk, user_id=user.pk, emoji=E.RED_FLAG)
    FlaggedMessage.objects.update(processed=True)

    emoji_add(message_id=message.pk, user_id=user.pk, emoji=E.RED_FLAG)

    assert FlaggedMessage.objects.get().processed is True


@pytest.mark.django_db
def test_red_flag_runs_auto_moderation_in_the_same_call() -> None:
    """TREE-44 is evaluated when the threshold-reaching flag arrives."""
    TreeManagerSettingsFactory.create(
        overrides={"auto_mod_red_flags": 2, "p_activate_backlog_tree": 0.0}
    )
    tree = MessageTreeStateFactory.create(state=TreeState.GROWING)
    for _ in range(2):
        emoji_add(
            message_id=tree.message_tree_id, user_id=UserFactory.create().pk, emoji=E.RED_FLAG
        )
    assert MessageTreeState.objects.get().state == TreeState.ABORTED_LOW_GRADE


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_reactions_on_one_message_keep_the_aggregate_exact() -> None:
    """GEN-8: 12 threads add (some twice, some toggling) on one message; counts stay exact."""
    message = MessageFactory.create()
    users = [UserFactory.create() for _ in range(12)]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def react(index: int) -> None:
        try:
            barrier.wait()
            user_id = users[index].pk
            emoji_add(message_id=message.pk, user_id=user_id, emoji=E.HUNDRED)
            emoji_add(message_id=message.pk, user_id=user_id, emoji=E.HUNDRED)
            if index % 3 == 0:
                emoji_toggle(message_id=message.pk, user_id=user_id, emoji=E.CLAP)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=react, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert emojis_of(message) == {"100": 12, "clap": 4}
    assert MessageEmoji.objects.filter(message=message).count() == 16


@pytest.mark.django_db
def test_every_added_and_removed_emoji_row_is_journaled() -> None:
    """STAT-19: `emoji` events with op add/remove, including a replaced vote."""
    message = MessageFactory.create()
    voter = UserFactory.create()

    emoji_add(message_id=message.pk, user_id=voter.pk, emoji=EmojiCode.THUMBS_DOWN)
    emoji_add(message_id=message.pk, user_id=voter.pk, emoji=EmojiCode.THUMBS_UP)
    emoji_add(message_id=message.pk, user_id=voter.pk, emoji=EmojiCode.THUMBS_UP)  # no-op

    events = [
        (e.fields["emoji"], e.fields["op"], e.user_id, e.message_id)
        for e in Journal.objects.filter(event_type="emoji").order_by("id")
    ]
    assert events == [
        ("-1", "add", voter.pk, message.pk),
        ("-1", "remove", voter.pk, message.pk),
        ("+1", "add", voter.pk, message.pk),
    ]
