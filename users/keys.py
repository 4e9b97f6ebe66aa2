"""API keys: generation and the stored hash (DATA-1, AUTH-1, IMP-35)."""

import hashlib
import hmac
import secrets

KEY_PREFIX_LENGTH = 8


def api_key_generate() -> str:
    """A new API key: 64 lower-case hex characters, 256 random bits (AUTH-1)."""
    return secrets.token_hex(32)


def api_key_hash(key: str) -> str:
    """The SHA-256 hex digest stored for a key; the key itself is never stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_matches(key_hash: str, key: str) -> bool:
    """Whether `key` hashes to `key_hash`, compared in constant time."""
    return hmac.compare_digest(key_hash, api_key_hash(key))
