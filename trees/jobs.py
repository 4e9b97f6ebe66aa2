"""Periodic jobs of the tree manager, sent by Celery beat (TREE-70 … TREE-72).

Each job runs its management command, which holds the job's database-level lock, so the
job and a manual `manage.py` run can never overlap.
"""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(name="trees.jobs.run_tree_pump", ignore_result=True)
def run_tree_pump() -> None:
    """TREE-70: lottery, auto-moderation sweep, prompts of banned authors."""
    call_command("run_tree_pump")


@shared_task(name="trees.jobs.reconcile_trees", ignore_result=True)
def reconcile_trees() -> None:
    """TREE-71: missing state rows and stuck trees."""
    call_command("reconcile_trees")
