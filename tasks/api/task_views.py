"""Task endpoints (api.md §9.1 API-TASK-1 … API-TASK-6, §9.2 API-LBL-1).

Each view resolves the user (AUTH-5/AUTH-6), checks they can act (AUTH-8) and calls one
service. Unexpected errors in these endpoints answer 400 with the endpoint's own code, as
the original did (API-GEN-6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from shared_protocol.errors import DomainError, ErrorCode
from shared_protocol.exception_handler import RequestValidationError
from shared_protocol.schema import USER_HEADER, error_responses
from shared_protocol.serializers.interactions import (
    MESSAGE_RANKING,
    MESSAGE_RATING,
    TEXT_REPLY_TO_MESSAGE,
    TextLabelsSerializer,
    parse_interaction,
)
from shared_protocol.serializers.requests import (
    TaskAckSerializer,
    TaskCloseSerializer,
    TaskNackSerializer,
    TaskRequestSerializer,
    UserInputSerializer,
)
from shared_protocol.serializers.tasks import task_done
from shared_protocol.views import ProtocolApiView
from tasks.ratelimit import task_request_check_rate
from tasks.services.handout import task_availability, task_request
from tasks.services.lifecycle import (
    task_acknowledge,
    task_acting_user,
    task_close,
    task_reject,
)
from tasks.services.submissions import (
    submit_free_labels,
    submit_ranking,
    submit_rating,
    submit_task_labels,
    submit_text_reply,
)
from users.api.views import USER_HEADER_NAME, USER_QUERY_NAME
from users.authentication import calling_client
from users.models import User, UserIdentity
from users.selectors import identity_get
from users.services.contributors import (
    user_ensure_can_act,
    user_from_header,
    user_resolve_or_create,
)

if TYPE_CHECKING:
    from rest_framework.request import Request

    from users.models import ApiClient

E = ErrorCode
USER_ERRORS = (E.USER_NOT_SPECIFIED, E.USER_DISABLED, E.USER_HAS_NOT_ACCEPTED_TOS)
TASK_DONE = OpenApiResponse(
    response={
        "type": "object",
        "properties": {"id": {"type": "string"}, "type": {"type": "string"}},
    },
    description='`{"id": <new uuid>, "type": "task_done"}`',
)
ANY_TASK = OpenApiResponse(
    response={"type": "object"}, description="One task object of api.md §7, with `id` and `type`."
)


def acting_user(
    client: ApiClient, body_user: dict[str, Any] | None, known: UserIdentity | None = None
) -> User:
    """The user of a `user` body object, created if unknown, able to act (AUTH-5, AUTH-8).

    `known`: the body user's identity when the view has already read it.
    """
    if body_user is None:
        raise DomainError(E.USER_NOT_SPECIFIED, "This endpoint needs a user")
    user = user_resolve_or_create(
        client=client,
        auth_method=body_user["auth_method"],
        username=body_user["id"],
        display_name=body_user["display_name"],
        known=known,
    ).user
    user_ensure_can_act(user)
    return user


def _header_user(request: Request) -> User | None:
    value = request.query_params.get(USER_QUERY_NAME) or request.headers.get(USER_HEADER_NAME)
    resolved = user_from_header(client=calling_client(request), value=value)
    return resolved.user if resolved is not None else None


class TaskRequestApi(ProtocolApiView):
    """`POST /tasks/` (API-TASK-1): hand out one task."""

    unexpected_error_code = E.TASK_GENERATION_FAILED

    @extend_schema(
        operation_id="tasks_request",
        request=TaskRequestSerializer,
        responses={
            200: ANY_TASK,
            **error_responses(
                *USER_ERRORS,
                E.AUTH_AND_USERNAME_REQUIRED,
                E.TASK_TOO_MANY_PENDING,
                E.TASK_REQUESTED_TYPE_NOT_AVAILABLE,
                E.TOO_MANY_REQUESTS,
                (E.TASK_GENERATION_FAILED, 400),
            ),
        },
    )
    def post(self, request: Request) -> Response:
        body = self.parse_body(TaskRequestSerializer, request)
        client = calling_client(request)
        body_user: dict[str, Any] | None = body["user"]
        identity = _body_identity(client, body_user)
        # API-RL-1: counted after authentication and parsing, before anything else.
        task_request_check_rate(
            api_client_id=client.pk,
            user_key=_rate_key(body_user, identity),
            request_type=body["type"],
        )
        user = acting_user(client, body_user, identity)
        task = task_request(
            client=client,
            user=user,
            request_type=body["type"],
            lang=body["lang"],
            collective=body["collective"],
        )
        return Response(task)


def _body_identity(client: ApiClient, body_user: dict[str, Any] | None) -> UserIdentity | None:
    """The known identity of the body's user (read once, for the rate key and the user)."""
    if body_user is None or not body_user["id"]:
        return None
    return identity_get(
        client_id=client.pk, auth_method=body_user["auth_method"], username=body_user["id"]
    )


def _rate_key(body_user: dict[str, Any] | None, identity: UserIdentity | None) -> str | None:
    """API-RL-2: the resolved user, or `<auth_method>:<id>` for an identity not yet known."""
    if body_user is None or not body_user["id"]:
        return None
    if identity is not None:
        return str(identity.user_id)
    return f"{body_user['auth_method']}:{body_user['id']}"


class AvailabilityQuery(serializers.Serializer[Any]):
    lang = serializers.CharField(max_length=32, default="en", allow_blank=True)


class TaskAvailabilityApi(ProtocolApiView):
    """`POST /tasks/availability?lang=` (API-TASK-2): counts of every task type."""

    unexpected_error_code = E.TASK_AVAILABILITY_QUERY_FAILED

    @extend_schema(
        operation_id="tasks_availability",
        parameters=[AvailabilityQuery],
        request=UserInputSerializer,
        responses={
            200: OpenApiResponse(
                response={"type": "object", "additionalProperties": {"type": "integer"}},
                description="Every TaskRequestType with its count; `random` is their sum.",
            ),
            **error_responses(
                *USER_ERRORS,
                E.AUTH_AND_USERNAME_REQUIRED,
                (E.TASK_AVAILABILITY_QUERY_FAILED, 400),
            ),
        },
    )
    def post(self, request: Request) -> Response:
        query = self.parse_query(AvailabilityQuery, request)
        if not request.data:
            raise DomainError(E.USER_NOT_SPECIFIED, "The body must be a user")
        body_user = self.parse_body(UserInputSerializer, request)
        user = acting_user(calling_client(request), body_user)
        return Response(task_availability(user=user, lang=query["lang"] or None))


class TaskAckApi(ProtocolApiView):
    """`POST /tasks/{task_id}/ack` (API-TASK-3): bind a frontend id to the task."""

    unexpected_error_code = E.TASK_ACK_FAILED

    @extend_schema(
        operation_id="tasks_ack",
        parameters=[USER_HEADER],
        request=TaskAckSerializer,
        responses={
            204: None,
            **error_responses(
                E.INVALID_FRONTEND_MESSAGE_ID,
                (E.TASK_NOT_FOUND, 404),
                E.TASK_EXPIRED,
                E.TASK_ALREADY_UPDATED,
                E.USER_NOT_FOUND,
                (E.TASK_ACK_FAILED, 400),
            ),
        },
    )
    def post(self, request: Request, task_id: str) -> Response:
        task_uuid = self.path_uuid(task_id, "task_id")
        body = self.parse_body(TaskAckSerializer, request)
        _header_user(request)  # must resolve if present, otherwise unused (API-TASK-3)
        task_acknowledge(
            client=calling_client(request),
            task_id=task_uuid,
            frontend_message_id=body["message_id"],
        )
        return Response(status=204)


class TaskNackApi(ProtocolApiView):
    """`POST /tasks/{task_id}/nack` (API-TASK-4): skip the task."""

    unexpected_error_code = E.TASK_NACK_FAILED

    @extend_schema(
        operation_id="tasks_nack",
        parameters=[USER_HEADER],
        request=TaskNackSerializer,
        responses={
            204: None,
            **error_responses(
                E.TASK_NOT_FOUND,
                E.TASK_EXPIRED,
                E.TASK_ALREADY_DONE,
                E.TASK_NOT_ASSIGNED_TO_USER,
                E.USER_DISABLED,
                E.USER_NOT_FOUND,
                (E.TASK_NACK_FAILED, 400),
            ),
        },
    )
    def post(self, request: Request, task_id: str) -> Response:
        task_uuid = self.path_uuid(task_id, "task_id")
        body = self.parse_body(TaskNackSerializer, request)
        client = calling_client(request)
        user = _header_user(request)
        if user is None:  # IMP-13: the task's own user acts when no header is given
            own = task_acting_user(client=client, task_id=task_uuid)
            user = User.objects.filter(pk=own).first() if own is not None else None
        if user is not None:
            user_ensure_can_act(user)
        task_reject(
            client=client,
            task_id=task_uuid,
            user_id=user.pk if user is not None else None,
            reason=body["reason"],
        )
        return Response(status=204)


class TaskInteractionApi(ProtocolApiView):
    """`POST /tasks/interaction` (API-TASK-5): submit a reply, ranking, labels or rating."""

    unexpected_error_code = E.TASK_INTERACTION_REQUEST_FAILED

    @extend_schema(
        operation_id="tasks_interaction",
        request={"application/json": {"type": "object"}},
        responses={
            200: TASK_DONE,
            **error_responses(
                *USER_ERRORS,
                E.AUTH_AND_USERNAME_REQUIRED,
                E.TASK_NOT_FOUND,
                E.TASK_EXPIRED,
                E.TASK_NOT_ACK,
                E.TASK_ALREADY_DONE,
                E.TASK_NOT_ASSIGNED_TO_USER,
                E.TASK_PAYLOAD_TYPE_MISMATCH,
                E.TASK_UNEXPECTED_PAYLOAD_TYPE_,
                E.TASK_MESSAGE_TOO_LONG,
                E.TASK_MESSAGE_DUPLICATED,
                E.TASK_MESSAGE_TEXT_EMPTY,
                E.TASK_MESSAGE_DUPLICATE_REPLY,
                E.INVALID_FRONTEND_MESSAGE_ID,
                E.MESSAGE_NOT_FOUND,
                E.TREE_IN_ABORTED_STATE,
                E.INVALID_RANKING_VALUE,
                E.CORRUPT_RANKING_RESULT,
                E.RATING_OUT_OF_RANGE,
                E.TEXT_LABELS_WRONG_MESSAGE_ID,
                E.TEXT_LABELS_INVALID_LABEL,
                E.TEXT_LABELS_MANDATORY_LABEL_MISSING,
                E.TEXT_LABELS_NO_SELF_LABELING,
                (E.TASK_INTERACTION_REQUEST_FAILED, 400),
            ),
        },
        description="Body: one interaction of api.md §8, selected by `type` (API-IA-5).",
    )
    def post(self, request: Request) -> Response:
        try:
            interaction_type, body = parse_interaction(request.data)
        except serializers.ValidationError as exc:
            raise RequestValidationError(exc.detail, location="body") from None
        client = calling_client(request)
        user = acting_user(client, body["user"])
        if interaction_type == TEXT_REPLY_TO_MESSAGE:
            submit_text_reply(
                client=client,
                user=user,
                message_id=body["message_id"],
                user_message_id=body["user_message_id"],
                text=body["text"],
                lang=body["lang"],
            )
        elif interaction_type == MESSAGE_RANKING:
            submit_ranking(
                client=client,
                user=user,
                message_id=body["message_id"],
                ranking=body["ranking"],
                not_rankable=body["not_rankable"],
            )
        elif interaction_type == MESSAGE_RATING:
            submit_rating(
                client=client, user=user, message_id=body["message_id"], rating=body["rating"]
            )
        else:
            # API-TASK-5: every successful interaction updates activity and streak.
            _submit_labels(client, user, body, record_activity=True)
        return Response(task_done())


def _submit_labels(
    client: ApiClient, user: User, body: dict[str, Any], *, record_activity: bool
) -> None:
    if body["task_id"] is not None:
        submit_task_labels(
            client=client,
            user=user,
            task_id=body["task_id"],
            message_id=body["message_id"],
            text=body["text"],
            labels=body["labels"],
        )
    else:
        submit_free_labels(
            client=client,
            user=user,
            message_id=body["message_id"],
            text=body["text"],
            labels=body["labels"],
            is_report=bool(body["is_report"]),
            record_activity=record_activity,
        )


class TaskCloseApi(ProtocolApiView):
    """`POST /tasks/close` (API-TASK-6): finish a collective task."""

    @extend_schema(
        operation_id="tasks_close",
        request=TaskCloseSerializer,
        responses={
            200: TASK_DONE,
            **error_responses(
                E.INVALID_FRONTEND_MESSAGE_ID,
                (E.TASK_NOT_FOUND, 404),
                E.TASK_EXPIRED,
                E.TASK_NOT_COLLECTIVE,
                E.TASK_ALREADY_DONE,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        body = self.parse_body(TaskCloseSerializer, request)
        task_close(client=calling_client(request), frontend_message_id=body["message_id"])
        return Response(task_done())


class TextLabelsApi(ProtocolApiView):
    """`POST /text_labels/` (API-LBL-1): a review (with `task_id`), free label or report."""

    @extend_schema(
        operation_id="text_labels_create",
        request=TextLabelsSerializer,
        responses={
            204: None,
            **error_responses(
                *USER_ERRORS,
                E.MESSAGE_NOT_FOUND,
                E.TASK_NOT_FOUND,
                E.TASK_EXPIRED,
                E.TASK_NOT_ACK,
                E.TASK_ALREADY_DONE,
                E.TASK_PAYLOAD_TYPE_MISMATCH,
                E.TEXT_LABELS_WRONG_MESSAGE_ID,
                E.TEXT_LABELS_INVALID_LABEL,
                E.TEXT_LABELS_MANDATORY_LABEL_MISSING,
                E.TEXT_LABELS_NO_SELF_LABELING,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        body = self.parse_body(TextLabelsSerializer, request)
        client = calling_client(request)
        # STAT-13: only task-based labels through /text_labels/ count as activity.
        _submit_labels(client, acting_user(client, body["user"]), body, record_activity=False)
        return Response(status=204)
