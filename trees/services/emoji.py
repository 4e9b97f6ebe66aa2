"""Emoji reactions on messages (MOD-17), the flagged queue (MOD-16) and the aggregate (DATA-18).

One `message_emoji` row per (message, user, code). The message's `emojis` JSON aggregate
is never read-modified-written in Python (GEN-8): every change locks the message row and
then recomputes the aggregate from the rows with a single UPDATE, so concurrent reactions
on one message serialise on that lock and each recount sees the previous commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models.expressions import RawSQL

from shared_protocol.enums import EmojiCode
from shared_protocol.errors import DomainError, ErrorCode
from stats.services import stats_mark_dirty
from trees import randomness
from trees.models import FlaggedMessage, Message, MessageEmoji
from trees.services.moderation import auto_moderate_message
from trees.signals import emoji_changed

if TYPE_CHECKING:
    from collections.abc import Iterable
    from uuid import UUID

# Codes whose addition re-evaluates auto-moderation (TREE-44).
AUTO_MODERATION_CODES = frozenset({EmojiCode.RED_FLAG.value, EmojiCode.SKIP_REPLY.value})
# +1 and -1 exclude each other per user and are not allowed on one's own messages.
VOTE_OPPOSITES = {
    EmojiCode.THUMBS_UP.value: EmojiCode.THUMBS_DOWN.value,
    EmojiCode.THUMBS_DOWN.value: EmojiCode.THUMBS_UP.value,
}

# The aggregate of the message row being updated, from its emoji rows: `{code: count}`
# with only positive counts, `{}` when no row is left. Correlated on the outer "message".
_AGGREGATE_SQL = {
    "postgresql": (
        "COALESCE((SELECT jsonb_object_agg(c.emoji, c.n) FROM ("
        " SELECT e.emoji AS emoji, COUNT(*) AS n FROM message_emoji e"
        ' WHERE e.message_id = "message"."id" GROUP BY e.emoji) c), \'{}\'::jsonb)'
    ),
    "sqlite": (
        "COALESCE((SELECT json_group_object(c.emoji, c.n) FROM ("
        " SELECT e.emoji AS emoji, COUNT(*) AS n FROM message_emoji e"
        ' WHERE e.message_id = "message"."id" GROUP BY e.emoji ORDER BY e.emoji) c), \'{}\')'
    ),
}


def emojis_recompute(*, message_ids: Iterable[UUID]) -> int:
    """Rewrite the `emojis` aggregate of these messages from their emoji rows (one UPDATE).

    Callers that race with emoji changes hold the message rows' locks first, so the
    statement's snapshot includes every committed row.
    """
    ids = list(message_ids)
    if not ids:
        return 0
    expression = RawSQL(_AGGREGATE_SQL[connection.vendor], ())  # noqa: S611 - constant SQL
    return Message.objects.filter(pk__in=ids).update(emojis=expression)


def _lock_message(message_id: UUID) -> UUID | None:
    """Lock the message row; returns its author (None for no author). 404 if it is missing."""
    row = (
        Message.objects.select_for_update()
        .filter(pk=message_id)
        .values_list("pk", "user_id")
        .first()
    )
    if row is None:
        raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "Message not found")
    return row[1]


def _has(message_id: UUID, user_id: UUID, emoji: str) -> bool:
    return MessageEmoji.objects.filter(message_id=message_id, user_id=user_id, emoji=emoji).exists()


def _delete(message_id: UUID, user_id: UUID, emoji: str) -> bool:
    deleted, _ = MessageEmoji.objects.filter(
        message_id=message_id, user_id=user_id, emoji=emoji
    ).delete()
    if deleted:
        emoji_changed.send(
            sender=MessageEmoji, message_id=message_id, user_id=user_id, emoji=emoji, op="remove"
        )
    return deleted > 0


def _add_locked(message_id: UUID, author_id: UUID | None, user_id: UUID, emoji: str) -> bool:
    """MOD-17 "adding", with the message row already locked by this transaction."""
    if _has(message_id, user_id, emoji):
        return False  # idempotent: nothing changes, nothing is re-queued
    changed = False
    opposite = VOTE_OPPOSITES.get(emoji)
    if opposite is not None:
        changed = _delete(message_id, user_id, opposite)
        if author_id == user_id:  # no votes on one's own messages
            if changed:
                emojis_recompute(message_ids=[message_id])
                stats_mark_dirty([author_id])
            return changed
    if emoji == EmojiCode.RED_FLAG:
        # MOD-16: every new red flag (re-)queues the message for the moderators.
        FlaggedMessage.objects.bulk_create(
            [FlaggedMessage(message_id=message_id, processed=False, created_date=randomness.now())],
            update_conflicts=True,
            unique_fields=["message"],
            update_fields=["processed", "created_date"],
        )
    MessageEmoji.objects.create(
        message_id=message_id, user_id=user_id, emoji=emoji, created_date=randomness.now()
    )
    emoji_changed.send(
        sender=MessageEmoji, message_id=message_id, user_id=user_id, emoji=emoji, op="add"
    )
    emojis_recompute(message_ids=[message_id])
    stats_mark_dirty([author_id])
    if emoji in AUTO_MODERATION_CODES:
        auto_moderate_message(message_id=message_id)  # TREE-44, same transaction
    return True


def _remove_locked(message_id: UUID, author_id: UUID | None, user_id: UUID, emoji: str) -> bool:
    if not _delete(message_id, user_id, emoji):
        return False
    emojis_recompute(message_ids=[message_id])
    stats_mark_dirty([author_id])
    return True


def emoji_add(*, message_id: UUID, user_id: UUID, emoji: str) -> bool:
    """Add `user`'s `emoji` to the message (MOD-17); returns whether anything changed.

    Adding a code the user already has changes nothing. `+1` removes the user's `-1` first
    (and vice versa); a vote on one's own message then stops there. A `red_flag` (re-)queues
    the message (MOD-16); `red_flag` and `_skip_reply` run auto-moderation (TREE-44).
    """
    code = EmojiCode(emoji).value
    with transaction.atomic():
        author_id = _lock_message(message_id)
        return _add_locked(message_id, author_id, user_id, code)


def emoji_remove(*, message_id: UUID, user_id: UUID, emoji: str) -> bool:
    """Remove `user`'s `emoji` from the message (MOD-17); False when the user had none."""
    code = EmojiCode(emoji).value
    with transaction.atomic():
        author_id = _lock_message(message_id)
        return _remove_locked(message_id, author_id, user_id, code)


def emoji_toggle(*, message_id: UUID, user_id: UUID, emoji: str) -> bool:
    """Remove `emoji` if the user has it on the message, else add it (MOD-17)."""
    code = EmojiCode(emoji).value
    with transaction.atomic():
        author_id = _lock_message(message_id)
        if _has(message_id, user_id, code):
            return _remove_locked(message_id, author_id, user_id, code)
        return _add_locked(message_id, author_id, user_id, code)
