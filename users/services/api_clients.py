"""Writes for API clients and contributors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from config.secrets import MIN_SECRET_LENGTH, is_weak_secret
from users.client_cache import api_client_cache_invalidate
from users.errors import InvalidApiKey
from users.keys import KEY_PREFIX_LENGTH, api_key_generate, api_key_hash
from users.models import ApiClient
from users.signals import api_client_changed

if TYPE_CHECKING:
    from uuid import UUID

# What an operator may change on a client; keys change only by rotation.
API_CLIENT_EDITABLE_FIELDS = frozenset(
    {"description", "admin_email", "enabled", "trusted", "frontend_type"}
)


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
    account_id: UUID | None = None,
) -> tuple[ApiClient, str]:
    """Create an API client and return it with its plaintext key (shown once, AUTH-4).

    Without `key` a random one is generated; a given key must be strong (GEN-12).
    """
    key = _checked_key(key)
    with transaction.atomic():
        client = ApiClient.objects.create(
            description=description,
            trusted=trusted,
            frontend_type=frontend_type,
            admin_email=admin_email,
            key_prefix=key[:KEY_PREFIX_LENGTH],
            key_hash=api_key_hash(key),
        )
        after = {name: getattr(client, name) for name in sorted(API_CLIENT_EDITABLE_FIELDS)}
        api_client_changed.send(
            sender=ApiClient,
            client=client,
            action="created",
            before={},
            after=after,
            account_id=account_id,
        )
    return client, key


def api_client_update(
    *, client: ApiClient, changes: dict[str, Any], account_id: UUID | None = None
) -> ApiClient:
    """Apply operator changes (enable, disable, trust, …) to one client; journaled (MOD-21).

    Only the given fields are written, so concurrent key rotations and `last_used_date`
    updates are never undone.
    """
    unknown = set(changes) - API_CLIENT_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable on an API client: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = ApiClient.objects.select_for_update().get(pk=client.pk)
        before = {name: getattr(current, name) for name in changes}
        changed = {name: value for name, value in changes.items() if before[name] != value}
        if changed:
            api_client_cache_invalidate([current.key_hash])
            ApiClient.objects.filter(pk=client.pk).update(**changed)
            api_client_changed.send(
                sender=ApiClient,
                client=current,
                action="updated",
                before={name: before[name] for name in changed},
                after=changed,
                account_id=account_id,
            )
    for name, value in changes.items():
        setattr(client, name, value)
    return client


def api_client_rotate_key(
    *, client: ApiClient, key: str | None = None, account_id: UUID | None = None
) -> str:
    """Give `client` a new key; the old one stops working at once (MOD-22). Journaled."""
    key = _checked_key(key)
    with transaction.atomic():
        old_hashes = ApiClient.objects.select_for_update().filter(pk=client.pk)
        api_client_cache_invalidate(old_hashes.values_list("key_hash", flat=True))
        ApiClient.objects.filter(pk=client.pk).update(
            key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=api_key_hash(key)
        )
        api_client_changed.send(
            sender=ApiClient,
            client=client,
            action="key_rotated",
            before={},
            after={},
            account_id=account_id,
        )
    client.key_prefix, client.key_hash = key[:KEY_PREFIX_LENGTH], api_key_hash(key)
    return key
