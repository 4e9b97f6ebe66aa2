"""Toxicity and embeddings of messages from Hugging Face (TREE-74, DATA-12, API-HF-1).

The side-table writers run in Celery jobs (`trees.jobs`), queued after commit when a
message is stored; the proxy answers `GET /hf/text_toxicity` synchronously.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings

from shared_protocol.errors import DomainError, ErrorCode
from trees import randomness
from trees.external.http import UpstreamError
from trees.external.huggingface import (
    embedding_compute,
    hf_configured,
    toxicity_classify,
    toxicity_top,
)
from trees.models import Message, MessageEmbedding, MessageToxicity

if TYPE_CHECKING:
    from uuid import UUID

logger = logging.getLogger(__name__)


def hf_toxicity_proxy(*, text: str) -> Any:
    """API-HF-1: the toxicity model's raw answer for `text`; any failure is 400 / 3001."""
    if not hf_configured():
        raise DomainError(ErrorCode.HUGGINGFACE_API_ERROR, "The Hugging Face API is not configured")
    try:
        return toxicity_classify(text)
    except UpstreamError as exc:
        logger.warning("toxicity proxy: Hugging Face call failed: %s", exc)
        raise DomainError(
            ErrorCode.HUGGINGFACE_API_ERROR, "The Hugging Face API call failed"
        ) from None


def _message_text(message_id: UUID) -> str | None:
    message = Message.objects.filter(pk=message_id).only("payload_type", "payload").first()
    return None if message is None else message.text


def message_toxicity_compute(*, message_id: UUID) -> bool:
    """Classify the message's text and upsert its `(message, model)` toxicity row.

    Returns False, doing nothing, when the key is gone or the message no longer exists.
    Upstream failures propagate (`UpstreamUnavailable` is retried by the job).
    """
    text = _message_text(message_id) if hf_configured() else None
    if text is None:
        return False
    label, score = toxicity_top(toxicity_classify(text))
    # One statement, so two jobs for the same message cannot both insert (DATA-12 key).
    MessageToxicity.objects.bulk_create(
        [
            MessageToxicity(
                message_id=message_id,
                model=settings.HF_TOXICITY_MODEL,
                score=score,
                label=label,
                created_date=randomness.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["message", "model"],
        update_fields=["score", "label", "created_date"],
    )
    return True


def message_embedding_compute(*, message_id: UUID) -> bool:
    """Embed the message's text and upsert its `(message, model)` embedding row.

    Returns False, doing nothing, when the key is gone or the message no longer exists.
    """
    text = _message_text(message_id) if hf_configured() else None
    if text is None:
        return False
    embedding = embedding_compute(text)
    MessageEmbedding.objects.bulk_create(
        [
            MessageEmbedding(
                message_id=message_id,
                model=settings.HF_EMBEDDING_MODEL,
                embedding=embedding,
                created_date=randomness.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["message", "model"],
        update_fields=["embedding", "created_date"],
    )
    return True
