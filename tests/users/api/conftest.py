"""The named cast of the identity endpoint tests (api.md §9.5, §9.6; STYLE practice 11).

- `trusted_client` / `untrusted_client` / `stranger_client`: `(ApiClient, key)` pairs; the
  stranger is a second untrusted frontend whose users and messages the others must not see.
- `as_trusted` / `as_untrusted` / `as_stranger`: the same clients as `Caller`s that put the
  key in the `X-API-Key` header of every request.
- `contributor`: an enabled user created through the untrusted client.
- `foreign_contributor`: an enabled user created through the stranger client.
- `banned_user`: a disabled user of the untrusted client.
- `merged_user`: a user of the untrusted client that was merged away into `contributor`.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import ApiClientFactory, UserFactory
from tests.users.api.support import Caller
from users.models import ApiClient, User, UserIdentity

# --- the cast -------------------------------------------------------------------------------


@pytest.fixture
def trusted_client() -> tuple[ApiClient, str]:
    return ApiClientFactory.create_with_key(trusted=True, description="Official website")


@pytest.fixture
def untrusted_client() -> tuple[ApiClient, str]:
    return ApiClientFactory.create_with_key(trusted=False, description="Community bot")


@pytest.fixture
def stranger_client() -> tuple[ApiClient, str]:
    return ApiClientFactory.create_with_key(trusted=False, description="Another bot")


@pytest.fixture
def as_trusted(trusted_client: tuple[ApiClient, str]) -> Caller:
    return Caller(Client(), *trusted_client)


@pytest.fixture
def as_untrusted(untrusted_client: tuple[ApiClient, str]) -> Caller:
    return Caller(Client(), *untrusted_client)


@pytest.fixture
def as_stranger(stranger_client: tuple[ApiClient, str]) -> Caller:
    return Caller(Client(), *stranger_client)


@pytest.fixture
def contributor(untrusted_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(api_client=untrusted_client[0], username="ada-42", display_name="Ada")


@pytest.fixture
def foreign_contributor(stranger_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(
        api_client=stranger_client[0], username="grace-7", display_name="Grace"
    )


@pytest.fixture
def banned_user(untrusted_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(
        api_client=untrusted_client[0], username="troll-1", display_name="Troll", disabled=True
    )


@pytest.fixture
def merged_user(untrusted_client: tuple[ApiClient, str], contributor: User) -> User:
    """A user merged away into `contributor` (MOD-8): its identities moved to the target."""
    user = UserFactory.create(
        api_client=untrusted_client[0], username="ada-old", display_name="Ada (old)"
    )
    UserIdentity.objects.filter(user=user).update(user=contributor, is_primary=False)
    User.objects.filter(pk=user.pk).update(merged_into=contributor)
    user.refresh_from_db()
    return user
