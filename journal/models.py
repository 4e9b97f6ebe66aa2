"""The append-only journal of domain events (DATA-13, STAT-19, STAT-20)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from shared_protocol.envelope import unwrap
from shared_protocol.ids import uuid7


class Journal(models.Model):
    """One domain event. Rows are inserted by receivers of domain signals and never changed.

    `user_id`, `message_id` and `api_client_id` are plain ids, not foreign keys: the
    journal records what happened and must survive anonymisation, merges and purges
    without being re-pointed (STAT-20).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_date = models.DateTimeField(default=timezone.now)
    user_id = models.UUIDField(null=True, blank=True)
    message_id = models.UUIDField(null=True, blank=True)
    api_client_id = models.UUIDField(null=True, blank=True)
    event_type = models.CharField(max_length=200)
    event_payload = models.JSONField()

    class Meta:
        db_table = "journal"
        ordering = ("id",)  # version-7 ids sort by time (GEN-3)
        verbose_name = "journal entry"
        verbose_name_plural = "journal"
        indexes = [
            models.Index(fields=["created_date"], name="journal_created_idx"),
            models.Index(fields=["user_id", "created_date"], name="journal_user_created_idx"),
            models.Index(fields=["message_id"], name="journal_message_idx"),
            models.Index(fields=["event_type", "created_date"], name="journal_type_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.created_date:%Y-%m-%d %H:%M:%S}"

    @property
    def fields(self) -> dict[str, Any]:
        """The event's payload fields (GEN-6 envelope)."""
        return unwrap(self.event_payload)
