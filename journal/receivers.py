"""Receivers of domain signals; each writes journal rows inside the sender's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journal.services import journal_append

if TYPE_CHECKING:
    from uuid import UUID

    from users.models import ApiClient, User


def _record_moderation(
    *,
    action: str,
    target_kind: str,
    target_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
    details: dict[str, Any],
    account_id: UUID | None,
    user_id: UUID | None = None,
    api_client_id: UUID | None = None,
) -> None:
    """MOD-21: one `moderation` event; `details.account_id` names a staff login, if any."""
    journal_append(
        event_type="moderation",
        payload_type="ModerationEvent",
        user_id=user_id,
        api_client_id=api_client_id,
        fields={
            "action": action,
            "target_kind": target_kind,
            "target_id": target_id,
            "before": before,
            "after": after,
            "details": {**details, "account_id": str(account_id) if account_id else None},
        },
    )


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
    _record_moderation(
        action="settings_changed",
        target_kind="tree_manager_settings" if scope == "global" else "language_settings",
        target_id=scope,
        before=before,
        after=after,
        details={},
        account_id=account_id,
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
    _record_moderation(
        action="api_client_changed",
        target_kind="api_client",
        target_id=str(client.pk),
        before=before,
        after=after,
        details={"change": action},
        account_id=account_id,
        api_client_id=client.pk,
    )


def record_tree_state_changed(
    sender: type,
    *,
    tree_id: UUID,
    source: str,
    target: str,
    cause: str,
    user_id: UUID | None,
    api_client_id: UUID | None,
    **kwargs: Any,
) -> None:
    """STAT-19: a `tree_state_changed` event for every transition (TREE-2)."""
    journal_append(
        event_type="tree_state_changed",
        payload_type="TreeStateEvent",
        user_id=user_id,
        message_id=tree_id,
        api_client_id=api_client_id,
        fields={
            "message_tree_id": str(tree_id),
            "from_state": str(source),
            "to_state": str(target),
            "cause": cause,
        },
    )


def record_user_created(sender: type, *, user: User, api_client_id: UUID, **kwargs: Any) -> None:
    """STAT-19: `user_created`, whatever path created the user."""
    journal_append(
        event_type="user_created",
        payload_type="UserCreatedEvent",
        user_id=user.pk,
        api_client_id=api_client_id,
        fields={"auth_method": user.auth_method, "username": user.username},
    )


def record_user_updated(
    sender: type,
    *,
    user: User,
    before: dict[str, Any],
    after: dict[str, Any],
    actor_user_id: UUID | None,
    api_client_id: UUID | None,
    account_id: UUID | None,
    **kwargs: Any,
) -> None:
    """MOD-1, MOD-21: `user_updated` with the changed fields."""
    _record_moderation(
        action="user_updated",
        target_kind="user",
        target_id=str(user.pk),
        before=before,
        after=after,
        details={},
        account_id=account_id,
        user_id=actor_user_id,
        api_client_id=api_client_id,
    )
