"""NextAuth session tokens: who is logged into the website (API-AUTH-1, IMP-50).

The website (NextAuth.js v4) keeps its session in a cookie holding a compact JWE:
`alg = "dir"`, `enc = "A256GCM"`, encrypted with a key derived from the shared
`AUTH_SECRET` by HKDF-SHA256 (32 bytes, empty salt, info `NextAuth.js Generated Encryption
Key`). The additional authenticated data of AES-GCM is the ASCII of the protected-header
segment (RFC 7516 §5.1). Every way a token can be wrong is one protocol error, 401 / 600;
a missing cookie is 403 / 600.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from shared_protocol.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from collections.abc import Mapping

# NextAuth's cookie names: plain over http, with the `__Secure-` prefix over https. Tokens
# too long for one cookie are split into `<name>.0`, `<name>.1`, … (NextAuth's SessionStore).
SESSION_COOKIE_NAMES = ("next-auth.session-token", "__Secure-next-auth.session-token")
_MAX_COOKIE_CHUNKS = 32

HKDF_INFO = b"NextAuth.js Generated Encryption Key"
KEY_LENGTH = 32
IV_LENGTH = 12  # 96-bit GCM nonce (RFC 7518 §5.3)
TAG_LENGTH = 16
# NextAuth decodes its own tokens with this much tolerance for clock skew.
CLOCK_TOLERANCE_SECONDS = 15

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def session_token_from_cookies(cookies: Mapping[str, str]) -> str | None:
    """The NextAuth session token among `cookies`, reassembled if chunked; None if absent."""
    for name in SESSION_COOKIE_NAMES:
        token = cookies.get(name)
        if token:
            return token
        chunks: list[str] = []
        for index in range(_MAX_COOKIE_CHUNKS):
            chunk = cookies.get(f"{name}.{index}")
            if chunk is None:
                break
            chunks.append(chunk)
        if chunks and any(chunks):
            return "".join(chunks)
    return None


def session_email(*, token: str | None) -> str | None:
    """The e-mail of the website session `token` with the configured `AUTH_SECRET`.

    No token: 403 / 600. No secret configured, or a token that does not decrypt: 401 / 600.
    """
    if not token:
        raise DomainError(
            ErrorCode.INVALID_AUTHENTICATION,
            "Missing session cookie",
            status=HTTPStatus.FORBIDDEN,
        )
    secret = settings.AUTH_SECRET
    if not secret:
        raise _invalid("Session tokens cannot be checked: AUTH_SECRET is not configured")
    return nextauth_email_from_token(token, secret)


def nextauth_encryption_key(secret: str) -> bytes:
    """The AES-256 key NextAuth derives from its secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_LENGTH, salt=b"", info=HKDF_INFO)
    return hkdf.derive(secret.encode("utf-8"))


def nextauth_email_from_token(token: str, secret: str, *, now: float | None = None) -> str | None:
    """The `email` claim of a NextAuth session token (None when absent or null).

    Raises DomainError 401 / 600 when the token is malformed, does not decrypt with
    `secret`, carries no JSON object, is expired (`exp`) or not yet valid (`nbf`).
    """
    claims = _decrypt_claims(token, nextauth_encryption_key(secret))
    _check_times(claims, time.time() if now is None else now)
    email = claims.get("email")
    if email is None:
        return None
    if not isinstance(email, str):
        raise _invalid("Session token has a malformed email claim")
    return email


def _decrypt_claims(token: str, key: bytes) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 5:
        raise _invalid("Session token is not a compact JWE")
    header_segment, encrypted_key, iv_segment, ciphertext_segment, tag_segment = parts
    header = _json_object(_b64url_decode(header_segment))
    if header.get("alg") != "dir" or header.get("enc") != "A256GCM" or "zip" in header:
        raise _invalid("Session token uses an unsupported JWE algorithm")
    if encrypted_key:  # direct encryption carries no wrapped key (RFC 7516 §5.1 step 5)
        raise _invalid("Session token is not a compact JWE")
    iv = _b64url_decode(iv_segment)
    tag = _b64url_decode(tag_segment)
    if len(iv) != IV_LENGTH or len(tag) != TAG_LENGTH:
        raise _invalid("Session token is not a compact JWE")
    ciphertext = _b64url_decode(ciphertext_segment)
    try:
        plaintext = AESGCM(key).decrypt(iv, ciphertext + tag, header_segment.encode("ascii"))
    except InvalidTag:
        raise _invalid("Session token does not decrypt") from None
    return _json_object(plaintext)


def _check_times(claims: dict[str, Any], now: float) -> None:
    expires = claims.get("exp")
    if expires is not None:
        if not _is_number(expires):
            raise _invalid("Session token has a malformed exp claim")
        if now >= expires + CLOCK_TOLERANCE_SECONDS:
            raise _invalid("Session token has expired")
    not_before = claims.get("nbf")
    if not_before is not None:
        if not _is_number(not_before):
            raise _invalid("Session token has a malformed nbf claim")
        if now < not_before - CLOCK_TOLERANCE_SECONDS:
            raise _invalid("Session token is not valid yet")


def _is_number(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _b64url_decode(segment: str) -> bytes:
    # The standard decoder silently skips characters outside the alphabet; refuse them.
    if not _BASE64URL.match(segment):
        raise _invalid("Session token is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise _invalid("Session token is not base64url") from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _invalid("Session token does not hold JSON") from None
    if not isinstance(value, dict):
        raise _invalid("Session token does not hold a JSON object")
    return value


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_AUTHENTICATION, message, status=HTTPStatus.UNAUTHORIZED)
