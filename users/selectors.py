"""Reads for API clients and contributors."""

from __future__ import annotations

from users.keys import api_key_hash
from users.models import ApiClient


def api_client_get_by_key(*, key: str) -> ApiClient | None:
    """The API client whose key is `key`, enabled or not; None when no client has it."""
    if not key:
        return None
    return ApiClient.objects.filter(key_hash=api_key_hash(key)).first()
