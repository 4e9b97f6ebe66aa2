"""Routes of the identity endpoints (api.md §9.5, §9.6, §9.10, §9.11)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
