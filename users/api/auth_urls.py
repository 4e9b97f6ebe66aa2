"""Routes that authenticate otherwise than with an API key: root tokens, NextAuth cookies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from config.routes import api_path
from users.api.auth_views import ApiClientCreateApi, AuthCheckApi

if TYPE_CHECKING:
    from django.urls import URLPattern

urlpatterns: list[URLPattern] = [
    *api_path("admin/api_client", ApiClientCreateApi.as_view(), name="admin-api-client-create"),
    *api_path("auth/check", AuthCheckApi.as_view(), name="auth-check"),
]
