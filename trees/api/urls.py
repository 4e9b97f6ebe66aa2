"""Routes of the trees app (api.md §9.9)."""

from __future__ import annotations

from config.routes import api_path
from trees.api import views

urlpatterns = [
    *api_path("hf/text_toxicity", views.TextToxicityApi.as_view(), "hf-text-toxicity"),
]
