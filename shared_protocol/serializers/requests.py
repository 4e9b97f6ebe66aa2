"""Input serializers for the request bodies of api.md §9 (and the User object of API-OBJ-1).

A body that fails these serializers is a validation error (422, API-GEN-5); rules that the
spec answers with a *domain* error are deliberately left to the services:

- an empty `User.id` passes (400 / 2012 from user resolution, AUTH-5); an empty or unknown
  `auth_method` fails here (422);
- an empty frontend message id in ack / close passes (400 / 2000, API-TASK-3);
- an empty or blank `new_content` of an edit passes (400 / 1010, MOD-13), as does an
  over-long one (1008);
- any string passes as the emoji `op` (an unknown operation is 400 / 5000, API-MSG-16),
  while an unknown emoji code fails here (422).

Unknown keys are ignored (API-GEN-2); JSON numbers are accepted where strings are expected
(API-GEN-3). Length limits that protect the columns (GEN-3, GEN-5, DATA-1, DATA-2) are
validation errors. Fields marked "absent" in the spec are left out of `validated_data` when
they are absent from the body.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from shared_protocol.enums import AuthMethod, EmojiCode, TaskRequestType
from shared_protocol.fields import (
    FrontendMessageIdField,
    FrontendUserIdField,
    LenientBooleanField,
    LenientCharField,
    ProtocolUUIDField,
)

LANG_MAX_LENGTH = 32  # GEN-5
DISPLAY_NAME_MAX_LENGTH = 256  # DATA-2
NOTES_MAX_LENGTH = 1024  # DATA-2
REASON_MAX_LENGTH = 512  # DATA-6 skip_reason
API_CLIENT_TEXT_MAX_LENGTH = 256  # DATA-1 description, frontend_type, admin_email


def lang_field(**kwargs: Any) -> LenientCharField:
    """A language: a string of at most 32 characters, or null (GEN-5; null means `en`)."""
    kwargs.setdefault("allow_null", True)
    kwargs.setdefault("allow_blank", True)
    return LenientCharField(max_length=LANG_MAX_LENGTH, **kwargs)


class UserInputSerializer(serializers.Serializer[Any]):
    """User (API-OBJ-1) in a body: `{id, display_name, auth_method}`, all required."""

    id = FrontendUserIdField()
    display_name = LenientCharField(allow_blank=True, max_length=DISPLAY_NAME_MAX_LENGTH)
    auth_method = serializers.ChoiceField(choices=AuthMethod.choices)


class TaskRequestSerializer(serializers.Serializer[Any]):
    """TaskRequest of `POST /tasks/` (API-TASK-1)."""

    type = serializers.ChoiceField(
        choices=TaskRequestType.choices, default=TaskRequestType.RANDOM.value
    )
    user = UserInputSerializer(allow_null=True, required=False, default=None)
    collective = LenientBooleanField(default=False)
    lang = lang_field(default=None)


class TaskAckSerializer(serializers.Serializer[Any]):
    """`{message_id}` of `POST /tasks/{id}/ack` (API-TASK-3): the frontend id to bind."""

    message_id = FrontendMessageIdField()


class TaskNackSerializer(serializers.Serializer[Any]):
    """`{reason: str|null = null}` of `POST /tasks/{id}/nack` (API-TASK-4); `{}` is valid."""

    reason = LenientCharField(
        allow_null=True, allow_blank=True, max_length=REASON_MAX_LENGTH, default=None
    )


class TaskCloseSerializer(serializers.Serializer[Any]):
    """`{message_id}` of `POST /tasks/close` (API-TASK-6): the frontend id bound at ack."""

    message_id = FrontendMessageIdField()


class CreateFrontendUserRequestSerializer(UserInputSerializer):
    """CreateFrontendUserRequest (API-OBJ-3, API-FUSR-3).

    The optional fields appear in `validated_data` only when present in the body, so that
    absent fields change nothing; `tos_acceptance` and `notes` may also be null.
    """

    show_on_leaderboard = LenientBooleanField(required=False)
    enabled = LenientBooleanField(required=False)
    tos_acceptance = LenientBooleanField(required=False, allow_null=True)
    notes = LenientCharField(
        required=False, allow_null=True, allow_blank=True, max_length=NOTES_MAX_LENGTH
    )


class CreateApiClientRequestSerializer(serializers.Serializer[Any]):
    """CreateApiClientRequest (API-OBJ-13, API-ADM-1). A null `trusted` means false."""

    description = LenientCharField(allow_blank=True, max_length=API_CLIENT_TEXT_MAX_LENGTH)
    frontend_type = LenientCharField(allow_blank=True, max_length=API_CLIENT_TEXT_MAX_LENGTH)
    trusted = LenientBooleanField(allow_null=True, default=False)
    admin_email = LenientCharField(
        allow_null=True, allow_blank=True, max_length=API_CLIENT_TEXT_MAX_LENGTH, default=None
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("trusted") is None:
            attrs["trusted"] = False
        return attrs


class MergeUsersRequestSerializer(serializers.Serializer[Any]):
    """MergeUsersRequest (API-OBJ-13, API-ADM-9)."""

    destination_user_id = ProtocolUUIDField()
    source_user_ids = serializers.ListField(child=ProtocolUUIDField())


class MessageEditRequestSerializer(serializers.Serializer[Any]):
    """`{user, new_content}` of `POST /messages/{id}/edit` (API-MSG-14).

    `new_content` is passed on as given: trimming, 1010 and 1008 belong to the service.
    """

    user = UserInputSerializer()
    new_content = LenientCharField(allow_blank=True)


class MessageEmojiRequestSerializer(serializers.Serializer[Any]):
    """`{user, op = "toggle", emoji}` of `POST /messages/{id}/emoji` (API-MSG-16).

    `op` is any string here: the service answers 5000 for one other than `toggle`, `add`,
    `remove`. `emoji` must be an EmojiCode (422 otherwise).
    """

    user = UserInputSerializer()
    op = LenientCharField(allow_blank=True, default="toggle")
    emoji = serializers.ChoiceField(choices=EmojiCode.choices)


__all__ = [
    "CreateApiClientRequestSerializer",
    "CreateFrontendUserRequestSerializer",
    "MergeUsersRequestSerializer",
    "MessageEditRequestSerializer",
    "MessageEmojiRequestSerializer",
    "TaskAckSerializer",
    "TaskCloseSerializer",
    "TaskNackSerializer",
    "TaskRequestSerializer",
    "UserInputSerializer",
    "lang_field",
]
