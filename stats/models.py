"""Leaderboards, trollboards, cached statistics and the dirty-user queue (DATA-14 … DATA-17)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shared_protocol.enums import CachedStatsName, TimeFrame
from users.models import User


class UserStats(models.Model):
    """A user's leaderboard counters in one time frame (DATA-14, STAT-2, STAT-3).

    The logical key `(time_frame, user)` is a unique constraint (upserts conflict on it)
    rather than a composite primary key, so that the admin can list the rows.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    time_frame = models.CharField(max_length=32, choices=TimeFrame.choices)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="stats")
    base_date = models.DateTimeField(null=True, blank=True)
    modified_date = models.DateTimeField(default=timezone.now)
    rank = models.IntegerField(null=True, blank=True)
    leader_score = models.IntegerField(default=0)
    prompts = models.IntegerField(default=0)
    replies_assistant = models.IntegerField(default=0)
    replies_prompter = models.IntegerField(default=0)
    labels_simple = models.IntegerField(default=0)
    labels_full = models.IntegerField(default=0)
    rankings_total = models.IntegerField(default=0)
    rankings_good = models.IntegerField(default=0)
    accepted_prompts = models.IntegerField(default=0)
    accepted_replies_assistant = models.IntegerField(default=0)
    accepted_replies_prompter = models.IntegerField(default=0)
    reply_ranked_1 = models.IntegerField(default=0)
    reply_ranked_2 = models.IntegerField(default=0)
    reply_ranked_3 = models.IntegerField(default=0)

    class Meta:
        db_table = "user_stats"
        ordering = ("time_frame", "rank", "user_id")
        verbose_name = "user stats"
        verbose_name_plural = "user stats"
        constraints = [
            models.UniqueConstraint(fields=["time_frame", "user"], name="user_stats_key"),
            models.CheckConstraint(
                condition=Q(time_frame__in=TimeFrame.values), name="user_stats_time_frame_valid"
            ),
        ]
        indexes = [models.Index(fields=["time_frame", "rank"], name="user_stats_frame_rank_idx")]

    def __str__(self) -> str:
        return f"{self.time_frame} stats of {self.user_id}"


class TrollStats(models.Model):
    """A user's trollboard counters in one time frame (DATA-14, STAT-15).

    `lang_mismach` is spelled as on the wire (sic), which must be kept.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    time_frame = models.CharField(max_length=32, choices=TimeFrame.choices)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="troll_stats")
    base_date = models.DateTimeField(null=True, blank=True)
    modified_date = models.DateTimeField(default=timezone.now)
    rank = models.IntegerField(null=True, blank=True)
    troll_score = models.IntegerField(default=0)
    red_flags = models.IntegerField(default=0)
    upvotes = models.IntegerField(default=0)
    downvotes = models.IntegerField(default=0)
    spam_prompts = models.IntegerField(default=0)
    quality = models.FloatField(null=True, blank=True)
    humor = models.FloatField(null=True, blank=True)
    toxicity = models.FloatField(null=True, blank=True)
    violence = models.FloatField(null=True, blank=True)
    helpfulness = models.FloatField(null=True, blank=True)
    spam = models.IntegerField(default=0)
    lang_mismach = models.IntegerField(default=0)
    not_appropriate = models.IntegerField(default=0)
    pii = models.IntegerField(default=0)
    hate_speech = models.IntegerField(default=0)
    sexual_content = models.IntegerField(default=0)
    political_content = models.IntegerField(default=0)

    class Meta:
        db_table = "troll_stats"
        ordering = ("time_frame", "rank", "user_id")
        verbose_name = "troll stats"
        verbose_name_plural = "troll stats"
        constraints = [
            models.UniqueConstraint(fields=["time_frame", "user"], name="troll_stats_key"),
            models.CheckConstraint(
                condition=Q(time_frame__in=TimeFrame.values), name="troll_stats_time_frame_valid"
            ),
        ]
        indexes = [models.Index(fields=["time_frame", "rank"], name="troll_stats_frame_rank_idx")]

    def __str__(self) -> str:
        return f"{self.time_frame} troll stats of {self.user_id}"


class CachedStats(models.Model):
    """A periodically computed statistic (DATA-15, STAT-18)."""

    name = models.CharField(max_length=128, primary_key=True, choices=CachedStatsName.choices)
    modified_date = models.DateTimeField(default=timezone.now)
    stats = models.JSONField()

    class Meta:
        db_table = "cached_stats"
        ordering = ("name",)
        verbose_name = "cached statistic"
        constraints = [
            models.CheckConstraint(
                condition=Q(name__in=CachedStatsName.values), name="cached_stats_name_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UserStatsDirty(models.Model):
    """Marks a user whose leaderboard rows must be recomputed (DATA-17, STAT-6)."""

    user = models.OneToOneField(
        User, primary_key=True, on_delete=models.CASCADE, related_name="stats_dirty"
    )
    marked_date = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "user_stats_dirty"
        ordering = ("marked_date", "user_id")
        verbose_name = "dirty user stats mark"

    def __str__(self) -> str:
        return f"stats of {self.user_id} need recomputing"
