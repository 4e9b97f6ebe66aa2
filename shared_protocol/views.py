"""The base of every protocol view: request parsing with the protocol's error locations."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from rest_framework import serializers
from rest_framework.views import APIView

from shared_protocol.exception_handler import RequestValidationError
from shared_protocol.serializers.shared import validated

if TYPE_CHECKING:
    from rest_framework.request import Request


class ProtocolApiView(APIView):
    """An APIView with helpers that raise 422s located in `body`, `query` or `path`."""

    @staticmethod
    def parse_body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
        """The validated body; 422 with `loc` under `body` otherwise (API-GEN-5)."""
        data = request.data
        try:
            return validated(serializer_class, data if data is not None else {})
        except serializers.ValidationError as exc:
            raise RequestValidationError(exc.detail, location="body") from None

    @staticmethod
    def parse_query(
        serializer_class: type[serializers.Serializer[Any]], request: Request
    ) -> dict[str, Any]:
        """The validated query parameters; 422 with `loc` under `query` otherwise."""
        try:
            return dict(validated(serializer_class, request.query_params))
        except serializers.ValidationError as exc:
            raise RequestValidationError(exc.detail, location="query") from None

    @staticmethod
    def path_uuid(value: str, name: str) -> uuid.UUID:
        """A UUID path parameter; a malformed one is a 422, not a 404 (API-GEN-5)."""
        try:
            return uuid.UUID(value)
        except ValueError:
            raise RequestValidationError(
                {name: [serializers.ErrorDetail("value is not a valid uuid", code="uuid")]},
                location="path",
            ) from None
