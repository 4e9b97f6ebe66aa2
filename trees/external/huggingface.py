"""The Hugging Face inference API: toxicity classification and embeddings (TREE-74, API-HF-1).

Both are `POST {"inputs": text}` with the key as a bearer token; the base URL and the
models are settings (`HUGGING_FACE_API_URL`, `HF_TOXICITY_MODEL`, `HF_EMBEDDING_MODEL`).
"""

from __future__ import annotations

from numbers import Real
from typing import Any

from django.conf import settings

from trees.external.http import UpstreamRejected, post_json


def hf_configured() -> bool:
    """A key is set: the proxy answers and the side-table jobs may run."""
    return bool(settings.HUGGING_FACE_API_KEY)


def _call(path: str, text: str) -> Any:
    url = f"{settings.HUGGING_FACE_API_URL.rstrip('/')}/{path}"
    return post_json(
        url,
        {"inputs": text},
        headers={"Authorization": f"Bearer {settings.HUGGING_FACE_API_KEY}"},
    )


def toxicity_classify(text: str) -> Any:
    """The toxicity model's raw answer: a list of lists of `{label, score}`."""
    return _call(settings.HF_TOXICITY_MODEL, text)


def toxicity_top(answer: Any) -> tuple[str, float]:
    """The label the classifier scored highest, with its score (what DATA-12 stores).

    Accepts the pipeline's `[[{label, score}, ...]]` and the flat `[{label, score}, ...]`.
    """
    candidates = answer
    if isinstance(answer, list) and answer and _is_list(answer[0]):
        candidates = answer[0]
    if not isinstance(candidates, list) or not candidates:
        raise UpstreamRejected("huggingface", None, "toxicity answer is not a label list")
    try:
        best = max(candidates, key=lambda entry: float(entry["score"]))
        return str(best["label"]), float(best["score"])
    except (TypeError, KeyError, ValueError):
        raise UpstreamRejected("huggingface", None, "toxicity answer is not a label list") from None


def embedding_compute(text: str) -> list[float]:
    """The text's embedding by the embedding model, as a flat list of floats.

    Sentence-embedding models answer one vector; a batch of one is unwrapped, and a
    token-level answer (one vector per token) is mean-pooled into one vector.
    """
    answer = _call(f"{settings.HF_EMBEDDING_MODEL}/pipeline/feature-extraction", text)
    while isinstance(answer, list) and len(answer) == 1 and _is_list(answer[0]):
        answer = answer[0]
    if _is_vector(answer):
        return [float(x) for x in answer]
    if (
        isinstance(answer, list)
        and answer
        and all(_is_vector(row) and len(row) == len(answer[0]) for row in answer)
    ):
        return [sum(column) / len(answer) for column in zip(*answer, strict=True)]
    raise UpstreamRejected("huggingface", None, "embedding answer is not a vector")


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _is_vector(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(x, Real) and not isinstance(x, bool) for x in value)
    )
