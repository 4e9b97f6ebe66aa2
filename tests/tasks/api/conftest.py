"""The named cast of the task endpoint tests (api.md §9.1, §9.2, §10; STYLE practice 11).

- `as_website`: the website W, a trusted client (TypeScript `OasstApiClient`).
- `as_discord`: the Python Discord bot D, an untrusted client that sends no user header.
- `as_text`: the text frontend T, a trusted client.
- `volunteer` / `other_volunteer`: enabled contributors of the website; `volunteer_wire`
  is the User object (API-OBJ-1) that names `volunteer`.
- `banned_user` (disabled) and `deleted_user` (anonymised, MOD-3) of the website.

Rate limits are on in the settings (API-RL-1) and count in the local-memory cache, so the
cache is emptied around every test; the random source is seeded (GEN-7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import ApiClientFactory, UserFactory
from tests.tasks.api.support import wire_user
from tests.users.api.support import Caller
from trees import randomness

if TYPE_CHECKING:
    from collections.abc import Iterator

    from users.models import ApiClient, User


@pytest.fixture(autouse=True)
def _empty_rate_limit_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _seeded() -> Iterator[None]:
    randomness.seed(20240301)
    yield
    randomness.seed(None)


# --- clients --------------------------------------------------------------------------------


@pytest.fixture
def website_client() -> tuple[ApiClient, str]:
    return ApiClientFactory.create_with_key(trusted=True, description="Official website")


@pytest.fixture
def discord_client() -> tuple[ApiClient, str]:
    return ApiClientFactory.create_with_key(
        trusted=False, description="Discord bot", frontend_type="discord"
    )


@pytest.fixture
def text_client() -> tuple[ApiClient, str]:
    return ApiClientFactory.create_with_key(
        trusted=True, description="Text frontend", frontend_type="text"
    )


@pytest.fixture
def as_website(website_client: tuple[ApiClient, str]) -> Caller:
    return Caller(Client(), *website_client)


@pytest.fixture
def as_discord(discord_client: tuple[ApiClient, str]) -> Caller:
    return Caller(Client(), *discord_client)


@pytest.fixture
def as_text(text_client: tuple[ApiClient, str]) -> Caller:
    return Caller(Client(), *text_client)


# --- contributors ---------------------------------------------------------------------------


@pytest.fixture
def volunteer(website_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(api_client=website_client[0], username="ada-42", display_name="Ada")


@pytest.fixture
def volunteer_wire(volunteer: User) -> dict[str, str]:
    return wire_user(volunteer)


@pytest.fixture
def other_volunteer(website_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(
        api_client=website_client[0], username="grace-7", display_name="Grace"
    )


@pytest.fixture
def banned_user(website_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(
        api_client=website_client[0], username="troll-1", display_name="Troll", disabled=True
    )


@pytest.fixture
def deleted_user(website_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(api_client=website_client[0], deleted_user=True)
