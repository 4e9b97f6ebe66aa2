"""Routes of the tasks app (api.md §9.1, §9.2)."""

from __future__ import annotations

from config.routes import api_path
from tasks.api import task_views, views

urlpatterns = [
    *api_path("tasks/", task_views.TaskRequestApi.as_view(), "tasks"),
    *api_path("tasks/availability", task_views.TaskAvailabilityApi.as_view(), "tasks-availability"),
    *api_path("tasks/interaction", task_views.TaskInteractionApi.as_view(), "tasks-interaction"),
    *api_path("tasks/close", task_views.TaskCloseApi.as_view(), "tasks-close"),
    *api_path("tasks/<str:task_id>/ack", task_views.TaskAckApi.as_view(), "tasks-ack"),
    *api_path("tasks/<str:task_id>/nack", task_views.TaskNackApi.as_view(), "tasks-nack"),
    *api_path("text_labels/", task_views.TextLabelsApi.as_view(), "text-labels"),
    *api_path("text_labels/valid_labels", views.ValidLabelsApi.as_view(), "valid-labels"),
    *api_path("text_labels/report_labels", views.ReportLabelsApi.as_view(), "report-labels"),
]
