"""Error pages: protocol JSON under /api/, Django's HTML elsewhere (API-GEN-4, API-GEN-6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import JsonResponse
from django.views import defaults

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"message": "Not Found", "error_code": 0}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"message": "INTERNAL_SERVER_ERROR", "error_code": 0}, status=500)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"message": "Bad Request", "error_code": 0}, status=400)
    return defaults.bad_request(request, exception)


def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any path under /api/v1/ that no endpoint serves, whatever the method."""
    return JsonResponse({"message": "Not Found", "error_code": 0}, status=404)
