"""Request bodies of the §9 endpoints: defaults, absent fields and 422 rules (api.md §9)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from shared_protocol.serializers import (
    CreateApiClientRequestSerializer,
    CreateFrontendUserRequestSerializer,
    MergeUsersRequestSerializer,
    MessageEditRequestSerializer,
    MessageEmojiRequestSerializer,
    TaskAckSerializer,
    TaskCloseSerializer,
    TaskNackSerializer,
    TaskRequestSerializer,
    UserInputSerializer,
)

if TYPE_CHECKING:
    from rest_framework import serializers

USER = {"id": "alice", "display_name": "Alice", "auth_method": "discord"}


def _valid(serializer_class: type[serializers.Serializer[Any]], body: Any) -> dict[str, Any]:
    serializer = serializer_class(data=body)
    assert serializer.is_valid(), serializer.errors
    return dict(serializer.validated_data)


def _errors(serializer_class: type[serializers.Serializer[Any]], body: Any) -> Any:
    serializer = serializer_class(data=body)
    assert not serializer.is_valid()
    return serializer.errors


# --- tasks (API-TASK-1 … API-TASK-6) -------------------------------------------------------------


def test_task_request_defaults() -> None:
    """API-TASK-1: `{type = "random", user = null, collective = false, lang = null}`."""
    assert _valid(TaskRequestSerializer, {}) == {
        "type": "random",
        "user": None,
        "collective": False,
        "lang": None,
    }


def test_task_request_as_the_discord_bot_sends_it() -> None:
    """API-TASK-1, §10 (D): `{type, user, collective, lang}`."""
    body = {"type": "assistant_reply", "user": USER, "collective": True, "lang": "de"}
    assert _valid(TaskRequestSerializer, body) == {
        "type": "assistant_reply",
        "user": {"id": "alice", "display_name": "Alice", "auth_method": "discord"},
        "collective": True,
        "lang": "de",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "write_a_poem"}, "type"),
        ({"type": None}, "type"),
        ({"lang": "x" * 33}, "lang"),
        ({"collective": "sometimes"}, "collective"),
        ({"user": {**USER, "auth_method": "github"}}, "user"),
        ({"user": "alice"}, "user"),
    ],
)
def test_task_request_validation_errors_name_the_field(body: dict[str, Any], field: str) -> None:
    """API-TASK-1, API-GEN-5: unknown enum value, over-long lang, wrong types → 422."""
    assert list(_errors(TaskRequestSerializer, body)) == [field]


def test_availability_body_is_a_bare_user() -> None:
    """API-TASK-2: the body is a User object, not wrapped."""
    assert _valid(UserInputSerializer, {**USER, "extra": 1}) == USER


def test_ack_body_carries_the_frontend_message_id() -> None:
    """API-TASK-3: `{message_id: str}`; empty is 2000 from the service, not 422."""
    assert _valid(TaskAckSerializer, {"message_id": "fm-1"}) == {"message_id": "fm-1"}
    assert _valid(TaskAckSerializer, {"message_id": ""}) == {"message_id": ""}
    assert _valid(TaskAckSerializer, {"message_id": 77}) == {"message_id": "77"}
    assert list(_errors(TaskAckSerializer, {})) == ["message_id"]
    assert list(_errors(TaskAckSerializer, {"message_id": "m" * 201})) == ["message_id"]


def test_nack_body_reason_defaults_to_null() -> None:
    """API-TASK-4: `{reason: str|null = null}`; `{}` allowed."""
    assert _valid(TaskNackSerializer, {}) == {"reason": None}
    assert _valid(TaskNackSerializer, {"reason": "too hard"}) == {"reason": "too hard"}
    assert list(_errors(TaskNackSerializer, {"reason": "r" * 513})) == ["reason"]


def test_close_body_carries_the_frontend_message_id() -> None:
    """API-TASK-6: `{message_id}`."""
    assert _valid(TaskCloseSerializer, {"message_id": "fm-1"}) == {"message_id": "fm-1"}
    assert list(_errors(TaskCloseSerializer, {})) == ["message_id"]


# --- frontend users (API-OBJ-3, API-FUSR-3) ------------------------------------------------------


def test_create_frontend_user_request_keeps_only_present_fields() -> None:
    """API-OBJ-3: a bare User body changes nothing else."""
    assert _valid(CreateFrontendUserRequestSerializer, USER) == USER


def test_create_frontend_user_request_with_every_field() -> None:
    """API-OBJ-3: `show_on_leaderboard`, `enabled`, `tos_acceptance`, `notes` when present."""
    body = {
        **USER,
        "show_on_leaderboard": False,
        "enabled": True,
        "tos_acceptance": True,
        "notes": "hello",
    }
    assert _valid(CreateFrontendUserRequestSerializer, body) == {
        "id": "alice",
        "display_name": "Alice",
        "auth_method": "discord",
        "show_on_leaderboard": False,
        "enabled": True,
        "tos_acceptance": True,
        "notes": "hello",
    }


def test_create_frontend_user_request_null_is_present_but_null() -> None:
    """API-OBJ-3: `tos_acceptance` and `notes` may be null (present, not absent)."""
    body = {**USER, "tos_acceptance": None, "notes": None}
    assert _valid(CreateFrontendUserRequestSerializer, body) == {
        **USER,
        "tos_acceptance": None,
        "notes": None,
    }


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"show_on_leaderboard": None}, "show_on_leaderboard"),
        ({"enabled": None}, "enabled"),
        ({"notes": "n" * 1025}, "notes"),
        ({"display_name": "d" * 257}, "display_name"),
        ({"auth_method": ""}, "auth_method"),
    ],
)
def test_create_frontend_user_request_validation_errors(extra: dict[str, Any], field: str) -> None:
    """API-OBJ-3: booleans that are not nullable; notes ≤ 1024; display names ≤ 256."""
    assert list(_errors(CreateFrontendUserRequestSerializer, {**USER, **extra})) == [field]


def test_user_display_name_of_256_characters_is_accepted() -> None:
    """DATA-2: display names up to 256 characters."""
    body = {**USER, "display_name": "d" * 256}
    assert _valid(UserInputSerializer, body)["display_name"] == "d" * 256


# --- admin (API-OBJ-13) --------------------------------------------------------------------------


def test_create_api_client_request_defaults() -> None:
    """API-OBJ-13: `trusted = false`, `admin_email = null`."""
    body = {"description": "Bot", "frontend_type": "discord"}
    assert _valid(CreateApiClientRequestSerializer, body) == {
        "description": "Bot",
        "frontend_type": "discord",
        "trusted": False,
        "admin_email": None,
    }


def test_create_api_client_request_null_trusted_means_false() -> None:
    """API-OBJ-13: `trusted: bool|null = false`."""
    body = {
        "description": "Web",
        "frontend_type": "web",
        "trusted": None,
        "admin_email": "ops@example.org",
    }
    assert _valid(CreateApiClientRequestSerializer, body) == {
        "description": "Web",
        "frontend_type": "web",
        "trusted": False,
        "admin_email": "ops@example.org",
    }


def test_create_api_client_request_requires_description_and_frontend_type() -> None:
    """API-OBJ-13: both are required strings."""
    assert set(_errors(CreateApiClientRequestSerializer, {})) == {"description", "frontend_type"}


def test_merge_users_request_shape() -> None:
    """API-OBJ-13: `{destination_user_id: uuid, source_user_ids: [uuid]}`."""
    destination = "a11ce000-0000-4000-8000-000000000001"
    source = "b0b00000-0000-4000-8000-000000000002"
    body = {"destination_user_id": destination, "source_user_ids": [source]}
    assert _valid(MergeUsersRequestSerializer, body) == {
        "destination_user_id": uuid.UUID(destination),
        "source_user_ids": [uuid.UUID(source)],
    }
    errors = _errors(MergeUsersRequestSerializer, {**body, "source_user_ids": [source, "bob"]})
    assert list(errors) == ["source_user_ids"]
    assert list(errors["source_user_ids"]) == [1]


# --- messages (API-MSG-14, API-MSG-16) -----------------------------------------------------------


def test_edit_body_ignores_the_extra_message_id() -> None:
    """API-MSG-14: `{user, new_content}`; the website's extra `message_id` is ignored."""
    body = {"user": USER, "new_content": "  New text ", "message_id": "x"}
    assert _valid(MessageEditRequestSerializer, body) == {
        "user": USER,
        "new_content": "  New text ",
    }


def test_edit_with_blank_content_is_left_for_the_service() -> None:
    """API-MSG-14, MOD-13: empty after trimming is 400 / 1010, not a 422."""
    assert _valid(MessageEditRequestSerializer, {"user": USER, "new_content": " "}) == {
        "user": USER,
        "new_content": " ",
    }


def test_emoji_body_op_defaults_to_toggle() -> None:
    """API-MSG-16: `{user, op = "toggle", emoji}`."""
    assert _valid(MessageEmojiRequestSerializer, {"user": USER, "emoji": "+1"}) == {
        "user": USER,
        "op": "toggle",
        "emoji": "+1",
    }


def test_emoji_body_unknown_code_is_a_validation_error() -> None:
    """API-MSG-16: 422 for an unknown emoji code."""
    errors = _errors(MessageEmojiRequestSerializer, {"user": USER, "emoji": "party"})
    assert list(errors) == ["emoji"]


def test_emoji_body_unknown_op_is_left_for_the_service() -> None:
    """API-MSG-16, API-GEN-8: an unknown operation is 400 / 5000, not a 422."""
    body = {"user": USER, "op": "explode", "emoji": "_skip_reply"}
    assert _valid(MessageEmojiRequestSerializer, body)["op"] == "explode"
