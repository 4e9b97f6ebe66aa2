"""Tasks handed to volunteers and what they submit: reactions and labels (DATA-6 … DATA-8)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from shared_protocol.envelope import unwrap
from trees.models import Message
from users.models import ApiClient, User

# Task payload types (GEN-6) and the wire task type each stores.
TASK_PAYLOAD_TYPES: dict[str, str] = {
    "InitialPromptPayload": "initial_prompt",
    "PrompterReplyPayload": "prompter_reply",
    "AssistantReplyPayload": "assistant_reply",
    "RankPrompterRepliesPayload": "rank_prompter_replies",
    "RankAssistantRepliesPayload": "rank_assistant_replies",
    "RankInitialPromptsPayload": "rank_initial_prompts",
    "LabelInitialPromptPayload": "label_initial_prompt",
    "LabelPrompterReplyPayload": "label_prompter_reply",
    "LabelAssistantReplyPayload": "label_assistant_reply",
    "SummarizationStoryPayload": "summarize_story",
    "RateSummaryPayload": "rate_summary",
}
REACTION_PAYLOAD_TYPES = ("RankingReactionPayload", "RatingReactionPayload")
TEXT_LABELS_MAX_TEXT = 65536


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        """Neither done nor skipped (spec/README.md §6)."""
        return self.filter(done=False, skipped=False)


class Task(models.Model):
    """A unit of work handed to a volunteer (DATA-6); its payload is the task as served."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_date = models.DateTimeField(default=timezone.now)
    expiry_date = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        db_index=False,  # task_user_created_idx leads with user_id
    )
    payload_type = models.CharField(max_length=200)
    payload = models.JSONField()
    api_client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="tasks")
    ack = models.BooleanField(null=True, blank=True)
    done = models.BooleanField(default=False)
    done_date = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(default=False)
    skip_reason = models.CharField(max_length=512, null=True, blank=True)
    frontend_message_id = models.CharField(max_length=200, null=True, blank=True)
    message_tree_id = models.UUIDField(null=True, blank=True)
    parent_message_id = models.UUIDField(null=True, blank=True)
    collective = models.BooleanField(default=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        db_table = "task"
        ordering = ("created_date", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "frontend_message_id"],
                condition=Q(frontend_message_id__isnull=False),
                name="task_api_client_frontend_message_id_key",
            ),
            models.CheckConstraint(
                condition=Q(payload_type__in=list(TASK_PAYLOAD_TYPES)),
                name="task_payload_type_valid",
            ),
        ]
        indexes = [
            # A user's tasks (merges, deletion checks, statistics).
            models.Index(fields=["user", "created_date"], name="task_user_created_idx"),
            # Pending-task cap per user (TREE-21): open tasks only, so that the prepared
            # statement's generic plan has nothing better to choose.
            models.Index(
                fields=["user", "created_date"],
                condition=Q(done=False, skipped=False),
                name="task_open_user_created_idx",
            ),
            models.Index(fields=["created_date"], name="task_created_idx"),
            # Leases and own open tasks per target (TREE-24, TREE-29): open tasks only.
            models.Index(
                fields=["parent_message_id", "created_date"],
                condition=Q(done=False, skipped=False),
                name="task_open_parent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_type} task {self.id}"

    @property
    def task_type(self) -> str:
        """The wire task type of the stored payload (`initial_prompt`, `rank_…`, …)."""
        return TASK_PAYLOAD_TYPES.get(self.payload_type, self.payload_type)

    @property
    def fields(self) -> dict[str, Any]:
        """The task's payload fields, as served on the wire (GEN-6)."""
        return unwrap(self.payload, self.payload_type)


class MessageReaction(models.Model):
    """A ranking or rating submitted for a task (DATA-7). One per (task, user) (TREE-53).

    The logical key `(task, user)` is a unique constraint rather than a composite
    primary key, so that the admin can list the rows.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reactions")
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="reactions", db_index=False
    )  # message_reaction_user_idx leads with user_id
    created_date = models.DateTimeField(default=timezone.now)
    payload_type = models.CharField(max_length=200)
    payload = models.JSONField()
    api_client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="reactions")
    # For rankings: the ranking parent. Kept as a plain uuid, like the original.
    message_id = models.UUIDField(null=True, blank=True)
    voided = models.BooleanField(default=False)

    class Meta:
        db_table = "message_reaction"
        ordering = ("created_date", "id")
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="message_reaction_task_user_key"),
            models.CheckConstraint(
                condition=Q(payload_type__in=list(REACTION_PAYLOAD_TYPES)),
                name="message_reaction_payload_type_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["message_id"], name="message_reaction_message_idx"),
            models.Index(fields=["created_date"], name="message_reaction_created_idx"),
            models.Index(fields=["user", "created_date"], name="message_reaction_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.payload_type} by {self.user_id}"

    @property
    def fields(self) -> dict[str, Any]:
        return unwrap(self.payload, self.payload_type)


class TextLabels(models.Model):
    """Labels on a message: a review (task-based), a free label or a report (DATA-8)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="text_labels")
    created_date = models.DateTimeField(default=timezone.now)
    api_client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="text_labels")
    text = models.TextField(max_length=TEXT_LABELS_MAX_TEXT, blank=True, default="")
    message = models.ForeignKey(
        Message,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="text_labels",
        db_index=False,  # text_labels_message_user_idx leads with message_id
    )
    labels = models.JSONField(default=dict)
    task_id = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "text_labels"
        ordering = ("created_date", "id")
        verbose_name = "text labels"
        verbose_name_plural = "text labels"
        constraints = [
            models.UniqueConstraint(
                fields=["task_id"],
                condition=Q(task_id__isnull=False),
                name="text_labels_task_id_key",
            ),
            # One free label row per user and message (MOD-14).
            models.UniqueConstraint(
                fields=["user", "message"],
                condition=Q(task_id__isnull=True),
                name="text_labels_free_user_message_key",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), TEXT_LABELS_MAX_TEXT),
                name="text_labels_text_length",
            ),
        ]
        indexes = [
            models.Index(fields=["created_date"], name="text_labels_created_idx"),
            # Has U reviewed M already (TREE-22), acceptance over M's reviews (TREE-50).
            models.Index(fields=["message", "user"], name="text_labels_message_user_idx"),
        ]

    def __str__(self) -> str:
        return f"labels {self.id} on {self.message_id}"
