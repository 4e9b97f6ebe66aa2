"""Routes of the tasks app (api.md §9.1, §9.2)."""

from __future__ import annotations

from config.routes import api_path
from tasks.api import views

urlpatterns = [
    *api_path("text_labels/valid_labels", views.ValidLabelsApi.as_view(), "valid-labels"),
    *api_path("text_labels/report_labels", views.ReportLabelsApi.as_view(), "report-labels"),
]
