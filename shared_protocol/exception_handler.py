"""The one place where exceptions become protocol error bodies (API-GEN-4 … API-GEN-6).

- `DomainError` → its status and `{"message", "error_code"}`.
- Validation and JSON parse errors → 422 with the original's `detail` list plus
  `message` and `error_code` 0 (API-GEN-5).
- API-key failures → 403 / 2; throttling → 429 / 429 with `Retry-After`; 404 and 405 →
  their status with code 0.
- Anything else is a bug: logged with the request id, answered 500 / 0, or — inside the
  task endpoints, as in the original — 400 with the endpoint's code (`unexpected_error_code`
  on the view).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from shared_protocol.errors import DomainError, ErrorCode, RateLimited

logger = logging.getLogger("canopy.api")

UNPROCESSABLE = 422


def error_body(code: ErrorCode | int, message: str) -> dict[str, Any]:
    return {"message": message, "error_code": int(code)}


def _flatten(detail: Any, loc: list[str | int]) -> list[dict[str, Any]]:
    """DRF's nested error detail as a list of `{"loc", "msg", "type"}` entries."""
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in _flatten(value, [*loc, key])]
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [item for value in detail for item in _flatten(value, loc)]
        return [
            item for index, value in enumerate(detail) for item in _flatten(value, [*loc, index])
        ]
    code = getattr(detail, "code", None) or "invalid"
    return [{"loc": loc, "msg": str(detail), "type": f"value_error.{code}"}]


def validation_body(detail: Any, location: str = "body") -> dict[str, Any]:
    """The 422 body of API-GEN-5 for a DRF error detail found in `location`."""
    if isinstance(detail, dict) and "non_field_errors" in detail:
        detail = {**detail, "__root__": detail.pop("non_field_errors")}
    entries = _flatten(detail, [location])
    first = entries[0] if entries else {"loc": [location], "msg": "invalid"}
    where = ".".join(str(part) for part in first["loc"])
    return {
        "detail": entries,
        "message": f"Invalid request: {where}: {first['msg']}",
        "error_code": int(ErrorCode.GENERIC_ERROR),
    }


class RequestValidationError(exceptions.ValidationError):
    """A validation error whose `loc` starts with `query` or `path` instead of `body`."""

    def __init__(self, detail: Any, *, location: str) -> None:
        super().__init__(detail)
        self.location = location


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every API error answers in the protocol's shape."""
    if isinstance(exc, RateLimited):
        response = Response(error_body(exc.code, exc.message), status=exc.status)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, exceptions.ValidationError):
        location = getattr(exc, "location", "body")
        return Response(validation_body(exc.detail, location), status=UNPROCESSABLE)
    if isinstance(exc, exceptions.ParseError):
        body = {
            "detail": [{"loc": ["body"], "msg": str(exc.detail), "type": "value_error.jsondecode"}],
            "message": f"Invalid request body: {exc.detail}",
            "error_code": int(ErrorCode.GENERIC_ERROR),
        }
        return Response(body, status=UNPROCESSABLE)
    if isinstance(
        exc,
        exceptions.NotAuthenticated
        | exceptions.AuthenticationFailed
        | exceptions.PermissionDenied
        | DjangoPermissionDenied,
    ):
        message = str(getattr(exc, "detail", "")) or "API client not authorized"
        return Response(error_body(ErrorCode.API_CLIENT_NOT_AUTHORIZED, message), status=403)
    if isinstance(exc, exceptions.Throttled):
        wait = int(getattr(exc, "wait", None) or 0)
        response = Response(
            error_body(ErrorCode.TOO_MANY_REQUESTS, f"Too many requests; retry in {wait} s"),
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(error_body(ErrorCode.GENERIC_ERROR, "Not Found"), status=404)
    if isinstance(exc, exceptions.APIException):
        return Response(
            error_body(ErrorCode.GENERIC_ERROR, str(exc.detail)), status=exc.status_code
        )
    return unexpected_error_response(exc, context)


def unexpected_error_response(exc: Exception, context: dict[str, Any]) -> Response:
    """API-GEN-6: a bug. Logged with the request id; never leaks details to the client."""
    request = context.get("request")
    request_id = getattr(request, "request_id", None) if request is not None else None
    view = context.get("view")
    logger.exception(
        "unhandled error in %s (request %s)", type(view).__name__ if view else "?", request_id
    )
    code: ErrorCode | None = getattr(view, "unexpected_error_code", None)
    if code is not None:
        return Response(error_body(code, code.name), status=400)
    return Response(error_body(ErrorCode.GENERIC_ERROR, "INTERNAL_SERVER_ERROR"), status=500)
