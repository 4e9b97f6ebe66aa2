"""Root bearer tokens: the only credential that may create API clients (AUTH-11, API-ADM-1)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from django.conf import settings

from shared_protocol.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from collections.abc import Sequence

BEARER_SCHEME = "bearer"


def bearer_token(authorization: str | None) -> str | None:
    """The credentials of an `Authorization: Bearer <token>` header value, else None.

    The scheme is case-insensitive (RFC 7235), as in the original's FastAPI `HTTPBearer`.
    """
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != BEARER_SCHEME:
        return None
    return credentials.strip() or None


def root_token_matches(token: str, root_tokens: Sequence[str]) -> bool:
    """Whether `token` equals one of `root_tokens`, in time independent of which one.

    Every configured token is compared (no early exit), and the SHA-256 digests are compared
    rather than the strings, so neither the matching position nor a token's length leaks
    through timing. Empty configured tokens never match.
    """
    presented = hashlib.sha256(token.encode("utf-8")).digest()
    matched = False
    for candidate in root_tokens:
        expected = hashlib.sha256(candidate.encode("utf-8")).digest()
        matched |= hmac.compare_digest(presented, expected) and bool(candidate)
    return matched


def root_token_check(*, authorization: str | None) -> None:
    """Accept a request whose `Authorization` header carries a root token, else 403 / 3."""
    token = bearer_token(authorization)
    if token is None or not root_token_matches(token, settings.ROOT_TOKENS):
        raise DomainError(ErrorCode.ROOT_TOKEN_NOT_AUTHORIZED, "Could not validate credentials")
