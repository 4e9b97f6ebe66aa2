"""Task objects on the wire, from stored payloads, pinned with literal JSON (api.md §7, GEN-6)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from shared_protocol.labels import LABEL_DESCRIPTIONS
from shared_protocol.serializers import TASK_SERIALIZERS, serialize_task, task_done
from tasks.models import Task
from tests.factories import TaskFactory

TASK_ID = uuid.UUID("7a5c0000-0000-4000-8000-00000000000a")
S_TASK_ID = "7a5c0000-0000-4000-8000-00000000000a"
ROOT_ID = "7007e000-0000-4000-8000-000000000003"
REPLY_ID = "3e91e000-0000-4000-8000-000000000004"
OTHER_REPLY_ID = "3e91e000-0000-4000-8000-000000000005"

# ConversationMessages as stored in task payloads (GEN-6: the same JSON as on the wire).
ROOT_CM: dict[str, Any] = {
    "id": ROOT_ID,
    "user_id": "a11ce000-0000-4000-8000-000000000001",
    "frontend_message_id": "fm-root",
    "text": "What is a canopy?",
    "lang": "en",
    "is_assistant": False,
    "emojis": {},
    "user_emojis": [],
    "user_is_author": None,
    "synthetic": False,
}
REPLY_CM: dict[str, Any] = {
    "id": REPLY_ID,
    "user_id": "b0b00000-0000-4000-8000-000000000002",
    "frontend_message_id": "fm-reply",
    "text": "The upper layer of a forest.",
    "lang": "en",
    "is_assistant": True,
    "emojis": {"+1": 1},
    "user_emojis": [],
    "user_is_author": None,
    "synthetic": True,
}
OTHER_REPLY_CM: dict[str, Any] = {
    "id": OTHER_REPLY_ID,
    "user_id": None,
    "frontend_message_id": "fm-other",
    "text": "Tree tops.",
    "lang": "en",
    "is_assistant": True,
    "emojis": {},
    "user_emojis": [],
    "user_is_author": None,
    "synthetic": False,
}


def _label(name: str, widget: str) -> dict[str, Any]:
    """A LabelDescription; name and widget are the contract, the texts are free (API-OBJ-11)."""
    description = LABEL_DESCRIPTIONS[name]
    return {
        "name": name,
        "widget": widget,
        "display_text": description.display_text,
        "help_text": description.help_text,
    }


def _served(payload_type: str, fields: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Store a task with `fields` through the factory and serve it from the database."""
    TaskFactory.create(id=TASK_ID, payload_type=payload_type, fields=copy.deepcopy(fields))
    task = Task.objects.get(pk=TASK_ID)
    return serialize_task(task.id, task.task_type, task.fields, **kwargs)


pytestmark = pytest.mark.django_db


def test_initial_prompt_task_shape() -> None:
    """API-TT-1: `{id, type, hint}` with hint null."""
    served = _served("InitialPromptPayload", {"type": "initial_prompt", "hint": None})
    assert served == {"id": S_TASK_ID, "type": "initial_prompt", "hint": None}


def test_prompter_reply_task_shape() -> None:
    """API-TT-2: `{id, type, conversation, hint}`; the conversation ends with the assistant."""
    fields = {
        "type": "prompter_reply",
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "hint": None,
    }
    assert _served("PrompterReplyPayload", fields) == {
        "id": S_TASK_ID,
        "type": "prompter_reply",
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "hint": None,
    }


def test_assistant_reply_task_shape() -> None:
    """API-TT-3: `{id, type, conversation}`, no hint."""
    fields = {"type": "assistant_reply", "conversation": {"messages": [ROOT_CM]}}
    assert _served("AssistantReplyPayload", fields) == {
        "id": S_TASK_ID,
        "type": "assistant_reply",
        "conversation": {"messages": [ROOT_CM]},
    }


def test_rank_assistant_replies_task_hides_synthetic_unless_revealed() -> None:
    """API-TT-4: replies are the texts of reply_messages in order; synthetic null when hidden."""
    fields = {
        "type": "rank_assistant_replies",
        "conversation": {"messages": [ROOT_CM]},
        "reply_messages": [REPLY_CM, OTHER_REPLY_CM],
        "ranking_parent_id": ROOT_ID,
        "message_tree_id": ROOT_ID,
        "reveal_synthetic": False,
    }
    assert _served("RankAssistantRepliesPayload", fields) == {
        "id": S_TASK_ID,
        "type": "rank_assistant_replies",
        "conversation": {"messages": [ROOT_CM]},
        "replies": ["The upper layer of a forest.", "Tree tops."],
        "reply_messages": [{**REPLY_CM, "synthetic": None}, {**OTHER_REPLY_CM, "synthetic": None}],
        "message_tree_id": ROOT_ID,
        "ranking_parent_id": ROOT_ID,
        "reveal_synthetic": False,
    }


def test_rank_prompter_replies_task_reveals_synthetic_when_allowed() -> None:
    """API-TT-4: with reveal_synthetic the stored synthetic flags are shown."""
    fields = {
        "type": "rank_prompter_replies",
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "reply_messages": [OTHER_REPLY_CM, ROOT_CM],
        "ranking_parent_id": REPLY_ID,
        "message_tree_id": ROOT_ID,
        "reveal_synthetic": True,
    }
    assert _served("RankPrompterRepliesPayload", fields) == {
        "id": S_TASK_ID,
        "type": "rank_prompter_replies",
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "replies": ["Tree tops.", "What is a canopy?"],
        "reply_messages": [OTHER_REPLY_CM, ROOT_CM],
        "message_tree_id": ROOT_ID,
        "ranking_parent_id": REPLY_ID,
        "reveal_synthetic": True,
    }


LABEL_PROMPT_FIELDS = {
    "type": "label_initial_prompt",
    "message_id": ROOT_ID,
    "prompt": "What is a canopy?",
    "valid_labels": ["spam", "lang_mismatch", "quality"],
    "mandatory_labels": ["spam"],
    "mode": "full",
}


def test_label_initial_prompt_task_derives_disposition_and_labels() -> None:
    """API-TT-5, GEN-6: disposition quality for mode full; labels describe valid_labels."""
    assert _served("LabelInitialPromptPayload", LABEL_PROMPT_FIELDS, conversation=[ROOT_CM]) == {
        "id": S_TASK_ID,
        "type": "label_initial_prompt",
        "message_id": ROOT_ID,
        "prompt": "What is a canopy?",
        "conversation": {"messages": [ROOT_CM]},
        "valid_labels": ["spam", "lang_mismatch", "quality"],
        "mandatory_labels": ["spam"],
        "mode": "full",
        "disposition": "quality",
        "labels": [
            _label("spam", "yes_no"),
            _label("lang_mismatch", "flag"),
            _label("quality", "likert"),
        ],
    }


def test_label_initial_prompt_task_without_conversation_serves_the_stored_prompt() -> None:
    """API-TT-5, GEN-6: the stored payload has no conversation; it is the single prompt."""
    served = _served("LabelInitialPromptPayload", LABEL_PROMPT_FIELDS)
    assert served["conversation"] == {
        "messages": [
            {
                "id": ROOT_ID,
                "user_id": None,
                "frontend_message_id": None,
                "text": "What is a canopy?",
                "lang": None,
                "is_assistant": False,
                "emojis": {},
                "user_emojis": [],
                "user_is_author": None,
                "synthetic": None,
            }
        ]
    }


@pytest.mark.parametrize(
    ("payload_type", "task_type"),
    [
        ("LabelAssistantReplyPayload", "label_assistant_reply"),
        ("LabelPrompterReplyPayload", "label_prompter_reply"),
    ],
)
def test_label_reply_task_shape_in_simple_mode(payload_type: str, task_type: str) -> None:
    """API-TT-6: reply = the last message's text; disposition spam for mode simple."""
    fields = {
        "type": task_type,
        "message_id": REPLY_ID,
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "valid_labels": ["spam", "fails_task", "lang_mismatch", "quality"],
        "mandatory_labels": ["spam", "fails_task"],
        "mode": "simple",
    }
    assert _served(payload_type, fields) == {
        "id": S_TASK_ID,
        "type": task_type,
        "message_id": REPLY_ID,
        "reply": "The upper layer of a forest.",
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "valid_labels": ["spam", "fails_task", "lang_mismatch", "quality"],
        "mandatory_labels": ["spam", "fails_task"],
        "mode": "simple",
        "disposition": "spam",
        "labels": [
            _label("spam", "yes_no"),
            _label("fails_task", "yes_no"),
            _label("lang_mismatch", "flag"),
            _label("quality", "likert"),
        ],
    }


def test_task_done_shape() -> None:
    """API-TT-7: `{id, type: "task_done"}` with a fresh random id."""
    assert task_done(TASK_ID) == {"id": S_TASK_ID, "type": "task_done"}
    first, second = task_done(), task_done()
    assert first["type"] == "task_done"
    assert first["id"] != second["id"]
    assert str(uuid.UUID(first["id"])) == first["id"]


# --- API-TT-8: defined but never generated -------------------------------------------------------


def test_summarize_story_task_shape() -> None:
    """API-TT-8: `{id, type, story}`."""
    fields = {"type": "summarize_story", "story": "Once upon a time."}
    assert _served("SummarizationStoryPayload", fields) == {
        "id": S_TASK_ID,
        "type": "summarize_story",
        "story": "Once upon a time.",
    }


def test_rate_summary_task_shape_with_the_default_scale() -> None:
    """API-TT-8: `{id, type, full_text, summary, scale}`; scale defaults to 1..5."""
    fields = {"type": "rate_summary", "full_text": "A long text.", "summary": "Short."}
    assert _served("RateSummaryPayload", fields) == {
        "id": S_TASK_ID,
        "type": "rate_summary",
        "full_text": "A long text.",
        "summary": "Short.",
        "scale": {"min": 1, "max": 5},
    }


def test_rate_summary_task_keeps_a_stored_scale() -> None:
    """API-TT-8: a stored scale is served as is."""
    fields = {
        "type": "rate_summary",
        "full_text": "T",
        "summary": "S",
        "scale": {"min": 0, "max": 9},
    }
    assert _served("RateSummaryPayload", fields)["scale"] == {"min": 0, "max": 9}


def test_rank_initial_prompts_task_shape() -> None:
    """API-TT-8: `{id, type, prompts, prompt_messages}`; prompts are their texts."""
    fields = {"type": "rank_initial_prompts", "prompt_messages": [ROOT_CM, OTHER_REPLY_CM]}
    assert _served("RankInitialPromptsPayload", fields) == {
        "id": S_TASK_ID,
        "type": "rank_initial_prompts",
        "prompts": ["What is a canopy?", "Tree tops."],
        "prompt_messages": [ROOT_CM, OTHER_REPLY_CM],
    }


def test_reply_to_conversation_task_shape() -> None:
    """API-TT-8: `{id, type, conversation}`."""
    fields = {"type": "reply_to_conversation", "conversation": {"messages": [ROOT_CM]}}
    assert serialize_task(TASK_ID, "reply_to_conversation", fields) == {
        "id": S_TASK_ID,
        "type": "reply_to_conversation",
        "conversation": {"messages": [ROOT_CM]},
    }


def test_rank_conversation_replies_task_has_the_fields_of_the_ranking_tasks() -> None:
    """API-TT-8: same fields as API-TT-4."""
    fields = {
        "conversation": {"messages": [ROOT_CM]},
        "reply_messages": [OTHER_REPLY_CM],
        "ranking_parent_id": ROOT_ID,
        "message_tree_id": ROOT_ID,
        "reveal_synthetic": True,
    }
    assert serialize_task(TASK_ID, "rank_conversation_replies", fields) == {
        "id": S_TASK_ID,
        "type": "rank_conversation_replies",
        "conversation": {"messages": [ROOT_CM]},
        "replies": ["Tree tops."],
        "reply_messages": [OTHER_REPLY_CM],
        "message_tree_id": ROOT_ID,
        "ranking_parent_id": ROOT_ID,
        "reveal_synthetic": True,
    }


def test_label_conversation_reply_task_has_the_fields_of_the_reply_label_tasks() -> None:
    """API-TT-8: same fields as API-TT-6; no mode means no disposition."""
    fields = {
        "message_id": REPLY_ID,
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "valid_labels": ["spam"],
        "mandatory_labels": None,
        "mode": None,
    }
    assert serialize_task(TASK_ID, "label_conversation_reply", fields) == {
        "id": S_TASK_ID,
        "type": "label_conversation_reply",
        "message_id": REPLY_ID,
        "reply": "The upper layer of a forest.",
        "conversation": {"messages": [ROOT_CM, REPLY_CM]},
        "valid_labels": ["spam"],
        "mandatory_labels": None,
        "mode": None,
        "disposition": None,
        "labels": [_label("spam", "yes_no")],
    }


def test_every_task_type_of_section_7_has_a_serializer() -> None:
    """API-TT-1 … API-TT-8: the discriminator values."""
    assert set(TASK_SERIALIZERS) == {
        "initial_prompt",
        "prompter_reply",
        "assistant_reply",
        "rank_assistant_replies",
        "rank_prompter_replies",
        "label_initial_prompt",
        "label_assistant_reply",
        "label_prompter_reply",
        "task_done",
        "summarize_story",
        "rate_summary",
        "reply_to_conversation",
        "rank_initial_prompts",
        "rank_conversation_replies",
        "label_conversation_reply",
    }


def test_unknown_task_type_is_refused() -> None:
    """API-TT-*: only the types of §7 can be served."""
    with pytest.raises(ValueError, match="unknown task type"):
        serialize_task(TASK_ID, "write_a_poem", {})
