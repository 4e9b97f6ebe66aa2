"""Reads of the tasks app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared_protocol.enums import MessageRole
from shared_protocol.errors import DomainError, ErrorCode
from trees.config import effective_config
from trees.models import Message

if TYPE_CHECKING:
    from uuid import UUID


def label_names_for_message(*, message_id: UUID) -> tuple[str, ...]:
    """The configured full label list for the kind of a message (API-LBL-2).

    Root → `labels_initial_prompt`; assistant reply → `labels_assistant_reply`; prompter
    reply → `labels_prompter_reply`, from the configuration of the message's language.
    """
    message = Message.objects.filter(pk=message_id).only("parent_id", "role", "lang").first()
    if message is None:
        raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "Message not found")
    config = effective_config(message.lang)
    if message.parent_id is None:
        return config.labels_initial_prompt
    if message.role == MessageRole.ASSISTANT:
        return config.labels_assistant_reply
    return config.labels_prompter_reply
