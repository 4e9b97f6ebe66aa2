"""Admin for messages, trees and their side tables (MOD-19, MOD-22).

Everything here is read-only for now: tree states and every counter change only through
the services (STYLE practice 13), and moderation actions (halt, delete, edit, process a
flag) will be added as admin actions that call them.

The message table is large: dates are filtered with the "created date" list filter (a range
on an indexed column) rather than `date_hierarchy`, whose year list is a DISTINCT over the
whole table, and the unfiltered total count is not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import format_html

from config.admin_tools import ReadOnlyModelAdmin, change_link, changelist_link, json_block, preview
from shared_protocol.envelope import EnvelopeError
from trees.models import (
    FlaggedMessage,
    Message,
    MessageEmbedding,
    MessageEmoji,
    MessageRevision,
    MessageToxicity,
    MessageTreeState,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


def _text_of(row: Message | MessageRevision) -> str | None:
    """The stored text, or None when the payload is not a valid envelope."""
    try:
        return row.text
    except (EnvelopeError, KeyError, TypeError):
        return None


def _text_block(row: Message | MessageRevision) -> str | None:
    """The stored text as escaped HTML paragraphs, for detail pages."""
    text = _text_of(row)
    return None if text is None else linebreaks_filter(text, autoescape=True)


class LanguageFilter(admin.SimpleListFilter):
    """Message language, offering the languages of the trees.

    A DISTINCT over the (much smaller) tree-state table, not over every message.
    """

    title = "language"
    parameter_name = "lang"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        langs = MessageTreeState.objects.order_by("lang").values_list("lang", flat=True)
        return [(lang, lang) for lang in langs.distinct()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(lang=value) if value else queryset


class MessageRevisionInline(admin.TabularInline[MessageRevision, Message]):
    """Earlier texts of an edited message (MOD-19 revision history)."""

    model = MessageRevision
    fields = ("created_date", "user", "revision_text")
    readonly_fields = fields
    ordering = ("id",)
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[MessageRevision]:
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    # Inline permissions take the parent object, as in the stubs (hence the ignores).
    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:  # type: ignore[override]
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:  # type: ignore[override]
        return False

    @admin.display(description="text")
    def revision_text(self, obj: MessageRevision) -> str | None:
        return _text_block(obj)


@admin.register(Message)
class MessageAdmin(ReadOnlyModelAdmin[Message]):
    """Messages (MOD-22), by tree, author, language, deletion and review state."""

    list_display = (
        "id",
        "text_preview",
        "role",
        "lang",
        "user",
        "api_client",
        "created_date",
        "depth",
        "children_count",
        "review_result",
        "rank",
        "deleted",
        "synthetic",
    )
    list_filter = (
        "created_date",
        LanguageFilter,
        "role",
        "deleted",
        "review_result",
        "synthetic",
        "edited",
        ("parent", admin.EmptyFieldListFilter),
        "api_client",
    )
    list_select_related = ("user", "api_client")
    search_fields = ("frontend_message_id__exact",)
    uuid_search_fields = ("id", "message_tree_id", "parent", "user", "task_id")
    search_help_text = "A message, tree, parent, author or task id, or a frontend message id."
    ordering = ("-created_date", "-id")
    show_full_result_count = False
    raw_id_fields = ("parent", "user")
    inlines = (MessageRevisionInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "message_text",
                    "role",
                    "lang",
                    "user",
                    "api_client",
                    "frontend_message_id",
                    "created_date",
                    "synthetic",
                    "model_name",
                    "edited",
                )
            },
        ),
        ("Tree", {"fields": ("tree", "parent", "depth", "children_count", "task_id")}),
        (
            "Review and ranking",
            {"fields": ("review_count", "review_result", "ranking_count", "rank", "emojis")},
        ),
        ("Deletion", {"fields": ("deleted", "deletion_batch_id")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).defer("search_vector")

    @admin.display(description="text")
    def text_preview(self, obj: Message) -> str | None:
        return preview(_text_of(obj))

    @admin.display(description="text")
    def message_text(self, obj: Message) -> str | None:
        return _text_block(obj)

    @admin.display(description="tree")
    def tree(self, obj: Message) -> str:
        return format_html(
            "{} · {}",
            change_link(MessageTreeState, obj.message_tree_id, "tree state"),
            changelist_link(Message, "all messages", message_tree_id=obj.message_tree_id),
        )


@admin.register(MessageTreeState)
class MessageTreeStateAdmin(ReadOnlyModelAdmin[MessageTreeState]):
    """Trees by state and language (MOD-22); states change only through services."""

    list_display = (
        "message_tree_id",
        "prompt_preview",
        "state",
        "active",
        "lang",
        "goal_tree_size",
        "max_depth",
        "max_children_count",
        "origin",
        "state_changed_date",
        "won_prompt_lottery_date",
    )
    list_filter = ("state", "active", "lang", "origin")
    list_select_related = ("message_tree",)
    search_fields = ("origin",)
    uuid_search_fields = ("message_tree",)
    search_help_text = "A tree id (the id of its root message), or an import origin."
    ordering = ("-state_changed_date", "message_tree_id")
    raw_id_fields = ("message_tree",)
    fields = (
        "message_tree",
        "prompt",
        "messages",
        "state",
        "active",
        "state_changed_date",
        "lang",
        "goal_tree_size",
        "max_depth",
        "max_children_count",
        "origin",
        "won_prompt_lottery_date",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MessageTreeState]:
        return super().get_queryset(request).defer("message_tree__search_vector")

    @admin.display(description="initial prompt")
    def prompt_preview(self, obj: MessageTreeState) -> str | None:
        return preview(_text_of(obj.message_tree))

    @admin.display(description="initial prompt")
    def prompt(self, obj: MessageTreeState) -> str | None:
        return _text_block(obj.message_tree)

    @admin.display(description="messages")
    def messages(self, obj: MessageTreeState) -> str:
        return changelist_link(
            Message, "all messages of this tree", message_tree_id=obj.message_tree_id
        )


@admin.register(MessageRevision)
class MessageRevisionAdmin(ReadOnlyModelAdmin[MessageRevision]):
    """Earlier texts of edited messages (DATA-11, MOD-19)."""

    list_display = ("id", "message_ref", "text_preview", "user", "created_date")
    list_select_related = ("user",)
    search_fields = ("user__display_name",)
    uuid_search_fields = ("id", "message", "user")
    search_help_text = "A revision, message or user id, or the editor's display name."
    ordering = ("-id",)
    raw_id_fields = ("message", "user")
    fields = ("id", "message", "user", "created_date", "revision_text")

    @admin.display(description="message")
    def message_ref(self, obj: MessageRevision) -> str | None:
        return change_link(Message, obj.message_id)

    @admin.display(description="text")
    def text_preview(self, obj: MessageRevision) -> str | None:
        return preview(_text_of(obj))

    @admin.display(description="text")
    def revision_text(self, obj: MessageRevision) -> str | None:
        return _text_block(obj)


@admin.register(MessageEmoji)
class MessageEmojiAdmin(ReadOnlyModelAdmin[MessageEmoji]):
    """Emoji rows (DATA-9); their aggregate is `Message.emojis`."""

    list_display = ("emoji", "message_ref", "user", "created_date")
    list_filter = ("emoji",)
    list_select_related = ("user",)
    search_fields = ("user__display_name",)
    uuid_search_fields = ("id", "message", "user")
    search_help_text = "A message or user id, or the user's display name."
    ordering = ("-created_date", "id")
    raw_id_fields = ("message", "user")
    fields = ("id", "emoji", "message", "user", "created_date")

    @admin.display(description="message")
    def message_ref(self, obj: MessageEmoji) -> str | None:
        return change_link(Message, obj.message_id)


@admin.register(FlaggedMessage)
class FlaggedMessageAdmin(ReadOnlyModelAdmin[FlaggedMessage]):
    """The moderators' flagged queue (DATA-10, MOD-16); processing goes through services."""

    list_display = (
        "message",
        "text_preview",
        "processed",
        "created_date",
        "processed_date",
        "processed_by_user",
    )
    list_filter = ("processed",)
    list_select_related = ("message", "processed_by_user")
    search_fields = ("processed_by_user__display_name",)
    uuid_search_fields = ("message", "processed_by_user")
    search_help_text = "A message id or the id / display name of the moderator who processed it."
    ordering = ("processed", "-created_date", "message_id")
    date_hierarchy = "created_date"
    raw_id_fields = ("message", "processed_by_user")
    fields = (
        "message",
        "message_text",
        "processed",
        "created_date",
        "processed_date",
        "processed_by_user",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlaggedMessage]:
        return super().get_queryset(request).defer("message__search_vector")

    @admin.display(description="text")
    def text_preview(self, obj: FlaggedMessage) -> str | None:
        return preview(_text_of(obj.message))

    @admin.display(description="text")
    def message_text(self, obj: FlaggedMessage) -> str | None:
        return _text_block(obj.message)


@admin.register(MessageToxicity)
class MessageToxicityAdmin(ReadOnlyModelAdmin[MessageToxicity]):
    """Toxicity scores (DATA-12)."""

    list_display = ("message_ref", "model", "label", "score", "created_date")
    list_filter = ("model", "label")
    search_fields = ("model", "label")
    uuid_search_fields = ("id", "message")
    search_help_text = "A message id, a model or a label."
    ordering = ("-created_date", "id")
    raw_id_fields = ("message",)
    fields = ("id", "message", "model", "label", "score", "created_date")

    @admin.display(description="message")
    def message_ref(self, obj: MessageToxicity) -> str | None:
        return change_link(Message, obj.message_id)


@admin.register(MessageEmbedding)
class MessageEmbeddingAdmin(ReadOnlyModelAdmin[MessageEmbedding]):
    """Embeddings (DATA-12). The vector is loaded only on the detail page."""

    list_display = ("message_ref", "model", "created_date")
    list_filter = ("model",)
    search_fields = ("model",)
    uuid_search_fields = ("id", "message")
    search_help_text = "A message id or a model."
    ordering = ("-created_date", "id")
    raw_id_fields = ("message",)
    fields = ("id", "message", "model", "created_date", "dimensions", "vector")

    def get_queryset(self, request: HttpRequest) -> QuerySet[MessageEmbedding]:
        return super().get_queryset(request).defer("embedding")

    @admin.display(description="message")
    def message_ref(self, obj: MessageEmbedding) -> str | None:
        return change_link(Message, obj.message_id)

    @admin.display(description="dimensions")
    def dimensions(self, obj: MessageEmbedding) -> int | None:
        embedding: Any = obj.embedding
        return len(embedding) if isinstance(embedding, list) else None

    @admin.display(description="embedding")
    def vector(self, obj: MessageEmbedding) -> str:
        return json_block(obj.embedding)


# Runtime tree-manager settings (DATA-16) live in their own module; importing it registers them.
from trees import settings_admin  # noqa: E402, F401
