"""Admin for leaderboards and cached statistics: read-only, they are recomputed (DATA-14 … 17)."""

from __future__ import annotations

from django.contrib import admin

from config.admin_tools import ReadOnlyModelAdmin, json_block
from stats.models import CachedStats, TrollStats, UserStats, UserStatsDirty

_BY_FRAME_AND_RANK = ("time_frame", "rank", "user_id")


@admin.register(UserStats)
class UserStatsAdmin(ReadOnlyModelAdmin[UserStats]):
    """Leaderboard rows (DATA-14, STAT-2)."""

    list_display = (
        "user",
        "time_frame",
        "rank",
        "leader_score",
        "prompts",
        "replies_assistant",
        "replies_prompter",
        "labels_simple",
        "labels_full",
        "rankings_total",
        "rankings_good",
        "modified_date",
    )
    list_filter = ("time_frame",)
    list_select_related = ("user",)
    search_fields = ("user__display_name", "user__username")
    uuid_search_fields = ("user",)
    search_help_text = "The user's display name, username or id."
    ordering = _BY_FRAME_AND_RANK
    raw_id_fields = ("user",)
    fields = (
        "user",
        "time_frame",
        "base_date",
        "modified_date",
        "rank",
        "leader_score",
        "prompts",
        "replies_assistant",
        "replies_prompter",
        "labels_simple",
        "labels_full",
        "rankings_total",
        "rankings_good",
        "accepted_prompts",
        "accepted_replies_assistant",
        "accepted_replies_prompter",
        "reply_ranked_1",
        "reply_ranked_2",
        "reply_ranked_3",
    )


@admin.register(TrollStats)
class TrollStatsAdmin(ReadOnlyModelAdmin[TrollStats]):
    """Trollboard rows (DATA-14, STAT-15)."""

    list_display = (
        "user",
        "time_frame",
        "rank",
        "troll_score",
        "red_flags",
        "upvotes",
        "downvotes",
        "spam_prompts",
        "spam",
        "modified_date",
    )
    list_filter = ("time_frame",)
    list_select_related = ("user",)
    search_fields = ("user__display_name", "user__username")
    uuid_search_fields = ("user",)
    search_help_text = "The user's display name, username or id."
    ordering = _BY_FRAME_AND_RANK
    raw_id_fields = ("user",)
    fields = (
        "user",
        "time_frame",
        "base_date",
        "modified_date",
        "rank",
        "troll_score",
        "red_flags",
        "upvotes",
        "downvotes",
        "spam_prompts",
        "quality",
        "humor",
        "toxicity",
        "violence",
        "helpfulness",
        "spam",
        "lang_mismach",
        "not_appropriate",
        "pii",
        "hate_speech",
        "sexual_content",
        "political_content",
    )


@admin.register(CachedStats)
class CachedStatsAdmin(ReadOnlyModelAdmin[CachedStats]):
    """Periodically computed statistics (DATA-15, STAT-18)."""

    list_display = ("name", "modified_date")
    search_fields = ("name",)
    ordering = ("name",)
    fields = ("name", "modified_date", "stats_block")

    @admin.display(description="stats")
    def stats_block(self, obj: CachedStats) -> str:
        return json_block(obj.stats)


@admin.register(UserStatsDirty)
class UserStatsDirtyAdmin(ReadOnlyModelAdmin[UserStatsDirty]):
    """Users whose leaderboard rows wait to be recomputed (DATA-17, STAT-6)."""

    list_display = ("user", "marked_date")
    list_select_related = ("user",)
    search_fields = ("user__display_name", "user__username")
    uuid_search_fields = ("user",)
    search_help_text = "The user's display name, username or id."
    ordering = ("marked_date", "user_id")
    raw_id_fields = ("user",)
    fields = ("user", "marked_date")
