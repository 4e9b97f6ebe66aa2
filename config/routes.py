"""URL helpers for the protocol's exact paths without redirects (GEN-2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern


def _alternate(view: Any) -> Any:
    """The same view under its other path form, kept out of the OpenAPI schema.

    drf-spectacular documents only callbacks that carry their view class (`.cls`); this
    plain wrapper does not, so each endpoint appears once, under the path api.md lists.
    """

    def alternate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    return csrf_exempt(alternate)


def api_path(route: str, view: Any, name: str) -> list[URLPattern]:
    """`route` as listed in api.md plus its other trailing-slash form, both served.

    Collection routes are listed with a trailing slash and other routes without one; the
    server also accepts the other form (GEN-2), so no request is ever redirected.
    """
    other = route[:-1] if route.endswith("/") else route + "/"
    return [path(route, view, name=name), path(other, _alternate(view), name=f"{name}-alt")]
