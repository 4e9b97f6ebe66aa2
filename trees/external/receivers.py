"""Receivers of domain signals that queue external calls after commit (TREE-74, MOD-16).

A receiver runs inside the sender's transaction and only registers an `on_commit`
callback; the job is queued once the data it reads is durable, and never when the
transaction rolls back. Queueing failures (broker down) are logged, never raised: the
request that stored the message or report has already succeeded.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from trees.external.discord import discord_configured
from trees.external.huggingface import hf_configured
from trees.jobs import compute_message_embedding, compute_message_toxicity, notify_report

if TYPE_CHECKING:
    from celery import Task as CeleryTask

    from tasks.models import TextLabels
    from trees.models import Message

logger = logging.getLogger(__name__)


def _queue(job: CeleryTask[[str], None], object_id: str) -> None:
    try:
        job.delay(object_id)
    except Exception:
        logger.exception("could not queue %s for %s", job.name, object_id)


def _queue_on_commit(job: CeleryTask[[str], None], object_id: str) -> None:
    transaction.on_commit(partial(_queue, job, object_id), robust=True)


def queue_message_analysis(sender: type, *, message: Message, **kwargs: Any) -> None:
    """TREE-45 step 10: toxicity and embedding of a stored text, when enabled and configured."""
    if not hf_configured():
        return
    if not settings.DEBUG_SKIP_TOXICITY_CALCULATION:
        _queue_on_commit(compute_message_toxicity, str(message.pk))
    if not settings.DEBUG_SKIP_EMBEDDING_COMPUTATION:
        _queue_on_commit(compute_message_embedding, str(message.pk))


def queue_report_notification(
    sender: type, *, labels: TextLabels, is_report: bool, **kwargs: Any
) -> None:
    """MOD-15/MOD-16: a report queues its Discord notification, when configured."""
    if is_report and discord_configured():
        _queue_on_commit(notify_report, str(labels.pk))
