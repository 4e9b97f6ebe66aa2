"""Task retention (TREE-54, IMP-37): expired tasks are kept unless retention is configured."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from tasks.models import MessageReaction, Task, TextLabels
from trees.models import Message
from trees.randomness import now


def tasks_past_retention() -> QuerySet[Task]:
    """Expired, never-completed tasks older than TASK_RETENTION_DAYS that nothing refers to.

    Empty when TASK_RETENTION_DAYS is unset: by default every task is kept, skips and
    their reasons included.
    """
    days: int | None = settings.TASK_RETENTION_DAYS
    if days is None:
        return Task.objects.none()
    current = now()
    return (
        Task.objects.filter(
            done=False,
            expiry_date__lt=current,
            created_date__lt=current - timedelta(days=days),
        )
        .exclude(Exists(Message.objects.filter(task_id=OuterRef("pk"))))
        .exclude(Exists(TextLabels.objects.filter(task_id=OuterRef("pk"))))
        .exclude(Exists(MessageReaction.objects.filter(task_id=OuterRef("pk"))))
    )


def tasks_delete_past_retention() -> int:
    """Delete them in one statement (TREE-73); returns how many."""
    deleted, _ = tasks_past_retention().delete()
    return deleted
