"""Routes that authenticate otherwise than with an API key: root tokens, NextAuth cookies."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
