"""Writes for API clients and contributors."""

from __future__ import annotations

from config.secrets import MIN_SECRET_LENGTH, is_weak_secret
from users.errors import InvalidApiKey
from users.keys import KEY_PREFIX_LENGTH, api_key_generate, api_key_hash
from users.models import ApiClient


def _checked_key(key: str | None) -> str:
    if key is None:
        return api_key_generate()
    if key != key.strip() or any(ch.isspace() for ch in key):
        raise InvalidApiKey("an API key must not contain white space")
    if is_weak_secret(key):
        raise InvalidApiKey(
            f"an API key must have at least {MIN_SECRET_LENGTH} characters and not be guessable"
        )
    if ApiClient.objects.filter(key_hash=api_key_hash(key)).exists():
        raise InvalidApiKey("another API client already has this key")
    return key


def api_client_create(
    *,
    description: str,
    trusted: bool = False,
    frontend_type: str | None = None,
    admin_email: str | None = None,
    key: str | None = None,
) -> tuple[ApiClient, str]:
    """Create an API client and return it with its plaintext key (shown once, AUTH-4).

    Without `key` a random one is generated; a given key must be strong (GEN-12).
    """
    key = _checked_key(key)
    client = ApiClient.objects.create(
        description=description,
        trusted=trusted,
        frontend_type=frontend_type,
        admin_email=admin_email,
        key_prefix=key[:KEY_PREFIX_LENGTH],
        key_hash=api_key_hash(key),
    )
    return client, key


def api_client_rotate_key(*, client: ApiClient, key: str | None = None) -> str:
    """Give `client` a new key; the old one stops working at once (MOD-22)."""
    key = _checked_key(key)
    ApiClient.objects.filter(pk=client.pk).update(
        key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=api_key_hash(key)
    )
    client.key_prefix, client.key_hash = key[:KEY_PREFIX_LENGTH], api_key_hash(key)
    return key
