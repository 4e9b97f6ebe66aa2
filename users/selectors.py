"""Reads for API clients and contributors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from users.keys import api_key_hash
from users.models import ApiClient, UserIdentity

if TYPE_CHECKING:
    from uuid import UUID


def api_client_get_by_key(*, key: str) -> ApiClient | None:
    """The API client whose key is `key`, enabled or not; None when no client has it."""
    if not key:
        return None
    return ApiClient.objects.filter(key_hash=api_key_hash(key)).first()


def identity_get(*, client_id: UUID, auth_method: str, username: str) -> UserIdentity | None:
    """The identity `(client, auth_method, username)` with its user, or None (AUTH-7).

    Merged-away users never own identities (merges move them), so the user is live.
    """
    return (
        UserIdentity.objects.select_related("user")
        .filter(api_client_id=client_id, auth_method=auth_method, username=username)
        .first()
    )
