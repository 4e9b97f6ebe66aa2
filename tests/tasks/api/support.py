"""Helpers of the task endpoint tests (api.md §9.1, §9.2): wire users, calls, trees, snapshots.

The calls go through `tests.users.api.support.Caller` (the key in `X-API-Key`, AUTH-1); the
error assertions are that module's `assert_error` (API-GEN-4) and `assert_validation_error`
(API-GEN-5). Trees are *starting* states built with the factories (STYLE practice 11);
everything after them goes through the endpoints.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from journal.models import Journal
from shared_protocol.enums import TaskRequestType
from stats.models import UserStatsDirty
from tasks.models import MessageReaction, Task, TextLabels
from tests.factories import MessageFactory, MessageTreeStateFactory
from trees.models import FlaggedMessage, Message, MessageEmoji, MessageTreeState, TreeState
from users.models import ApiClient, User, UserIdentity

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

    from tests.users.api.support import Caller

TASKS = "/tasks/"
AVAILABILITY = "/tasks/availability"
INTERACTION = "/tasks/interaction"
CLOSE = "/tasks/close"
TEXT_LABELS = "/text_labels/"

# API-OBJ-14, in the order of the spec.
TASK_REQUEST_TYPES = [member.value for member in TaskRequestType]

# API-OBJ-4: exactly these keys.
CONVERSATION_MESSAGE_KEYS = frozenset(
    {
        "id",
        "user_id",
        "frontend_message_id",
        "text",
        "lang",
        "is_assistant",
        "emojis",
        "user_emojis",
        "user_is_author",
        "synthetic",
    }
)

# §7: the fields of each task type that Canopy hands out.
TASK_KEYS: dict[str, frozenset[str]] = {
    "initial_prompt": frozenset({"id", "type", "hint"}),
    "prompter_reply": frozenset({"id", "type", "conversation", "hint"}),
    "assistant_reply": frozenset({"id", "type", "conversation"}),
    "rank_assistant_replies": frozenset(
        {
            "id",
            "type",
            "conversation",
            "replies",
            "reply_messages",
            "message_tree_id",
            "ranking_parent_id",
            "reveal_synthetic",
        }
    ),
    "label_initial_prompt": frozenset(
        {
            "id",
            "type",
            "message_id",
            "prompt",
            "conversation",
            "valid_labels",
            "mandatory_labels",
            "mode",
            "disposition",
            "labels",
        }
    ),
    "label_assistant_reply": frozenset(
        {
            "id",
            "type",
            "message_id",
            "reply",
            "conversation",
            "valid_labels",
            "mandatory_labels",
            "mode",
            "disposition",
            "labels",
        }
    ),
}
TASK_KEYS["rank_prompter_replies"] = TASK_KEYS["rank_assistant_replies"]
TASK_KEYS["label_prompter_reply"] = TASK_KEYS["label_assistant_reply"]


def wire_user(user: User, *, display_name: str | None = None) -> dict[str, str]:
    """The User object of API-OBJ-1 that names `user` by its primary identity."""
    return {
        "id": user.username,
        "display_name": user.display_name if display_name is None else display_name,
        "auth_method": user.auth_method,
    }


def header_user(user: User) -> str:
    """The `x-oasst-user` value naming `user` (AUTH-6)."""
    return f"{user.auth_method}:{user.username}"


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


# --- calls ----------------------------------------------------------------------------------


def ack_path(task_id: Any) -> str:
    return f"/tasks/{task_id}/ack"


def nack_path(task_id: Any) -> str:
    return f"/tasks/{task_id}/nack"


def request_task(
    caller: Caller, user: dict[str, Any], task_type: str = "random", **extra: Any
) -> dict[str, Any]:
    """`POST /tasks/` as the website sends it (`{type, user, lang}`); must answer 200."""
    response = caller.post(TASKS, {"type": task_type, "user": user, "lang": "en", **extra})
    assert response.status_code == 200, response.content
    task: dict[str, Any] = response.json()
    return task


def ack(caller: Caller, task_id: Any, frontend_id: str) -> None:
    response = caller.post(ack_path(task_id), {"message_id": frontend_id})
    assert response.status_code == 204, response.content


def text_reply(
    user: dict[str, Any], frontend_id: str, text: str, *, user_message_id: str | None = None
) -> dict[str, Any]:
    """A `text_reply_to_message` interaction as the website sends it (with extra keys)."""
    return {
        "type": "text_reply_to_message",
        "user": user,
        "message_id": frontend_id,
        "user_message_id": user_message_id or f"{frontend_id}-reply",
        "text": text,
        "lang": "en",
    }


def ranking(user: dict[str, Any], frontend_id: str, order: list[int]) -> dict[str, Any]:
    return {"type": "message_ranking", "user": user, "message_id": frontend_id, "ranking": order}


def task_labels(
    user: dict[str, Any], task: dict[str, Any], labels: dict[str, float], **extra: Any
) -> dict[str, Any]:
    """A task-based `text_labels` interaction for a label task (TREE-46)."""
    return {
        "type": "text_labels",
        "user": user,
        "task_id": task["id"],
        "message_id": task["message_id"],
        "text": "",
        "labels": labels,
        **extra,
    }


def assert_task_done(response: TestResponse) -> None:
    """API-TT-7: 200 `{"id": <fresh uuid>, "type": "task_done"}`."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "type"}, body
    assert body["type"] == "task_done"
    assert is_uuid(body["id"])


# --- starting trees -------------------------------------------------------------------------


def growing_tree(**kwargs: Any) -> Message:
    """A growing tree whose root (by another contributor) is accepted; returns the root."""
    state = MessageTreeStateFactory.create(state=TreeState.GROWING, **kwargs)
    return Message.objects.get(pk=state.message_tree_id)


def prompt_in_review() -> Message:
    """A tree in `initial_prompt_review` with its root not yet reviewed; returns the root."""
    state = MessageTreeStateFactory.create(state=TreeState.INITIAL_PROMPT_REVIEW)
    return Message.objects.get(pk=state.message_tree_id)


def ranking_group(replies: int = 2) -> tuple[Message, list[Message]]:
    """A tree in `ranking`: an accepted root with `replies` accepted assistant replies."""
    state = MessageTreeStateFactory.create(state=TreeState.RANKING)
    root = Message.objects.get(pk=state.message_tree_id)
    children = [
        MessageFactory.reply(root, accepted=True, text=f"Assistant answer {n}")
        for n in range(replies)
    ]
    return root, children


# --- database snapshots ---------------------------------------------------------------------


def _rows(model: type[Any], *fields: str) -> list[tuple[Any, ...]]:
    return sorted(map(tuple, model.objects.values_list(*fields)), key=str)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row a task request could write, for "nothing changed" checks.

    `api_client.last_used_date` is left out: authentication refreshes it (informational).
    """
    return {
        "user": _rows(User),
        "user_identity": _rows(UserIdentity),
        "task": _rows(Task),
        "message": _rows(Message),
        "message_tree_state": _rows(MessageTreeState),
        "message_emoji": _rows(MessageEmoji),
        "flagged_message": _rows(FlaggedMessage),
        "text_labels": _rows(TextLabels),
        "message_reaction": _rows(MessageReaction),
        "journal": _rows(Journal, "id", "event_type"),
        "user_stats_dirty": _rows(UserStatsDirty, "user_id"),
        "api_client": _rows(ApiClient, "id", "enabled", "trusted"),
    }
