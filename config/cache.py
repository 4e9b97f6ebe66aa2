"""The Redis cache backend, with one client object per connection pool.

Django's Redis backend builds a new `redis.Redis` client for every cache call, and each
build fills a table of about 170 response callbacks: a fifth of a millisecond per call,
paid on every API request since API clients are cached (users/client_cache.py). A client
holds no connection of its own (it borrows from the pool) and is thread-safe, so one per
pool serves every call of the process.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client


class RedisCache(redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with reused clients."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
