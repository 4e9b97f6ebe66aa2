"""Receivers of domain signals; each writes journal rows inside the sender's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journal.services import journal_append

if TYPE_CHECKING:
    from users.models import ApiClient

if TYPE_CHECKING:
    from uuid import UUID


def record_tree_settings_changed(
    sender: type,
    *,
    scope: str,
    before: dict[str, Any],
    after: dict[str, Any],
    account_id: UUID | None,
    **kwargs: Any,
) -> None:
    """MOD-20/MOD-21: a `moderation` event with the old and new overrides."""
    journal_append(
        event_type="moderation",
        payload_type="ModerationEvent",
        fields={
            "action": "settings_changed",
            "target_kind": "tree_manager_settings" if scope == "global" else "language_settings",
            "target_id": scope,
            "before": before,
            "after": after,
            "details": {"account_id": str(account_id) if account_id else None},
        },
    )


def record_api_client_changed(
    sender: type,
    *,
    client: ApiClient,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    account_id: UUID | None,
    **kwargs: Any,
) -> None:
    """MOD-21: `api_client_changed`, with the changed fields; keys are never recorded."""
    journal_append(
        event_type="moderation",
        payload_type="ModerationEvent",
        api_client_id=client.pk,
        fields={
            "action": "api_client_changed",
            "target_kind": "api_client",
            "target_id": str(client.pk),
            "before": before,
            "after": after,
            "details": {
                "change": action,
                "account_id": str(account_id) if account_id else None,
            },
        },
    )
