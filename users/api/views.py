"""Identity endpoints: frontend users and users (api.md §9.5, §9.6).

Views parse, call one service or selector, and serialize (STYLE practice 7). Errors are
raised as domain errors and mapped by the exception handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from shared_protocol.cursors import parse_message_cursor, parse_user_cursor
from shared_protocol.enums import AuthMethod
from shared_protocol.errors import ErrorCode
from shared_protocol.exception_handler import RequestValidationError
from shared_protocol.fields import LenientBooleanField, ProtocolDateTimeField, ProtocolUUIDField
from shared_protocol.schema import USER_HEADER, error_responses
from shared_protocol.serializers.objects import (
    FrontEndUserPageSerializer,
    FrontEndUserSerializer,
    MessagePageSerializer,
    MessageSerializer,
)
from shared_protocol.serializers.requests import CreateFrontendUserRequestSerializer
from shared_protocol.views import ProtocolApiView
from trees.selectors import message_filter, message_list, message_page
from users.authentication import IsTrustedClient, calling_client
from users.selectors import user_get, user_get_by_identity, user_list, user_page, user_scope
from users.services.contributors import (
    frontend_user_upsert,
    user_from_header,
    user_update,
)

if TYPE_CHECKING:
    from uuid import UUID

    from rest_framework.request import Request

    from users.models import User

FRONTEND_USER_ID_MAX_LENGTH = 128  # GEN-3
USER_HEADER_NAME = "x-oasst-user"
USER_QUERY_NAME = "oasst_user"


def acting_user_id(request: Request) -> UUID | None:
    """The acting user of a read: `oasst_user` query parameter, else the header (AUTH-6)."""
    value = request.query_params.get(USER_QUERY_NAME) or request.headers.get(USER_HEADER_NAME)
    resolved = user_from_header(client=calling_client(request), value=value)
    return resolved.user.pk if resolved is not None else None


# --- query parameters ------------------------------------------------------------------------


class ScopeQuery(serializers.Serializer[Any]):
    api_client_id = ProtocolUUIDField(required=False, allow_null=True, default=None)


class UserListQuery(ScopeQuery):
    """API-USR-1 / API-USR-2 / API-FUSR-1 (the key names are set per endpoint)."""

    gt_id = ProtocolUUIDField(required=False, default=None)
    lt_id = ProtocolUUIDField(required=False, default=None)
    search_text = serializers.CharField(required=False, default=None, allow_blank=True)
    auth_method = serializers.ChoiceField(choices=AuthMethod.choices, required=False, default=None)
    max_count = serializers.IntegerField(min_value=1, max_value=10000, default=100)
    desc = LenientBooleanField(default=False)


class FrontendUserListQuery(ScopeQuery):
    """API-FUSR-1: as API-USR-1 without `desc`."""

    gte_username = serializers.CharField(required=False, default=None)
    lte_username = serializers.CharField(required=False, default=None)
    gt_id = ProtocolUUIDField(required=False, default=None)
    lt_id = ProtocolUUIDField(required=False, default=None)
    search_text = serializers.CharField(required=False, default=None, allow_blank=True)
    auth_method = serializers.ChoiceField(choices=AuthMethod.choices, required=False, default=None)
    max_count = serializers.IntegerField(min_value=1, max_value=10000, default=100)


class UserListByUsernameQuery(UserListQuery):
    gte_username = serializers.CharField(required=False, default=None)
    lte_username = serializers.CharField(required=False, default=None)


class UserListByDisplayNameQuery(UserListQuery):
    gte_display_name = serializers.CharField(required=False, default=None)
    lte_display_name = serializers.CharField(required=False, default=None)


class UserCursorQuery(ScopeQuery):
    """API-USR-3."""

    before = serializers.CharField(required=False, default=None)
    after = serializers.CharField(required=False, default=None)
    # Any text up to 32 characters; an unsupported one (even empty) is 400 / 100.
    sort_key = serializers.CharField(max_length=32, default="username", allow_blank=True)
    max_count = serializers.IntegerField(min_value=1, max_value=10000, default=100)
    search_text = serializers.CharField(required=False, default=None, allow_blank=True)
    auth_method = serializers.ChoiceField(choices=AuthMethod.choices, required=False, default=None)


class UserUpdateQuery(serializers.Serializer[Any]):
    """API-USR-5: every parameter optional; only given ones are applied (MOD-1)."""

    display_name = serializers.CharField(required=False, max_length=256, allow_blank=True)
    enabled = LenientBooleanField(required=False)
    notes = serializers.CharField(required=False, max_length=1024, allow_blank=True)
    show_on_leaderboard = LenientBooleanField(required=False)
    tos_acceptance = LenientBooleanField(required=False)


class MessageListQuery(ScopeQuery):
    """API-USR-7."""

    max_count = serializers.IntegerField(min_value=1, max_value=1000, default=10)
    start_date = ProtocolDateTimeField(required=False, default=None)
    end_date = ProtocolDateTimeField(required=False, default=None)
    only_roots = LenientBooleanField(default=False)
    desc = LenientBooleanField(default=True)
    include_deleted = LenientBooleanField(default=False)
    lang = serializers.CharField(required=False, default=None, max_length=32)


class MessageCursorQuery(serializers.Serializer[Any]):
    """API-USR-8."""

    before = serializers.CharField(required=False, default=None)
    after = serializers.CharField(required=False, default=None)
    only_roots = LenientBooleanField(default=False)
    include_deleted = LenientBooleanField(default=False)
    max_count = serializers.IntegerField(min_value=1, max_value=1000, default=10)
    desc = LenientBooleanField(default=False)
    lang = serializers.CharField(required=False, default=None, max_length=32)


# --- frontend users (§9.6) -------------------------------------------------------------------


class _UserListView(ProtocolApiView):
    key = "username"
    query_class: type[serializers.Serializer[Any]] = UserListByUsernameQuery

    def list_users(self, request: Request) -> Response:
        query = self.parse_query(self.query_class, request)
        scope = user_scope(client=calling_client(request), api_client_id=query["api_client_id"])
        users = user_list(
            scope=scope,
            key=self.key,
            gte=query[f"gte_{self.key}"],
            gt_id=query["gt_id"],
            lte=query[f"lte_{self.key}"],
            lt_id=query["lt_id"],
            search_text=query["search_text"],
            auth_method=query["auth_method"],
            max_count=query["max_count"],
            desc=query.get("desc", False),
        )
        return Response(FrontEndUserSerializer(users, many=True).data)


class FrontendUsersApi(_UserListView):
    """`GET /frontend_users/` (API-FUSR-1, deprecated) and `POST /frontend_users/` (FUSR-3)."""

    query_class = FrontendUserListQuery

    @extend_schema(
        operation_id="frontend_users_list",
        parameters=[FrontendUserListQuery],
        responses={
            200: FrontEndUserSerializer(many=True),
            **error_responses(ErrorCode.GENERIC_ERROR),
        },
        description="Users of the calling client by username (deprecated; API-FUSR-1).",
    )
    def get(self, request: Request) -> Response:
        return self.list_users(request)

    @extend_schema(
        operation_id="frontend_users_upsert",
        request=CreateFrontendUserRequestSerializer,
        responses={
            200: FrontEndUserSerializer,
            **error_responses(ErrorCode.AUTH_AND_USERNAME_REQUIRED),
        },
        description=(
            "Resolve or create the user, then apply the flags present in the body "
            "(API-FUSR-3). Changing flags needs a trusted client."
        ),
    )
    def post(self, request: Request) -> Response:
        body = self.parse_body(CreateFrontendUserRequestSerializer, request)
        flags = {
            name: body[name]
            for name in ("enabled", "show_on_leaderboard", "notes", "tos_acceptance")
            if name in body
        }
        resolved = frontend_user_upsert(
            client=calling_client(request),
            auth_method=body["auth_method"],
            username=body["id"],
            display_name=body["display_name"],
            fields=flags,
        )
        user = resolved.user
        user.identity = resolved.identity  # type: ignore[attr-defined]
        return Response(FrontEndUserSerializer(user).data)


def _frontend_user(request: Request, auth_method: str, username: str) -> User:
    """The user of a path identity under the scoped client (API-FUSR-2)."""
    if auth_method not in AuthMethod.values:
        raise RequestValidationError(
            {"auth_method": [f"'{auth_method}' is not a valid auth method"]}, location="path"
        )
    if len(username) > FRONTEND_USER_ID_MAX_LENGTH or "\x00" in username:
        raise RequestValidationError(
            {"username": [f"must be at most {FRONTEND_USER_ID_MAX_LENGTH} printable characters"]},
            location="path",
        )
    query = ProtocolApiView.parse_query(ScopeQuery, request)
    client = calling_client(request)
    scope = user_scope(client=client, api_client_id=query["api_client_id"])
    return user_get_by_identity(
        client_id=scope or client.pk, auth_method=auth_method, username=username
    )


class FrontendUserApi(ProtocolApiView):
    """`GET /frontend_users/{auth_method}/{username}` (API-FUSR-2); never creates."""

    @extend_schema(
        operation_id="frontend_user_get",
        parameters=[ScopeQuery],
        responses={200: FrontEndUserSerializer, **error_responses(ErrorCode.USER_NOT_FOUND)},
    )
    def get(self, request: Request, auth_method: str, username: str) -> Response:
        user = _frontend_user(request, auth_method, username)
        return Response(FrontEndUserSerializer(user).data)


class FrontendUserMessagesApi(ProtocolApiView):
    """`GET /frontend_users/{auth_method}/{username}/messages` (API-FUSR-4)."""

    @extend_schema(
        operation_id="frontend_user_messages",
        parameters=[MessageListQuery],
        responses={200: MessageSerializer(many=True), **error_responses(ErrorCode.USER_NOT_FOUND)},
    )
    def get(self, request: Request, auth_method: str, username: str) -> Response:
        user = _frontend_user(request, auth_method, username)
        return _message_list_response(self, request, user, acting_user=user.pk)


class FrontendUserMessageCursorApi(ProtocolApiView):
    """`GET /frontend_users/{auth_method}/{username}/messages/cursor` (API-FUSR-5)."""

    @extend_schema(
        operation_id="frontend_user_messages_cursor",
        parameters=[MessageCursorQuery],
        responses={
            200: MessagePageSerializer,
            **error_responses(ErrorCode.USER_NOT_FOUND, ErrorCode.INVALID_CURSOR_VALUE),
        },
    )
    def get(self, request: Request, auth_method: str, username: str) -> Response:
        user = _frontend_user(request, auth_method, username)
        return _message_page_response(self, request, user, acting_user=user.pk)


# --- users (§9.5) ----------------------------------------------------------------------------


class UsersByUsernameApi(_UserListView):
    """`GET /users/by_username` (API-USR-1)."""

    key = "username"

    @extend_schema(
        operation_id="users_by_username",
        parameters=[UserListByUsernameQuery],
        responses={
            200: FrontEndUserSerializer(many=True),
            **error_responses(ErrorCode.GENERIC_ERROR),
        },
    )
    def get(self, request: Request) -> Response:
        return self.list_users(request)


class UsersByDisplayNameApi(_UserListView):
    """`GET /users/by_display_name` (API-USR-2)."""

    key = "display_name"
    query_class = UserListByDisplayNameQuery

    @extend_schema(
        operation_id="users_by_display_name",
        parameters=[UserListByDisplayNameQuery],
        responses={
            200: FrontEndUserSerializer(many=True),
            **error_responses(ErrorCode.GENERIC_ERROR),
        },
    )
    def get(self, request: Request) -> Response:
        return self.list_users(request)


class UserCursorApi(ProtocolApiView):
    """`GET /users/cursor` (API-USR-3, API-PAGE-4)."""

    @extend_schema(
        operation_id="users_cursor",
        parameters=[UserCursorQuery],
        responses={
            200: FrontEndUserPageSerializer,
            **error_responses(ErrorCode.SORT_KEY_UNSUPPORTED),
        },
    )
    def get(self, request: Request) -> Response:
        query = self.parse_query(UserCursorQuery, request)
        scope = user_scope(client=calling_client(request), api_client_id=query["api_client_id"])
        result = user_page(
            scope=scope,
            sort_key=query["sort_key"],
            before=parse_user_cursor(query["before"]),
            after=parse_user_cursor(query["after"]),
            max_count=query["max_count"],
            search_text=query["search_text"],
            auth_method=query["auth_method"],
        )
        return Response(FrontEndUserPageSerializer(result).data)


class UserApi(ProtocolApiView):
    """`GET /users/{user_id}` (API-USR-4) and `PUT /users/{user_id}` (API-USR-5, trusted)."""

    def get_permissions(self) -> list[Any]:
        return [IsTrustedClient()] if self.request.method == "PUT" else []

    @extend_schema(
        operation_id="user_get",
        parameters=[ScopeQuery],
        responses={200: FrontEndUserSerializer, **error_responses(ErrorCode.USER_NOT_FOUND)},
    )
    def get(self, request: Request, user_id: str) -> Response:
        query = self.parse_query(ScopeQuery, request)
        scope = user_scope(client=calling_client(request), api_client_id=query["api_client_id"])
        user = user_get(user_id=self.path_uuid(user_id, "user_id"), scope=scope)
        return Response(FrontEndUserSerializer(user).data)

    @extend_schema(
        operation_id="user_update",
        parameters=[UserUpdateQuery, USER_HEADER],
        request=None,
        responses={204: None, **error_responses(ErrorCode.USER_NOT_FOUND)},
        description="Apply the given fields (MOD-1); trusted clients only.",
    )
    def put(self, request: Request, user_id: str) -> Response:
        query = self.parse_query(UserUpdateQuery, request)
        user = user_get(user_id=self.path_uuid(user_id, "user_id"), scope=None)
        changes = {name: value for name, value in query.items() if name != "tos_acceptance"}
        if query.get("tos_acceptance"):
            changes["tos_acceptance_date"] = timezone.now()
        client = calling_client(request)
        user_update(
            user=user,
            changes=changes,
            api_client_id=client.pk,
            actor_user_id=_optional_actor(request),
        )
        return Response(status=204)


def _optional_actor(request: Request) -> UUID | None:
    """The moderator named by `x-oasst-user`, for the audit trail; absent or unknown → None."""
    try:
        return acting_user_id(request)
    except Exception:
        return None


class UserMessagesApi(ProtocolApiView):
    """`GET /users/{user_id}/messages` (API-USR-7)."""

    @extend_schema(
        operation_id="user_messages",
        parameters=[MessageListQuery, USER_HEADER],
        responses={200: MessageSerializer(many=True), **error_responses(ErrorCode.USER_NOT_FOUND)},
    )
    def get(self, request: Request, user_id: str) -> Response:
        user = user_get(user_id=self.path_uuid(user_id, "user_id"), scope=None)
        return _message_list_response(self, request, user, acting_user=acting_user_id(request))


class UserMessageCursorApi(ProtocolApiView):
    """`GET /users/{user_id}/messages/cursor` (API-USR-8)."""

    @extend_schema(
        operation_id="user_messages_cursor",
        parameters=[MessageCursorQuery, USER_HEADER],
        responses={
            200: MessagePageSerializer,
            **error_responses(ErrorCode.USER_NOT_FOUND, ErrorCode.INVALID_CURSOR_VALUE),
        },
    )
    def get(self, request: Request, user_id: str) -> Response:
        user = user_get(user_id=self.path_uuid(user_id, "user_id"), scope=None)
        return _message_page_response(self, request, user, acting_user=acting_user_id(request))


def _message_list_response(
    view: ProtocolApiView, request: Request, user: User, *, acting_user: UUID | None
) -> Response:
    query = view.parse_query(MessageListQuery, request)
    scope = user_scope(client=calling_client(request), api_client_id=query["api_client_id"])
    messages = message_filter(
        user_id=user.pk,
        api_client_id=scope,
        only_roots=query["only_roots"],
        include_deleted=query["include_deleted"],
        lang=query["lang"],
        start_date=query["start_date"],
        end_date=query["end_date"],
    )
    rows = message_list(
        messages, max_count=query["max_count"], desc=query["desc"], acting_user_id=acting_user
    )
    return Response(MessageSerializer(rows, many=True).data)


def _message_page_response(
    view: ProtocolApiView, request: Request, user: User, *, acting_user: UUID | None
) -> Response:
    query = view.parse_query(MessageCursorQuery, request)
    scope = user_scope(client=calling_client(request), api_client_id=None)
    messages = message_filter(
        user_id=user.pk,
        api_client_id=scope,
        only_roots=query["only_roots"],
        include_deleted=query["include_deleted"],
        lang=query["lang"],
    )
    result = message_page(
        messages,
        before=parse_message_cursor(query["before"]),
        after=parse_message_cursor(query["after"]),
        max_count=query["max_count"],
        desc=query["desc"],
        acting_user_id=acting_user,
    )
    return Response(MessagePageSerializer(result).data)
