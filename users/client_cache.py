"""API clients by key, kept in the shared Django cache (AUTH-1 on the hot path).

Every API request authenticates, and reading the client row cost a query plus ORM work on
each of them. With `API_CLIENT_CACHE_SECONDS` > 0 the client's fields are kept in the
Django cache (Redis in production, shared by every worker) under the key's hash.

A change must still take effect at once (MOD-22: a rotated key stops working at once;
a disabled client answers 403 / 2 on its next request). Every change therefore writes a
tombstone over the entry, for the TTL, and entries are only ever *added* (`cache.add`),
never overwritten. A request that read the row just before the change and caches it just
after finds the tombstone and caches nothing; while the tombstone lives, requests read
the database. The tombstone is written before the change commits, so no request can see
the new row and still find the old entry.

Changes made with `QuerySet.update()` send no signals: the services that do so call
`api_client_cache_invalidate` themselves; saves and deletes are covered by the receivers
below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from users.keys import api_key_hash
from users.models import ApiClient
from users.selectors import api_client_get_by_hash

if TYPE_CHECKING:
    from collections.abc import Iterable

CACHE_PREFIX = "canopy:api-client:"
TOMBSTONE = "changed"
_FIELDS = tuple(field.attname for field in ApiClient._meta.concrete_fields)


def _cache_key(key_hash: str) -> str:
    return CACHE_PREFIX + key_hash


def api_client_for_key(key: str) -> ApiClient | None:
    """The client whose key is `key` (enabled or not), from the cache when it holds it."""
    if not key:
        return None
    key_hash = api_key_hash(key)
    ttl = settings.API_CLIENT_CACHE_SECONDS
    if ttl <= 0:
        return api_client_get_by_hash(key_hash=key_hash)
    cached: Any = cache.get(_cache_key(key_hash))
    if isinstance(cached, tuple) and len(cached) == len(_FIELDS):
        return ApiClient.from_db(DEFAULT_DB_ALIAS, _FIELDS, cached)
    client = api_client_get_by_hash(key_hash=key_hash)
    if client is not None and cached is None:
        cache.add(_cache_key(key_hash), tuple(getattr(client, f) for f in _FIELDS), ttl)
    return client


def api_client_cache_invalidate(key_hashes: Iterable[str]) -> None:
    """Stop serving the cached clients of these key hashes (call it before the change)."""
    ttl = settings.API_CLIENT_CACHE_SECONDS
    if ttl <= 0:
        return
    cache.set_many({_cache_key(h): TOMBSTONE for h in key_hashes if h}, timeout=ttl)


@receiver(post_save, sender=ApiClient, dispatch_uid="api_client_cache_saved")
@receiver(post_delete, sender=ApiClient, dispatch_uid="api_client_cache_deleted")
def _client_changed(sender: type[ApiClient], instance: ApiClient, **kwargs: Any) -> None:
    # After the write, but inside its transaction: the commit comes later. A new client
    # has nothing to replace: unknown keys are never cached.
    if not kwargs.get("created"):
        api_client_cache_invalidate([instance.key_hash])
