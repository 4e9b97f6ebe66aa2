"""Celery jobs of the tree manager (TREE-70 … TREE-74).

Periodic jobs are sent by Celery beat; each runs its management command, which holds the
job's database-level lock, so the job and a manual `manage.py` run can never overlap.

External calls (TREE-74) are queued after commit by `trees.external.receivers`, take only
JSON-primitive arguments (ids as strings) and never report back to the request that
queued them: a transient upstream failure is retried with exponential backoff, a refusal
(4xx) is logged and dropped.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from celery import shared_task
from django.core.management import call_command

from trees.external.discord import report_notification_send
from trees.external.http import UpstreamRejected, UpstreamUnavailable
from trees.services.analysis import message_embedding_compute, message_toxicity_compute

logger = logging.getLogger(__name__)

# Waits drawn up to 5 s, 10 s, 20 s … capped at 10 minutes (full jitter): at most about
# 40 minutes of attempts before the job gives up and the worker logs the failure.
EXTERNAL_CALL_OPTIONS: dict[str, Any] = {
    "ignore_result": True,
    "autoretry_for": (UpstreamUnavailable,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task(name="trees.jobs.run_tree_pump", ignore_result=True)
def run_tree_pump() -> None:
    """TREE-70: lottery, auto-moderation sweep, prompts of banned authors."""
    call_command("run_tree_pump")


@shared_task(name="trees.jobs.reconcile_trees", ignore_result=True)
def reconcile_trees() -> None:
    """TREE-71: missing state rows and stuck trees."""
    call_command("reconcile_trees")


@shared_task(name="trees.jobs.compute_message_toxicity", **EXTERNAL_CALL_OPTIONS)
def compute_message_toxicity(message_id: str) -> None:
    """TREE-74: the toxicity row of a new message (DATA-12)."""
    try:
        message_toxicity_compute(message_id=UUID(message_id))
    except UpstreamRejected as exc:
        logger.warning("toxicity of message %s not computed, not retried: %s", message_id, exc)


@shared_task(name="trees.jobs.compute_message_embedding", **EXTERNAL_CALL_OPTIONS)
def compute_message_embedding(message_id: str) -> None:
    """TREE-74: the embedding row of a new message (DATA-12)."""
    try:
        message_embedding_compute(message_id=UUID(message_id))
    except UpstreamRejected as exc:
        logger.warning("embedding of message %s not computed, not retried: %s", message_id, exc)


@shared_task(name="trees.jobs.notify_report", **EXTERNAL_CALL_OPTIONS)
def notify_report(labels_id: str) -> None:
    """MOD-16: the Discord notification of a report (its text-labels row)."""
    try:
        report_notification_send(labels_id=UUID(labels_id))
    except UpstreamRejected as exc:
        logger.warning("report %s not sent to Discord, not retried: %s", labels_id, exc)
