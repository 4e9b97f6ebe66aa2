"""Admin for the journal: append-only, so a read-only view (MOD-19, STAT-20)."""

from __future__ import annotations

from django.contrib import admin

from config.admin_tools import ReadOnlyModelAdmin, change_link, json_block
from journal.models import Journal
from trees.models import Message
from users.models import ApiClient, User


@admin.register(Journal)
class JournalAdmin(ReadOnlyModelAdmin[Journal]):
    """Domain events. The ids are plain ids: the rows they name may be gone (STAT-20)."""

    list_display = ("id", "created_date", "event_type", "user_id", "message_id", "api_client_id")
    list_filter = ("created_date", "event_type")
    search_fields = ("=event_type",)
    uuid_search_fields = ("id", "user_id", "message_id", "api_client_id")
    search_help_text = "An entry, user, message or API client id, or an event type."
    ordering = ("-id",)
    show_full_result_count = False
    fields = ("id", "created_date", "event_type", "user", "message", "api_client", "payload")

    @admin.display(description="user")
    def user(self, obj: Journal) -> str | None:
        return change_link(User, obj.user_id)

    @admin.display(description="message")
    def message(self, obj: Journal) -> str | None:
        return change_link(Message, obj.message_id)

    @admin.display(description="API client")
    def api_client(self, obj: Journal) -> str | None:
        return change_link(ApiClient, obj.api_client_id)

    @admin.display(description="payload")
    def payload(self, obj: Journal) -> str:
        return json_block(obj.event_payload)
