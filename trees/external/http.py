"""One JSON-over-HTTP POST with the failure kinds the callers act on (TREE-74).

Standard library only: the calls are few and small. Errors carry the HTTP status and the
URL's host, never the request or response body (user text, GEN-11) nor the headers (keys).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from collections.abc import Mapping

USER_AGENT = "canopy/0.1"
# Worth another try later: the service is down, overloaded or rate-limiting us.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class UpstreamError(Exception):
    """The call did not give a usable answer. `status` is the HTTP status, if any."""

    def __init__(self, host: str, status: int | None, reason: str) -> None:
        # The arguments are the exception's args, so Celery can rebuild it from JSON.
        super().__init__(host, status, reason)
        self.host, self.status, self.reason = host, status, reason

    def __str__(self) -> str:
        return f"{self.host}: {self.reason}" + (f" (HTTP {self.status})" if self.status else "")


class UpstreamUnavailable(UpstreamError):
    """Transient: 5xx, 408/425/429, timeout or connection failure. Retry with backoff."""


class UpstreamRejected(UpstreamError):
    """Permanent: another 4xx, or an answer that is not the JSON we expect. Do not retry."""


def post_json(
    url: str, body: Any, *, headers: Mapping[str, str], timeout: float | None = None
) -> Any:
    """POST `body` as JSON to `url` and return the decoded JSON answer (None when empty)."""
    parts = urlsplit(url)
    host = parts.netloc
    if parts.scheme not in {"http", "https"}:
        raise UpstreamRejected(host, None, f"unsupported URL scheme {parts.scheme!r}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **headers,
        },
    )
    wait = settings.EXTERNAL_HTTP_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        with urllib.request.urlopen(request, timeout=wait) as response:  # noqa: S310
            raw: bytes = response.read()
            status: int = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code >= 500 or exc.code in RETRYABLE_STATUSES:
            raise UpstreamUnavailable(host, exc.code, "server error") from None
        raise UpstreamRejected(host, exc.code, "request refused") from None
    except (urllib.error.URLError, HTTPException, OSError) as exc:
        # URLError wraps refused connections and DNS failures; timeouts are OSErrors.
        raise UpstreamUnavailable(host, None, f"unreachable ({type(exc).__name__})") from exc
    if not 200 <= status < 300:  # a 1xx/3xx urllib did not resolve
        raise UpstreamRejected(host, status, "unexpected status")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise UpstreamRejected(host, status, "answer is not JSON") from None
