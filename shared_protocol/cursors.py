"""Cursor pagination of api.md §5 (API-PAGE-1 … API-PAGE-4), for any keyset listing.

A listing is ordered by `(key, id)`, ascending or descending. A position is either a row
(`<id>$<key>`, a strict bound on the pair) or a bare key value (an inclusive bound on the
key). `page()` implements the algorithm of API-PAGE-3; the user cursor of API-PAGE-4 is
the same algorithm with a text key, always ascending, and never fails to parse.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from shared_protocol.errors import DomainError, ErrorCode
from shared_protocol.fields import parse_protocol_datetime

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class Position:
    """A cursor position: a key value, and the row id when it names a row."""

    key: Any
    id: uuid.UUID | None = None


def parse_message_cursor(text: str | None) -> Position | None:
    """`<uuid>$<iso datetime>` or a bare ISO datetime (API-PAGE-2); 400 / 101 otherwise."""
    if text is None or text == "":
        return None
    try:
        if "$" in text:
            raw_id, raw_date = text.split("$", 1)
            return Position(key=parse_protocol_datetime(raw_date), id=uuid.UUID(raw_id))
        return Position(key=parse_protocol_datetime(text))
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_CURSOR_VALUE, f"Invalid cursor value: {text!r}"
        ) from None


def parse_user_cursor(text: str | None) -> Position | None:
    """`<user_id>$<key>` or a bare key; text without a UUID prefix is a bare key (API-PAGE-4)."""
    if text is None or text == "":
        return None
    if "$" in text:
        raw_id, key = text.split("$", 1)
        try:
            return Position(key=key, id=uuid.UUID(raw_id))
        except ValueError:
            pass
    return Position(key=text)


def format_position(key: Any, row_id: Any) -> str:
    """A row position `<id>$<key>`; datetimes in ISO 8601 with offset (GEN-4)."""
    text = key.isoformat() if isinstance(key, datetime) else str(key)
    return f"{row_id}${text}"


def _bare(key: Any) -> str:
    return key.isoformat() if isinstance(key, datetime) else str(key)


def _beyond(key_field: str, position: Position, *, forward: bool) -> Q:
    """Rows strictly after a row position, or at/after a bare key, walking in `forward`
    (ascending) or backward (descending) key order."""
    gt, gte = ("gt", "gte") if forward else ("lt", "lte")
    if position.id is None:
        return Q(**{f"{key_field}__{gte}": position.key})
    return Q(**{f"{key_field}__{gt}": position.key}) | Q(
        **{key_field: position.key, f"id__{gt}": position.id}
    )


@dataclass(frozen=True)
class Page:
    items: list[Any]
    prev: str | None
    next: str | None
    sort_key: str
    order: str


def page(
    queryset: QuerySet[Any],
    *,
    key_field: str,
    sort_key: str,
    before: Position | None,
    after: Position | None,
    max_count: int,
    desc: bool,
    key_of: Callable[[Model], Any] | None = None,
) -> Page:
    """One page of `queryset` by the algorithm of API-PAGE-3.

    1. Only `before`: the `max_count + 1` items right before it; only `after` (or
       neither): the `max_count + 1` items right after it; both: up to `max_count`
       items between them.
    2. With `max_count + 1` items, drop the one farthest from the cursor (overflow).
    3. Items in listing order; `prev`/`next` positions per step 4, or the bare cursor
       keys when the page is empty (step 5).
    """
    key_of = key_of or (lambda row: getattr(row, key_field))
    ascending = not desc
    listing = [key_field, "id"] if ascending else [f"-{key_field}", "-id"]
    reverse = [f"-{key_field}", "-id"] if ascending else [key_field, "id"]
    rows = queryset
    if after is not None:
        rows = rows.filter(_beyond(key_field, after, forward=ascending))
    if before is not None:
        rows = rows.filter(_beyond(key_field, before, forward=not ascending))

    overflow = False
    if before is not None and after is None:
        items = list(rows.order_by(*reverse)[: max_count + 1])
        if len(items) > max_count:
            overflow = True
            items = items[:max_count]  # the farthest from `before` is the last fetched
        items.reverse()
    elif before is not None:
        items = list(rows.order_by(*listing)[:max_count])
    else:
        items = list(rows.order_by(*listing)[: max_count + 1])
        if len(items) > max_count:
            overflow = True
            items = items[:max_count]

    order = "desc" if desc else "asc"
    if not items:
        return Page(
            items=[],
            prev=_bare(after.key) if after is not None else None,
            next=_bare(before.key) if before is not None else None,
            sort_key=sort_key,
            order=order,
        )
    first, last = items[0], items[-1]
    prev = (
        format_position(key_of(first), first.pk)
        if (overflow and before is not None) or after is not None
        else None
    )
    next_ = format_position(key_of(last), last.pk) if overflow or before is not None else None
    return Page(items=items, prev=prev, next=next_, sort_key=sort_key, order=order)
