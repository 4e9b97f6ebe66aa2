"""URL helpers for the protocol's exact paths without redirects (GEN-2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import path

if TYPE_CHECKING:
    from django.urls import URLPattern


def api_path(route: str, view: Any, name: str) -> list[URLPattern]:
    """`route` as listed in api.md plus its other trailing-slash form, both served.

    Collection routes are listed with a trailing slash and other routes without one; the
    server also accepts the other form (GEN-2), so no request is ever redirected.
    """
    other = route[:-1] if route.endswith("/") else route + "/"
    return [path(route, view, name=name), path(other, view, name=f"{name}-alt")]
