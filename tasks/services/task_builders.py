"""Building the task objects of a claimed target (TREE-32 … TREE-36).

A built task carries the payload fields as stored (GEN-6) and, for prompt reviews, the
conversation that is served but not stored. Conversations are read in one query per tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from config.prepared import Prepared
from shared_protocol.enums import MessageRole, TextLabel
from trees.models import Message
from trees.randomness import rng

if TYPE_CHECKING:
    from tasks.candidates import Selection


class BrokenConversation(Exception):
    """An ancestor of the target is missing, deleted or not accepted: discard the candidate."""


@dataclass(frozen=True)
class BuiltTask:
    task_type: str
    payload_type: str
    fields: dict[str, Any]
    target_id: UUID | None = None
    message_tree_id: UUID | None = None
    conversation: dict[str, Any] | None = None  # served, not stored (label_initial_prompt)


def conversation_message(message: Message, *, user_id: UUID) -> dict[str, Any]:
    """A ConversationMessage (API-OBJ-4) as stored in task payloads, JSON-ready."""
    return {
        "id": str(message.pk),
        "user_id": str(message.user_id) if message.user_id else None,
        "frontend_message_id": message.frontend_message_id,
        "text": message.text,
        "lang": message.lang,
        "is_assistant": message.role == MessageRole.ASSISTANT,
        "emojis": dict(message.emojis or {}),
        "user_emojis": [],
        "user_is_author": message.user_id == user_id,
        "synthetic": message.synthetic,
    }


def _tree(message: Message) -> dict[Any, Message]:
    return {m.pk: m for m in _TREE_MESSAGES.rows(tree_id=message.message_tree_id)}


# Every task with a conversation reads its tree (config/prepared.py).
_TREE_MESSAGES: Prepared[Message] = Prepared(
    lambda tree_id: Message.objects.filter(message_tree_id=tree_id).order_by(),
    tree_id=UUID,
)


def _path(tree: dict[Any, Message], target: Message, *, check_target: bool) -> list[Message]:
    """Root → target, every ancestor accepted and not deleted (and the target if asked)."""
    path = [tree.get(target.pk, target)]
    while path[-1].parent_id is not None:
        parent = tree.get(path[-1].parent_id)
        if parent is None:
            raise BrokenConversation(str(target.pk))
        path.append(parent)
    path.reverse()
    checked = path if check_target else path[:-1]
    if any(m.deleted or m.review_result is not True for m in checked):
        raise BrokenConversation(str(target.pk))
    return path


def _conversation(path: list[Message], sel: Selection) -> dict[str, Any]:
    return {"messages": [conversation_message(m, user_id=sel.user_id) for m in path]}


def build_initial_prompt() -> BuiltTask:
    """TREE-36: no target, no tree."""
    return BuiltTask(
        "initial_prompt", "InitialPromptPayload", {"type": "initial_prompt", "hint": None}
    )


def build_reply(sel: Selection, parent: Message) -> BuiltTask:
    """TREE-34: reply to `parent` as the user (after an assistant) or as the assistant."""
    conversation = _conversation(_path(_tree(parent), parent, check_target=True), sel)
    if parent.role == MessageRole.ASSISTANT:
        task_type, payload_type = "prompter_reply", "PrompterReplyPayload"
        fields = {"type": task_type, "conversation": conversation, "hint": None}
    else:
        task_type, payload_type = "assistant_reply", "AssistantReplyPayload"
        fields = {"type": task_type, "conversation": conversation}
    return BuiltTask(task_type, payload_type, fields, parent.pk, parent.message_tree_id)


def build_ranking(sel: Selection, parent: Message) -> BuiltTask:
    """TREE-32: rank the accepted, non-deleted replies of `parent`, in a random order."""
    tree = _tree(parent)
    conversation = _conversation(_path(tree, parent, check_target=True), sel)
    replies = sorted(
        (
            m
            for m in tree.values()
            if m.parent_id == parent.pk and not m.deleted and m.review_result is True
        ),
        key=lambda m: (m.created_date, m.pk),
    )
    rng().shuffle(replies)
    reveal = all(m.synthetic for m in replies)
    reply_messages = [conversation_message(m, user_id=sel.user_id) for m in replies]
    if not reveal:
        for message in reply_messages:
            message["synthetic"] = None
    if parent.role == MessageRole.ASSISTANT:
        task_type, payload_type = "rank_prompter_replies", "RankPrompterRepliesPayload"
    else:
        task_type, payload_type = "rank_assistant_replies", "RankAssistantRepliesPayload"
    fields = {
        "type": task_type,
        "conversation": conversation,
        "reply_messages": reply_messages,
        "ranking_parent_id": str(parent.pk),
        "message_tree_id": str(parent.message_tree_id),
        "reveal_synthetic": reveal,
    }
    return BuiltTask(task_type, payload_type, fields, parent.pk, parent.message_tree_id)


def _simple_labels(mandatory: tuple[str, ...], extra: tuple[str, ...]) -> list[str]:
    labels = list(mandatory)
    labels += [label for label in extra if label not in labels]
    return labels


def build_reply_review(sel: Selection, message: Message, *, random_request: bool) -> BuiltTask:
    """TREE-33: review a reply; simple mode only for random requests, by probability."""
    config = sel.config
    conversation = _conversation(_path(_tree(message), message, check_target=False), sel)
    assistant = message.role == MessageRole.ASSISTANT
    p_full = (
        config.p_full_labeling_review_reply_assistant
        if assistant
        else config.p_full_labeling_review_reply_prompter
    )
    full_labels = config.labels_assistant_reply if assistant else config.labels_prompter_reply
    mandatory = (
        config.mandatory_labels_assistant_reply
        if assistant
        else config.mandatory_labels_prompter_reply
    )
    simple = random_request and rng().random() > p_full
    valid = (
        _simple_labels(mandatory, (TextLabel.LANG_MISMATCH, TextLabel.QUALITY))
        if simple
        else list(full_labels)
    )
    task_type = "label_assistant_reply" if assistant else "label_prompter_reply"
    payload_type = "LabelAssistantReplyPayload" if assistant else "LabelPrompterReplyPayload"
    fields = {
        "type": task_type,
        "message_id": str(message.pk),
        "conversation": conversation,
        "valid_labels": valid,
        "mandatory_labels": list(mandatory),
        "mode": "simple" if simple else "full",
    }
    return BuiltTask(task_type, payload_type, fields, message.pk, message.message_tree_id)


def build_prompt_review(sel: Selection, message: Message) -> BuiltTask:
    """TREE-35: review an initial prompt; simple mode by probability for every request."""
    config = sel.config
    simple = rng().random() > config.p_full_labeling_review_prompt
    mandatory = config.mandatory_labels_initial_prompt
    valid = (
        _simple_labels(mandatory, (TextLabel.LANG_MISMATCH,))
        if simple
        else list(config.labels_initial_prompt)
    )
    fields = {
        "type": "label_initial_prompt",
        "message_id": str(message.pk),
        "prompt": message.text,
        "valid_labels": valid,
        "mandatory_labels": list(mandatory),
        "mode": "simple" if simple else "full",
    }
    served = {"messages": [conversation_message(message, user_id=sel.user_id)]}
    return BuiltTask(
        "label_initial_prompt",
        "LabelInitialPromptPayload",
        fields,
        message.pk,
        message.message_tree_id,
        conversation=served,
    )
