"""API clients, contributors and identities in the database (DATA-1 … DATA-3, AUTH-1)."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import DataError, IntegrityError, transaction

from shared_protocol.enums import AuthMethod
from tests.factories import ApiClientFactory, UserFactory, UserIdentityFactory
from users.keys import api_key_hash, api_key_matches
from users.models import ApiClient, User, UserIdentity
from users.selectors import api_client_get_by_key
from users.services.api_clients import api_client_create

pytestmark = pytest.mark.django_db

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


# --- api_client (DATA-1, AUTH-1) -------------------------------------------------------------


def test_created_api_client_stores_the_sha256_of_its_key_and_never_the_key() -> None:
    """AUTH-1, DATA-1: only the SHA-256 hex digest of the key is stored."""
    # when
    client, key = api_client_create(description="Web frontend", frontend_type="web")
    # then
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.key_hash != key
    assert SHA256_HEX.fullmatch(stored.key_hash)
    assert stored.key_hash == hashlib.sha256(key.encode("utf-8")).hexdigest()
    assert stored.key_prefix == key[:8]
    assert key not in {stored.key_hash, stored.description, stored.frontend_type}


def test_api_client_created_with_a_chosen_key_stores_the_hash_of_that_key() -> None:
    """AUTH-1: a key chosen by the operator is hashed the same way."""
    chosen = "Zq8v-3Lr9_Kp2Tw7Xn4Hb6Jc1Md5Fg0Sy"
    # when
    client, key = api_client_create(description="Bot", key=chosen)
    # then
    assert key == chosen
    client.refresh_from_db()
    assert client.key_hash == hashlib.sha256(chosen.encode("utf-8")).hexdigest() != chosen


def test_api_client_is_found_by_its_key() -> None:
    """AUTH-1: the lookup hashes the presented key and matches the stored hash."""
    # given
    client, key = api_client_create(description="Web frontend")
    # then
    assert api_key_matches(client.key_hash, key)
    assert api_client_get_by_key(key=key) == client


def test_api_client_is_not_found_by_a_wrong_key_or_by_its_stored_hash() -> None:
    """AUTH-1: knowing the stored hash (e.g. from a dump) does not authenticate."""
    # given
    client, key = api_client_create(description="Web frontend")
    wrong_key = key[:-1] + ("0" if key[-1] != "0" else "1")
    # then
    assert not api_key_matches(client.key_hash, wrong_key)
    assert not api_key_matches(client.key_hash, client.key_hash)
    assert api_client_get_by_key(key=wrong_key) is None
    assert api_client_get_by_key(key=client.key_hash) is None
    assert api_client_get_by_key(key="") is None


def test_factory_client_authenticates_with_its_plaintext_key() -> None:
    """The factory's stored hash is real: the returned key finds the client (AUTH-1)."""
    client, key = ApiClientFactory.create_with_key()
    assert client.key_hash == api_key_hash(key)
    assert api_client_get_by_key(key=key) == client


@pytest.mark.parametrize(
    "key_hash",
    [
        pytest.param("A" * 64, id="upper-case"),
        pytest.param("a" * 63, id="too-short"),
        pytest.param("g" * 64, id="not-hex"),
        pytest.param("", id="empty"),
        pytest.param("a" * 64 + "\n", id="trailing-newline"),
        pytest.param("a" * 65, id="too-long"),
    ],
)
def test_api_client_with_a_key_hash_that_is_not_64_lower_case_hex_is_rejected(
    key_hash: str,
) -> None:
    """DATA-1: key_hash is a SHA-256 hex digest, enforced by the database.

    PostgreSQL refuses over-long values by column type (DataError) before the check runs.
    """
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        ApiClientFactory.create(key_hash=key_hash)


def test_two_api_clients_with_the_same_key_hash_are_rejected() -> None:
    """DATA-1: key_hash is unique, so a key identifies exactly one client."""
    existing = ApiClientFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiClientFactory.create(key_hash=existing.key_hash)


# --- user (DATA-2) -----------------------------------------------------------------------------


def test_contributor_gets_one_primary_identity_equal_to_its_own_triple() -> None:
    """DATA-3: every user has exactly one primary identity, equal to its own triple."""
    # when
    user = UserFactory.create(discord=True)
    # then
    identity = UserIdentity.objects.get(user=user)
    assert identity.is_primary
    assert (identity.api_client_id, identity.auth_method, identity.username) == (
        user.api_client_id,
        AuthMethod.DISCORD,
        user.username,
    )


def test_two_users_with_the_same_client_username_and_auth_method_are_rejected() -> None:
    """DATA-2: unique (api_client, username, auth_method)."""
    # given
    existing = UserFactory.create(username="alice")
    # then
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            api_client=existing.api_client,
            username="alice",
            auth_method=existing.auth_method,
            display_name="Alice again",
        )


def test_same_username_under_another_client_or_auth_method_is_another_user() -> None:
    """DATA-2: the frontend user id is only unique within (client, auth method)."""
    # given
    alice = UserFactory.create(username="alice", auth_method=AuthMethod.LOCAL)
    # when
    UserFactory.create(
        username="alice", auth_method=AuthMethod.DISCORD, api_client=alice.api_client
    )
    UserFactory.create(username="alice", auth_method=AuthMethod.LOCAL)
    # then
    assert User.objects.filter(username="alice").count() == 3


def test_user_with_an_unknown_auth_method_is_rejected() -> None:
    """DATA-2: auth_method is one of discord, google, local, system."""
    client = ApiClientFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            api_client=client, username="mallory", auth_method="github", display_name="M"
        )


def test_user_merged_into_itself_is_rejected() -> None:
    """MOD-8: a merge tombstone points at another user."""
    user = UserFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(merged_into=user)


# --- user_identity (DATA-3) ----------------------------------------------------------------


def test_second_primary_identity_for_one_user_is_rejected() -> None:
    """DATA-3: exactly one primary identity per user."""
    # given: UserFactory already made the primary identity
    user = UserFactory.create()
    # then
    with pytest.raises(IntegrityError), transaction.atomic():
        UserIdentityFactory.create(user=user, is_primary=True)


def test_linked_identities_beside_the_primary_one_are_allowed() -> None:
    """AUTH-10: account linking adds non-primary identities."""
    # given
    user = UserFactory.create()
    # when
    UserIdentityFactory.create(user=user)
    UserIdentityFactory.create(user=user, auth_method=AuthMethod.GOOGLE)
    # then
    assert user.identities.count() == 3
    assert user.identities.filter(is_primary=True).count() == 1


def test_identity_used_by_another_user_is_rejected() -> None:
    """DATA-3: unique (api_client, auth_method, username) across all users."""
    # given
    owner = UserFactory.create(username="bob")
    other = UserFactory.create(api_client=owner.api_client)
    # then
    with pytest.raises(IntegrityError), transaction.atomic():
        UserIdentityFactory.create(
            user=other,
            api_client=owner.api_client,
            auth_method=owner.auth_method,
            username="bob",
        )


def test_identity_with_an_unknown_auth_method_is_rejected() -> None:
    """DATA-3: the identity's auth_method is checked like the user's."""
    user = UserFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserIdentityFactory.create(user=user, auth_method="myspace")
