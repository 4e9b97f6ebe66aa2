"""API clients cached under their key's hash (AUTH-1, MOD-22: changes take effect at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ApiClientFactory
from users import client_cache
from users.client_cache import api_client_for_key
from users.services.api_clients import api_client_rotate_key, api_client_update

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.test import Client
    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import ApiClient

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/cursor"


@pytest.fixture(autouse=True)
def cached(settings: SettingsWrapper) -> Iterator[None]:
    settings.API_CLIENT_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _client_reads(client: Client, key: str) -> tuple[int, int]:
    """(status, number of lookups of a client by key hash) of one request."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(URL, HTTP_X_API_KEY=key).status_code
    return status, sum('"api_client"."key_hash" =' in q["sql"] for q in queries)


def test_a_known_key_is_read_from_the_database_once(client: Client) -> None:
    _, key = ApiClientFactory.create_with_key(trusted=True)
    assert _client_reads(client, key) == (200, 1)
    assert _client_reads(client, key) == (200, 0)
    assert _client_reads(client, key) == (200, 0)


def test_without_a_ttl_every_request_reads_the_client(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.API_CLIENT_CACHE_SECONDS = 0
    _, key = ApiClientFactory.create_with_key(trusted=True)
    assert _client_reads(client, key) == (200, 1)
    assert _client_reads(client, key) == (200, 1)


def test_unknown_keys_are_not_cached(client: Client) -> None:
    assert _client_reads(client, "no-such-key") == (403, 1)
    assert _client_reads(client, "no-such-key") == (403, 1)


def test_a_cached_client_is_the_stored_one() -> None:
    stored, key = ApiClientFactory.create_with_key(trusted=True, description="web")
    api_client_for_key(key)  # fills the cache
    served = api_client_for_key(key)
    assert served is not None
    assert served == stored
    assert (served.description, served.trusted, served.enabled, served.key_hash) == (
        "web",
        True,
        True,
        stored.key_hash,
    )


def test_disabling_a_cached_client_takes_effect_at_once(client: Client) -> None:
    stored, key = ApiClientFactory.create_with_key(trusted=True)
    assert _client_reads(client, key) == (200, 1)
    api_client_update(client=stored, changes={"enabled": False})
    assert client.get(URL, HTTP_X_API_KEY=key).status_code == 403
    api_client_update(client=stored, changes={"enabled": True})
    assert client.get(URL, HTTP_X_API_KEY=key).status_code == 200


def test_distrusting_a_cached_client_takes_effect_at_once(client: Client) -> None:
    stored, key = ApiClientFactory.create_with_key(trusted=True)
    assert client.get(URL, HTTP_X_API_KEY=key).status_code == 200
    api_client_update(client=stored, changes={"trusted": False})
    served = api_client_for_key(key)
    assert served is not None
    assert served.trusted is False


def test_a_rotated_key_stops_working_at_once(client: Client) -> None:
    """MOD-22."""
    stored, old_key = ApiClientFactory.create_with_key(trusted=True)
    assert client.get(URL, HTTP_X_API_KEY=old_key).status_code == 200
    new_key = api_client_rotate_key(client=stored)
    assert client.get(URL, HTTP_X_API_KEY=old_key).status_code == 403
    assert client.get(URL, HTTP_X_API_KEY=new_key).status_code == 200


def test_saving_or_deleting_a_client_row_takes_effect_at_once(client: Client) -> None:
    """The admin saves rows; receivers cover what the services do not."""
    stored, key = ApiClientFactory.create_with_key(trusted=True)
    assert client.get(URL, HTTP_X_API_KEY=key).status_code == 200
    stored.enabled = False
    stored.save(update_fields=["enabled"])
    assert client.get(URL, HTTP_X_API_KEY=key).status_code == 403

    other, other_key = ApiClientFactory.create_with_key(trusted=True)
    assert client.get(URL, HTTP_X_API_KEY=other_key).status_code == 200
    other.delete()
    assert client.get(URL, HTTP_X_API_KEY=other_key).status_code == 403


def test_a_row_read_before_a_change_is_not_cached_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race: a request reads the row, the client is disabled, the request then fills
    the cache. The tombstone written by the change refuses the fill."""
    stored, key = ApiClientFactory.create_with_key(trusted=True)
    read = client_cache.api_client_get_by_hash

    def read_then_disable(**kwargs: Any) -> ApiClient | None:
        before = read(**kwargs)
        api_client_update(client=stored, changes={"enabled": False})
        return before

    monkeypatch.setattr(client_cache, "api_client_get_by_hash", read_then_disable)
    stale = api_client_for_key(key)
    assert stale is not None
    assert stale.enabled is True  # that request was served with what it read
    monkeypatch.setattr(client_cache, "api_client_get_by_hash", read)
    fresh = api_client_for_key(key)
    assert fresh is not None
    assert fresh.enabled is False
