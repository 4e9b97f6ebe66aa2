"""OpenAPI documentation helpers: the protocol's error bodies, per status (drf-spectacular)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from shared_protocol.errors import ErrorCode, default_status


class ProtocolErrorSerializer(serializers.Serializer[Any]):
    """Every error body: `{"message": str, "error_code": int}` (API-GEN-4)."""

    message = serializers.CharField()
    error_code = serializers.IntegerField()


class ValidationErrorItemSerializer(serializers.Serializer[Any]):
    loc = serializers.ListField(child=serializers.CharField())
    msg = serializers.CharField()
    type = serializers.CharField()


class ValidationErrorSerializer(ProtocolErrorSerializer):
    """The 422 body (API-GEN-5): the original's `detail` list plus `message`/`error_code`."""

    detail = ValidationErrorItemSerializer(many=True)


API_KEY_ERRORS = (ErrorCode.API_CLIENT_NOT_AUTHORIZED,)

USER_HEADER = OpenApiParameter(
    name="x-oasst-user",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Acting user as `<auth_method>:<id>` (AUTH-6); an unknown identity is 404 / 4002.",
)


def error_responses(
    *codes: ErrorCode | tuple[ErrorCode, int], validation: bool = True, api_key: bool = True
) -> dict[int, Any]:
    """Responses for the given error codes, grouped by HTTP status, plus 422 and 403 / 2.

    A code may be given with an overriding status, e.g. `(ErrorCode.TASK_NOT_FOUND, 404)`.
    """
    by_status: dict[int, list[ErrorCode]] = defaultdict(list)
    for item in (*codes, *(API_KEY_ERRORS if api_key else ())):
        code, status = item if isinstance(item, tuple) else (item, int(default_status(item)))
        if code not in by_status[status]:
            by_status[status].append(code)
    responses: dict[int, Any] = {
        status: OpenApiResponse(
            response=ProtocolErrorSerializer,
            description="; ".join(f"{int(code)} {code.name}" for code in found),
        )
        for status, found in sorted(by_status.items())
    }
    if validation:
        responses[422] = OpenApiResponse(
            response=ValidationErrorSerializer,
            description="0 GENERIC_ERROR: the body, a query or a path parameter is invalid",
        )
    return responses
