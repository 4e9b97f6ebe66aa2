"""Reads of messages for the API (API-USR-7/8, API-FUSR-4/5; later the /messages reads)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from shared_protocol.cursors import Page, Position, page
from trees.models import Message, MessageEmoji

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from django.db.models import QuerySet


def message_filter(
    *,
    user_id: UUID | None = None,
    api_client_id: UUID | None = None,
    only_roots: bool = False,
    include_deleted: bool = False,
    lang: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
) -> QuerySet[Message]:
    """Messages matching the common listing filters (bounds on created_date inclusive)."""
    messages = Message.objects.all()
    if user_id is not None:
        messages = messages.filter(user_id=user_id)
    if api_client_id is not None:
        messages = messages.filter(api_client_id=api_client_id)
    if only_roots:
        messages = messages.filter(parent__isnull=True)
    if not include_deleted:
        messages = messages.filter(deleted=False)
    if lang:
        messages = messages.filter(lang=lang)
    if start_date is not None:
        messages = messages.filter(created_date__gte=start_date)
    if end_date is not None:
        messages = messages.filter(created_date__lte=end_date)
    return messages


def messages_for_acting_user(messages: list[Message], acting_user_id: UUID | None) -> list[Message]:
    """Set `user_emojis` and `user_is_author` (API-OBJ-4) with one query for the page."""
    if acting_user_id is None:
        return messages
    by_message: dict[Any, list[str]] = defaultdict(list)
    rows = MessageEmoji.objects.filter(
        user_id=acting_user_id, message_id__in=[m.pk for m in messages]
    ).order_by("created_date", "id")
    for message_id, emoji in rows.values_list("message_id", "emoji"):
        by_message[message_id].append(emoji)
    for message in messages:
        message.user_emojis = by_message.get(message.pk, [])  # type: ignore[attr-defined]
        message.user_is_author = message.user_id == acting_user_id  # type: ignore[attr-defined]
    return messages


def message_list(
    messages: QuerySet[Message], *, max_count: int, desc: bool, acting_user_id: UUID | None
) -> list[Message]:
    """The first `max_count` messages ordered by (created_date, id), descending if `desc`."""
    ordering = ("-created_date", "-id") if desc else ("created_date", "id")
    rows = list(messages.select_related("user").order_by(*ordering)[:max_count])
    return messages_for_acting_user(rows, acting_user_id)


def message_page(
    messages: QuerySet[Message],
    *,
    before: Position | None,
    after: Position | None,
    max_count: int,
    desc: bool,
    acting_user_id: UUID | None,
) -> Page:
    """A MessagePage by the cursor algorithm of API-PAGE-3."""
    result = page(
        messages.select_related("user"),
        key_field="created_date",
        sort_key="created_date",
        before=before,
        after=after,
        max_count=max_count,
        desc=desc,
    )
    messages_for_acting_user(result.items, acting_user_id)
    return result
