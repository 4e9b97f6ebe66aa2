"""Periodic jobs of the tasks app, sent by Celery beat (TREE-54, TREE-72)."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(name="tasks.jobs.delete_expired_tasks", ignore_result=True)
def delete_expired_tasks() -> None:
    """TREE-54: the daily retention sweep (does nothing unless TASK_RETENTION_DAYS is set)."""
    call_command("delete_expired_tasks", "--commit")
