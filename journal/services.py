"""Appending journal rows (STAT-19). The only writer of the journal table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config.prepared import PreparedInsert
from journal.models import Journal
from shared_protocol.envelope import wrap

if TYPE_CHECKING:
    from uuid import UUID


# Every submission appends at least one row (config/prepared.py).
_INSERT: PreparedInsert[Journal] = PreparedInsert(Journal)


def journal_append(
    *,
    event_type: str,
    payload_type: str,
    fields: dict[str, Any],
    user_id: UUID | None = None,
    message_id: UUID | None = None,
    api_client_id: UUID | None = None,
    task_id: UUID | None = None,
    task_type: str | None = None,
) -> Journal:
    """Insert one event; every payload carries type, user, message, task and task type."""
    payload = {
        "type": event_type,
        "user_id": str(user_id) if user_id else None,
        "message_id": str(message_id) if message_id else None,
        "task_id": str(task_id) if task_id else None,
        "task_type": task_type,
        **fields,
    }
    return _INSERT.create(
        event_type=event_type,
        event_payload=wrap(payload_type, payload),
        user_id=user_id,
        message_id=message_id,
        api_client_id=api_client_id,
    )
