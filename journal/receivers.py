"""Receivers of domain signals; each writes journal rows inside the sender's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journal.services import journal_append

if TYPE_CHECKING:
    from uuid import UUID

    from tasks.models import MessageReaction, Task, TextLabels
    from trees.models import Message
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


def _task_fields(task: Task | None) -> dict[str, Any]:
    return {
        "task_id": task.pk if task is not None else None,
        "task_type": task.payload_type if task is not None else None,
    }


def record_text_reply_stored(
    sender: type,
    *,
    message: Message,
    task: Task,
    user_id: UUID | None,
    api_client_id: UUID,
    **kwargs: Any,
) -> None:
    """STAT-19: `text_reply_to_message` with the text length and role, never the text."""
    journal_append(
        event_type="text_reply_to_message",
        payload_type="TextReplyEvent",
        user_id=user_id,
        message_id=message.pk,
        api_client_id=api_client_id,
        **_task_fields(task),
        fields={"length": len(message.text), "role": message.role},
    )


def record_ranking_stored(
    sender: type,
    *,
    reaction: MessageReaction,
    task: Task,
    ranking: list[int],
    user_id: UUID | None,
    api_client_id: UUID,
    **kwargs: Any,
) -> None:
    """STAT-19: `message_ranking`; `message_id` is the ranking parent."""
    journal_append(
        event_type="message_ranking",
        payload_type="RankingEvent",
        user_id=user_id,
        message_id=reaction.message_id,
        api_client_id=api_client_id,
        **_task_fields(task),
        fields={"ranking": list(ranking)},
    )


def record_rating_stored(
    sender: type,
    *,
    reaction: MessageReaction,
    task: Task,
    rating: int,
    user_id: UUID | None,
    api_client_id: UUID,
    **kwargs: Any,
) -> None:
    """STAT-19: `message_rating`."""
    journal_append(
        event_type="message_rating",
        payload_type="RatingEvent",
        user_id=user_id,
        message_id=reaction.message_id,
        api_client_id=api_client_id,
        **_task_fields(task),
        fields={"rating": rating},
    )


def record_labels_stored(
    sender: type,
    *,
    labels: TextLabels,
    task: Task | None,
    is_report: bool,
    user_id: UUID | None,
    api_client_id: UUID,
    **kwargs: Any,
) -> None:
    """STAT-19: `text_labels` with the label names only (values are not copied)."""
    journal_append(
        event_type="text_labels",
        payload_type="TextLabelsEvent",
        user_id=user_id,
        message_id=labels.message_id,
        api_client_id=api_client_id,
        **_task_fields(task),
        fields={
            "label_names": sorted(labels.labels),
            "is_report": is_report,
            "task_based": task is not None,
        },
    )


def record_task_skipped(
    sender: type,
    *,
    task: Task,
    reason: str | None,
    user_id: UUID | None,
    api_client_id: UUID,
    **kwargs: Any,
) -> None:
    """STAT-19: `task_skipped` with the reason."""
    journal_append(
        event_type="task_skipped",
        payload_type="TaskSkippedEvent",
        user_id=user_id,
        message_id=task.parent_message_id,
        api_client_id=api_client_id,
        **_task_fields(task),
        fields={"reason": reason},
    )


def record_emoji_changed(
    sender: type, *, message_id: UUID, user_id: UUID, emoji: str, op: str, **kwargs: Any
) -> None:
    """STAT-19: `emoji` for every emoji row added or removed."""
    journal_append(
        event_type="emoji",
        payload_type="EmojiEvent",
        user_id=user_id,
        message_id=message_id,
        fields={"emoji": emoji, "op": op},
    )
