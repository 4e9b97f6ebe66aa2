"""Output serializers for the task objects of api.md §7 (API-TT-1 … API-TT-8).

Every task has `id` (the task id) and `type` (the discriminator). A stored task is served
with `serialize_task(task_id, task_type, fields)`, where `fields` are the payload fields as
stored in the task's GEN-6 envelope (`tasks.models.Task.fields`). Wire fields that the
stored payloads do not keep are derived here:

- ranking tasks (API-TT-4): `replies` are the texts of the stored `reply_messages`, in the
  same order; when `reveal_synthetic` is false every `reply_messages[i].synthetic` is null.
  `rank_initial_prompts` likewise derives `prompts` from `prompt_messages`.
- label tasks (API-TT-5, API-TT-6): `disposition` is `quality` for mode `full` and `spam`
  for mode `simple` (null without mode); `labels` are the LabelDescriptions of
  `valid_labels`, same order; `prompt` / `reply` are the text of the first / last message of
  the conversation unless stored.
- `label_initial_prompt` payloads store no `conversation` (GEN-6). Pass it with
  `conversation=` when the task is built (the full ConversationMessage of the prompt);
  without it, the conversation is the single prompt message written from the stored
  `message_id` and `prompt` (other message fields null or empty).
"""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import serializers

from shared_protocol.fields import ProtocolUUIDField
from shared_protocol.labels import describe, disposition_for_mode
from shared_protocol.serializers.objects import (
    ConversationMessageSerializer,
    ConversationSerializer,
    read,
)
from shared_protocol.serializers.shared import shared

DEFAULT_RATING_SCALE: dict[str, int] = {"min": 1, "max": 5}  # API-TT-8


def _messages_of(conversation: Any) -> list[Any]:
    if conversation is None:
        return []
    if isinstance(conversation, list | tuple):
        return list(conversation)
    return list(read(conversation, "messages", None) or [])


class TaskSerializer(serializers.Serializer[Any]):
    """The fields every task has: `{id, type}`."""

    id = ProtocolUUIDField()
    type = serializers.CharField()


class TaskDoneSerializer(TaskSerializer):
    """`task_done` (API-TT-7): the answer to every successful interaction."""


class InitialPromptTaskSerializer(TaskSerializer):
    """`initial_prompt` (API-TT-1)."""

    hint = serializers.CharField(allow_null=True)


class ReplyToConversationTaskSerializer(TaskSerializer):
    """`reply_to_conversation` (API-TT-8), never generated."""

    conversation = ConversationSerializer()


class PrompterReplyTaskSerializer(ReplyToConversationTaskSerializer):
    """`prompter_reply` (API-TT-2)."""

    hint = serializers.CharField(allow_null=True)


class AssistantReplyTaskSerializer(ReplyToConversationTaskSerializer):
    """`assistant_reply` (API-TT-3)."""


class RankConversationRepliesTaskSerializer(TaskSerializer):
    """`rank_conversation_replies` (API-TT-8) and the two ranking tasks of API-TT-4."""

    conversation = ConversationSerializer()
    replies = serializers.SerializerMethodField()
    reply_messages = serializers.SerializerMethodField()
    message_tree_id = ProtocolUUIDField()
    ranking_parent_id = ProtocolUUIDField()
    reveal_synthetic = serializers.BooleanField()

    def get_replies(self, obj: Any) -> list[str]:
        return [str(read(message, "text")) for message in read(obj, "reply_messages")]

    def get_reply_messages(self, obj: Any) -> list[dict[str, Any]]:
        messages = [
            dict(ConversationMessageSerializer(message).data)
            for message in read(obj, "reply_messages")
        ]
        if not read(obj, "reveal_synthetic"):
            for message in messages:
                message["synthetic"] = None
        return messages


class RankPrompterRepliesTaskSerializer(RankConversationRepliesTaskSerializer):
    """`rank_prompter_replies` (API-TT-4)."""


class RankAssistantRepliesTaskSerializer(RankConversationRepliesTaskSerializer):
    """`rank_assistant_replies` (API-TT-4)."""


class RankInitialPromptsTaskSerializer(TaskSerializer):
    """`rank_initial_prompts` (API-TT-8), never generated."""

    prompts = serializers.SerializerMethodField()
    prompt_messages = ConversationMessageSerializer(many=True)

    def get_prompts(self, obj: Any) -> list[str]:
        return [str(read(message, "text")) for message in read(obj, "prompt_messages")]


class _LabelTaskSerializer(TaskSerializer):
    """The fields shared by the label tasks (API-TT-5, API-TT-6)."""

    message_id = ProtocolUUIDField()
    conversation = ConversationSerializer()
    valid_labels = serializers.ListField(child=serializers.CharField())
    mandatory_labels = serializers.ListField(child=serializers.CharField(), allow_null=True)
    mode = serializers.CharField(allow_null=True)
    disposition = serializers.SerializerMethodField()
    labels = serializers.SerializerMethodField()

    def get_disposition(self, obj: Any) -> str | None:
        disposition = disposition_for_mode(read(obj, "mode", None))
        if disposition is None:
            stored: str | None = read(obj, "disposition", None)
            return stored
        return disposition

    def get_labels(self, obj: Any) -> list[dict[str, Any]] | None:
        valid_labels = read(obj, "valid_labels", None)
        if valid_labels is None:
            return None
        return [dict(description) for description in describe(valid_labels)]


class LabelInitialPromptTaskSerializer(_LabelTaskSerializer):
    """`label_initial_prompt` (API-TT-5); `prompt` duplicates the root message's text."""

    prompt = serializers.SerializerMethodField()

    def get_prompt(self, obj: Any) -> str | None:
        stored = read(obj, "prompt", None)
        if stored is not None:
            return str(stored)
        messages = _messages_of(read(obj, "conversation", None))
        return str(read(messages[0], "text")) if messages else None


class LabelConversationReplyTaskSerializer(_LabelTaskSerializer):
    """`label_conversation_reply` (API-TT-8); `reply` duplicates the last message's text."""

    reply = serializers.SerializerMethodField()

    def get_reply(self, obj: Any) -> str | None:
        stored = read(obj, "reply", None)
        if stored is not None:
            return str(stored)
        messages = _messages_of(read(obj, "conversation", None))
        return str(read(messages[-1], "text")) if messages else None


class LabelPrompterReplyTaskSerializer(LabelConversationReplyTaskSerializer):
    """`label_prompter_reply` (API-TT-6)."""


class LabelAssistantReplyTaskSerializer(LabelConversationReplyTaskSerializer):
    """`label_assistant_reply` (API-TT-6)."""


class SummarizeStoryTaskSerializer(TaskSerializer):
    """`summarize_story` (API-TT-8), never generated."""

    story = serializers.CharField()


class RateSummaryTaskSerializer(TaskSerializer):
    """`rate_summary` (API-TT-8), never generated; `scale` defaults to 1..5."""

    full_text = serializers.CharField()
    summary = serializers.CharField()
    scale = serializers.SerializerMethodField()

    def get_scale(self, obj: Any) -> dict[str, int]:
        scale = read(obj, "scale", None)
        if scale is None:
            return dict(DEFAULT_RATING_SCALE)
        return {"min": int(read(scale, "min")), "max": int(read(scale, "max"))}


TASK_SERIALIZERS: dict[str, type[TaskSerializer]] = {
    "task_done": TaskDoneSerializer,
    "initial_prompt": InitialPromptTaskSerializer,
    "prompter_reply": PrompterReplyTaskSerializer,
    "assistant_reply": AssistantReplyTaskSerializer,
    "rank_prompter_replies": RankPrompterRepliesTaskSerializer,
    "rank_assistant_replies": RankAssistantRepliesTaskSerializer,
    "label_initial_prompt": LabelInitialPromptTaskSerializer,
    "label_prompter_reply": LabelPrompterReplyTaskSerializer,
    "label_assistant_reply": LabelAssistantReplyTaskSerializer,
    "summarize_story": SummarizeStoryTaskSerializer,
    "rate_summary": RateSummaryTaskSerializer,
    "reply_to_conversation": ReplyToConversationTaskSerializer,
    "rank_initial_prompts": RankInitialPromptsTaskSerializer,
    "rank_conversation_replies": RankConversationRepliesTaskSerializer,
    "label_conversation_reply": LabelConversationReplyTaskSerializer,
}


def serialize_task(
    task_id: uuid.UUID | str,
    task_type: str,
    fields: dict[str, Any],
    *,
    conversation: Any = None,
) -> dict[str, Any]:
    """The wire object of a task of `task_type` with the stored payload `fields`.

    `conversation` (a Conversation object or dict, or a list of messages) replaces the
    stored one; see the module docstring for `label_initial_prompt`. Raises ValueError for
    an unknown task type.
    """
    try:
        serializer_class = TASK_SERIALIZERS[task_type]
    except KeyError:
        raise ValueError(f"unknown task type {task_type!r}") from None
    data: dict[str, Any] = {**fields, "id": task_id, "type": task_type}
    if conversation is not None:
        data["conversation"] = conversation
    if task_type == "label_initial_prompt" and data.get("conversation") is None:
        data["conversation"] = [
            {"id": data.get("message_id"), "text": data.get("prompt"), "is_assistant": False}
        ]
    return dict(shared(serializer_class).to_representation(data))


def task_done(task_id: uuid.UUID | None = None) -> dict[str, Any]:
    """`{"id": <uuid>, "type": "task_done"}` (API-TT-7); a fresh random id unless given."""
    return serialize_task(task_id or uuid.uuid4(), "task_done", {})
