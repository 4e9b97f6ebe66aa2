"""The Redis cache backend with reused clients (config/cache.py), against a real Redis."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

from tests.factories import ApiClientFactory
from users.client_cache import api_client_for_key
from users.services.api_clients import api_client_update

if TYPE_CHECKING:
    from collections.abc import Iterator

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_cache() -> Iterator[str]:
    """The production backend on a key prefix of its own; skipped without a Redis."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-cache-{uuid.uuid4().hex}"
    backend = {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    with override_settings(CACHES={"default": backend}, API_CLIENT_CACHE_SECONDS=60):
        yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_one_client_object_serves_every_call(redis_cache: str) -> None:
    cache = caches["default"]
    cache.set("a", (1, 2), 30)
    assert cache.get("a") == (1, 2)
    assert cache.get("missing") is None
    backend = cache._cache  # type: ignore[attr-defined]
    assert backend.get_client(write=False) is backend.get_client(write=False)
    assert backend.get_client(write=True) is backend.get_client(write=True)


@pytest.mark.django_db
def test_api_clients_cached_in_redis_still_change_at_once(redis_cache: str) -> None:
    stored, key = ApiClientFactory.create_with_key(trusted=True)
    first = api_client_for_key(key)
    assert first is not None
    assert first.enabled
    assert redis.Redis.from_url(REDIS_URL).keys(f"{redis_cache}:*api-client*")
    api_client_update(client=stored, changes={"enabled": False})
    served = api_client_for_key(key)
    assert served is not None
    assert served.enabled is False
