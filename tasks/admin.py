"""Admin for tasks, reactions and labels: read-only views (MOD-22 "tasks (read-only)").

These tables are large: dates are filtered with the "created date" list filter (a range on
an indexed column) rather than `date_hierarchy`, whose year list is a DISTINCT over the
whole table, and the unfiltered total count is not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from config.admin_tools import ReadOnlyModelAdmin, change_link, json_block, preview
from tasks.models import (
    REACTION_PAYLOAD_TYPES,
    TASK_PAYLOAD_TYPES,
    MessageReaction,
    Task,
    TextLabels,
)
from trees.models import Message

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


class _PayloadTypeFilter(admin.SimpleListFilter):
    """Filter on `payload_type` from a fixed list, without a DISTINCT over the table."""

    title = "type"
    parameter_name = "payload_type"
    options: tuple[tuple[str, str], ...] = ()

    def lookups(self, request: HttpRequest, model_admin: Any) -> tuple[tuple[str, str], ...]:
        return self.options

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(payload_type=value) if value else queryset


class TaskTypeFilter(_PayloadTypeFilter):
    title = "task type"
    options = tuple(TASK_PAYLOAD_TYPES.items())


class ReactionTypeFilter(_PayloadTypeFilter):
    title = "reaction type"
    options = tuple((payload_type, payload_type) for payload_type in REACTION_PAYLOAD_TYPES)


@admin.register(Task)
class TaskAdmin(ReadOnlyModelAdmin[Task]):
    """Tasks handed out (DATA-6); read-only."""

    list_display = (
        "id",
        "task_type",
        "user",
        "api_client",
        "created_date",
        "expiry_date",
        "ack",
        "done",
        "skipped",
        "collective",
    )
    list_filter = (
        "created_date",
        TaskTypeFilter,
        "done",
        "skipped",
        "ack",
        "collective",
        "api_client",
    )
    list_select_related = ("user", "api_client")
    search_fields = ("frontend_message_id__exact",)
    uuid_search_fields = ("id", "user", "message_tree_id", "parent_message_id")
    search_help_text = "A task, user, tree or parent message id, or a frontend message id."
    ordering = ("-created_date", "-id")
    show_full_result_count = False
    raw_id_fields = ("user",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "task_type",
                    "user",
                    "api_client",
                    "created_date",
                    "expiry_date",
                    "collective",
                )
            },
        ),
        (
            "Progress",
            {"fields": ("ack", "done", "done_date", "skipped", "skip_reason")},
        ),
        (
            "Targets",
            {"fields": ("frontend_message_id", "message_tree_id", "parent_message")},
        ),
        ("Payload", {"fields": ("payload_type", "payload_fields")}),
    )

    @admin.display(description="parent message")
    def parent_message(self, obj: Task) -> str | None:
        return change_link(Message, obj.parent_message_id)

    @admin.display(description="payload")
    def payload_fields(self, obj: Task) -> str:
        return json_block(obj.payload)


@admin.register(MessageReaction)
class MessageReactionAdmin(ReadOnlyModelAdmin[MessageReaction]):
    """Rankings and ratings submitted for tasks (DATA-7); read-only."""

    list_display = (
        "id",
        "payload_type",
        "task_ref",
        "user",
        "message_ref",
        "voided",
        "created_date",
    )
    list_filter = ("created_date", ReactionTypeFilter, "voided", "api_client")
    list_select_related = ("user",)
    search_fields = ("user__display_name",)
    uuid_search_fields = ("id", "task", "user", "message_id")
    search_help_text = "A reaction, task, user or message id, or the user's display name."
    ordering = ("-created_date", "-id")
    show_full_result_count = False
    raw_id_fields = ("task", "user")
    fields = (
        "id",
        "task",
        "user",
        "api_client",
        "message_ref",
        "created_date",
        "voided",
        "payload_type",
        "payload_fields",
    )

    @admin.display(description="task")
    def task_ref(self, obj: MessageReaction) -> str | None:
        return change_link(Task, obj.task_id)

    @admin.display(description="message")
    def message_ref(self, obj: MessageReaction) -> str | None:
        return change_link(Message, obj.message_id)

    @admin.display(description="payload")
    def payload_fields(self, obj: MessageReaction) -> str:
        return json_block(obj.payload)


@admin.register(TextLabels)
class TextLabelsAdmin(ReadOnlyModelAdmin[TextLabels]):
    """Reviews, free labels and reports on messages (DATA-8); read-only."""

    list_display = (
        "id",
        "message_ref",
        "user",
        "labels_preview",
        "text_preview",
        "task_ref",
        "created_date",
    )
    list_filter = ("created_date", ("task_id", admin.EmptyFieldListFilter), "api_client")
    list_select_related = ("user",)
    search_fields = ("user__display_name",)
    uuid_search_fields = ("id", "message", "user", "task_id")
    search_help_text = "A label row, message, user or task id, or the user's display name."
    ordering = ("-created_date", "-id")
    show_full_result_count = False
    raw_id_fields = ("user", "message")
    fields = (
        "id",
        "message",
        "user",
        "api_client",
        "task_ref",
        "created_date",
        "labels_block",
        "text",
    )

    @admin.display(description="message")
    def message_ref(self, obj: TextLabels) -> str | None:
        return change_link(Message, obj.message_id)

    @admin.display(description="task")
    def task_ref(self, obj: TextLabels) -> str | None:
        return change_link(Task, obj.task_id)

    @admin.display(description="labels")
    def labels_preview(self, obj: TextLabels) -> str | None:
        labels: Any = obj.labels
        if not isinstance(labels, dict):
            return None
        return preview(", ".join(f"{name}={value}" for name, value in sorted(labels.items())))

    @admin.display(description="labels")
    def labels_block(self, obj: TextLabels) -> str:
        return json_block(obj.labels)

    @admin.display(description="text")
    def text_preview(self, obj: TextLabels) -> str | None:
        return preview(obj.text) or None
