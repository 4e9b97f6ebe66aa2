"""API-key authentication and the trusted-client permission (AUTH-1 … AUTH-3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from users.client_cache import api_client_for_key
from users.models import ApiClient

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

API_KEY_HEADER = "X-API-Key"
API_KEY_QUERY_PARAM = "api_key"
# `last_used_date` is informational: refresh it at most this often per client, so that
# authentication does not write the client row on every request. Each process remembers
# when it last wrote it (a cached client carries the date it was cached with).
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_REMEMBERED_CLIENTS = 1024
_last_used_written: dict[Any, datetime] = {}


def presented_key(request: Request) -> str:
    """The key of the request: the header, or — only behind the compatibility switch —
    the `api_key` query parameter, which then takes precedence (AUTH-2)."""
    if settings.ACCEPT_API_KEY_QUERY_PARAM:
        from_query = request.query_params.get(API_KEY_QUERY_PARAM)
        if from_query:
            return from_query
    return request.headers.get(API_KEY_HEADER, "")


class ApiKeyAuthentication(BaseAuthentication):
    """Resolves `X-API-Key` to an enabled `ApiClient`, stored as `request.auth`.

    A missing, unknown or disabled key answers 403 / 2; the key is never logged.
    """

    def authenticate(self, request: Request) -> tuple[None, ApiClient]:
        client = api_client_for_key(presented_key(request))
        if client is None or not client.enabled:
            raise exceptions.AuthenticationFailed("Could not validate the API key")
        _touch(client)
        return None, client

    def authenticate_header(self, request: Request) -> str | None:
        return None  # 403, not 401: the protocol has no challenge (API-GEN-8 code 2)


def _touch(client: ApiClient) -> None:
    """Set `last_used_date` to now when it is older than LAST_USED_RESOLUTION."""
    now = timezone.now()
    seen = [d for d in (client.last_used_date, _last_used_written.get(client.pk)) if d]
    if seen and now - max(seen) <= LAST_USED_RESOLUTION:
        return
    ApiClient.objects.filter(pk=client.pk).filter(
        Q(last_used_date__isnull=True) | Q(last_used_date__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_date=now)
    if len(_last_used_written) >= MAX_REMEMBERED_CLIENTS:
        _last_used_written.clear()
    _last_used_written[client.pk] = now


class IsTrustedClient(BasePermission):
    """Endpoints marked *trusted* in api.md answer 403 / 2 to untrusted clients (AUTH-3)."""

    message = "This endpoint needs a trusted API client"

    def has_permission(self, request: Request, view: APIView) -> bool:
        client: Any = request.auth
        return isinstance(client, ApiClient) and client.trusted


def calling_client(request: Request) -> ApiClient:
    """The authenticated client of an API request (set by ApiKeyAuthentication)."""
    client = request.auth
    if not isinstance(client, ApiClient):  # only on views that opted out of the key
        raise exceptions.AuthenticationFailed("Could not validate the API key")
    return client


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ApiKeyAuthentication in the OpenAPI schema as the `X-API-Key` header."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
