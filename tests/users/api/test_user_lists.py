"""Keyset user lists: `GET /users/by_username`, `GET /users/by_display_name`, and the
deprecated `GET /frontend_users/`.

API-USR-1, API-USR-2, API-FUSR-1, API-PAGE-5, AUTH-3, API-GEN-5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.factories import UserFactory
from tests.users.api.support import (
    FRONTEND_USER_KEYS,
    Caller,
    assert_error,
    assert_validation_error,
    snapshot,
)

if TYPE_CHECKING:
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

# (path, key the list is ordered and searched by, whether `desc` is a parameter)
LISTS = [
    ("/users/by_username", "username", True),
    ("/users/by_display_name", "display_name", True),
    ("/frontend_users/", "username", False),
]
LIST_IDS = ["by_username", "by_display_name", "frontend_users"]
PATHS = [(path, key) for path, key, _ in LISTS]
SORTABLE = [(path, key) for path, key, has_desc in LISTS if has_desc]


def wire_ids(response_items: list[dict[str, str]]) -> list[str]:
    return [item["user_id"] for item in response_items]


@pytest.fixture
def roster(untrusted_client: tuple[ApiClient, str]) -> list[User]:
    """Three users of the untrusted client; username order differs from display-name order.

    By username: alice, bob, carol. By display name: Xia (carol), Yan (alice), Zed (bob).
    """
    client = untrusted_client[0]
    return [
        UserFactory.create(api_client=client, username="bob", display_name="Zed"),
        UserFactory.create(api_client=client, username="alice", display_name="Yan"),
        UserFactory.create(api_client=client, username="carol", display_name="Xia"),
    ]


@pytest.fixture
def twins(untrusted_client: tuple[ApiClient, str]) -> list[User]:
    """Two users with the same username and display name, sorted by id (the tie-breaker)."""
    client = untrusted_client[0]
    pair = [
        UserFactory.create(api_client=client, username="bo", display_name="Yo", auth_method=m)
        for m in ("local", "discord")
    ]
    return sorted(pair, key=lambda user: str(user.pk))


def in_key_order(users: list[User], key: str) -> list[str]:
    return [str(u.pk) for u in sorted(users, key=lambda u: (getattr(u, key), str(u.pk)))]


# --- ordering --------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_users_are_ordered_by_key_then_id(
    as_untrusted: Caller, roster: list[User], twins: list[User], path: str, key: str
) -> None:
    # when
    response = as_untrusted.get(path)

    # then
    assert response.status_code == 200
    items = response.json()
    assert all(set(item) == FRONTEND_USER_KEYS for item in items)
    assert wire_ids(items) == in_key_order([*roster, *twins], key)


@pytest.mark.parametrize(("path", "key"), SORTABLE, ids=LIST_IDS[:2])
def test_desc_reverses_the_order(
    as_untrusted: Caller, roster: list[User], twins: list[User], path: str, key: str
) -> None:
    response = as_untrusted.get(path, {"desc": "true"})

    assert response.status_code == 200
    assert wire_ids(response.json()) == in_key_order([*roster, *twins], key)[::-1]


def test_deprecated_list_ignores_desc(as_untrusted: Caller, roster: list[User]) -> None:
    """API-FUSR-1 is API-USR-1 without `desc`: the list stays ascending."""
    response = as_untrusted.get("/frontend_users/", {"desc": "true"})

    assert response.status_code == 200
    assert wire_ids(response.json()) == in_key_order(roster, "username")


def test_deprecated_list_does_not_validate_desc(as_untrusted: Caller, roster: list[User]) -> None:
    """API-FUSR-1 has no `desc` parameter, so no value of it can make the request invalid."""
    response = as_untrusted.get("/frontend_users/", {"desc": "sideways"})

    assert response.status_code == 200
    assert wire_ids(response.json()) == in_key_order(roster, "username")


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_max_count_limits_the_list(
    as_untrusted: Caller, roster: list[User], path: str, key: str
) -> None:
    response = as_untrusted.get(path, {"max_count": 2})

    assert response.status_code == 200
    assert wire_ids(response.json()) == in_key_order(roster, key)[:2]


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_no_users_is_an_empty_list(as_untrusted: Caller, path: str, key: str) -> None:
    response = as_untrusted.get(path)

    assert response.status_code == 200
    assert response.json() == []


# --- keyset bounds (API-PAGE-5) ----------------------------------------------------------------


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_gte_bound_is_inclusive(
    as_untrusted: Caller, roster: list[User], twins: list[User], path: str, key: str
) -> None:
    # given: the twins' key value ("bo" / "Yo") sits inside the roster's order
    value = getattr(twins[0], key)
    expected = [u for u in [*roster, *twins] if getattr(u, key) >= value]

    # when
    response = as_untrusted.get(path, {f"gte_{key}": value})

    # then
    assert response.status_code == 200
    assert wire_ids(response.json()) == in_key_order(expected, key)


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_gt_id_makes_the_lower_bound_strict_on_key_and_id(
    as_untrusted: Caller, roster: list[User], twins: list[User], path: str, key: str
) -> None:
    # given
    first_twin, second_twin = twins
    value = getattr(first_twin, key)
    later = [u for u in roster if getattr(u, key) > value]

    # when
    response = as_untrusted.get(path, {f"gte_{key}": value, "gt_id": str(first_twin.pk)})

    # then: the first twin is excluded, the second (same key, larger id) is not
    assert response.status_code == 200
    assert wire_ids(response.json()) == [str(second_twin.pk), *in_key_order(later, key)]


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_lte_bound_is_inclusive(
    as_untrusted: Caller, roster: list[User], twins: list[User], path: str, key: str
) -> None:
    value = getattr(twins[0], key)
    expected = [u for u in [*roster, *twins] if getattr(u, key) <= value]

    response = as_untrusted.get(path, {f"lte_{key}": value})

    assert response.status_code == 200
    assert wire_ids(response.json()) == in_key_order(expected, key)


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_lt_id_makes_the_upper_bound_strict_on_key_and_id(
    as_untrusted: Caller, roster: list[User], twins: list[User], path: str, key: str
) -> None:
    # given
    first_twin, second_twin = twins
    value = getattr(second_twin, key)
    earlier = [u for u in roster if getattr(u, key) < value]

    # when
    response = as_untrusted.get(path, {f"lte_{key}": value, "lt_id": str(second_twin.pk)})

    # then
    assert response.status_code == 200
    assert wire_ids(response.json()) == [*in_key_order(earlier, key), str(first_twin.pk)]


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_both_bounds_select_a_window(
    as_untrusted: Caller, roster: list[User], path: str, key: str
) -> None:
    # given
    ordered = sorted(roster, key=lambda u: getattr(u, key))
    low, high = getattr(ordered[0], key), getattr(ordered[1], key)

    # when
    response = as_untrusted.get(path, {f"gte_{key}": low, f"lte_{key}": high})

    # then
    assert wire_ids(response.json()) == [str(ordered[0].pk), str(ordered[1].pk)]


@pytest.mark.parametrize(("path", "key"), SORTABLE, ids=LIST_IDS[:2])
def test_bounds_apply_in_descending_order_too(
    as_untrusted: Caller, roster: list[User], path: str, key: str
) -> None:
    ordered = sorted(roster, key=lambda u: getattr(u, key))

    response = as_untrusted.get(path, {f"lte_{key}": getattr(ordered[1], key), "desc": "yes"})

    assert wire_ids(response.json()) == [str(ordered[1].pk), str(ordered[0].pk)]


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
@pytest.mark.parametrize("id_bound", ["gt_id", "lt_id"])
def test_id_bound_without_key_bound_is_400_code_0(
    as_untrusted: Caller, roster: list[User], path: str, key: str, id_bound: str
) -> None:
    before = snapshot()

    response = as_untrusted.get(path, {id_bound: str(roster[0].pk)})

    assert_error(response, 400, 0)
    assert snapshot() == before


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_id_bound_with_the_other_key_bound_is_400_code_0(
    as_untrusted: Caller, roster: list[User], path: str, key: str
) -> None:
    """`gt_id` refines `gte_*` and `lt_id` refines `lte_*`: crossing them is no bound."""
    response = as_untrusted.get(path, {f"lte_{key}": "zzz", "gt_id": str(roster[0].pk)})

    assert_error(response, 400, 0)


# --- search and filters ------------------------------------------------------------------------

TRICKY_NAMES = ["Alpha", "alpha", "al%ha", "al_ha", "al\\ha", "alXha"]


@pytest.fixture
def tricky_names(untrusted_client: tuple[ApiClient, str]) -> dict[str, User]:
    """Users whose username and display name are the same awkward text."""
    return {
        name: UserFactory.create(api_client=untrusted_client[0], username=name, display_name=name)
        for name in TRICKY_NAMES
    }


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
@pytest.mark.parametrize(
    ("search_text", "matches"),
    [
        ("al%ha", {"al%ha"}),
        ("%", {"al%ha"}),
        ("al_ha", {"al_ha"}),
        ("_", {"al_ha"}),
        ("l\\h", {"al\\ha"}),
        ("\\", {"al\\ha"}),
        ("Al", {"Alpha"}),
        ("ALPHA", set()),
        ("lpha", {"Alpha", "alpha"}),
        ("Xh", {"alXha"}),
    ],
    ids=[
        "percent-literal",
        "percent-alone",
        "underscore-literal",
        "underscore-alone",
        "backslash-literal",
        "backslash-alone",
        "case-sensitive-prefix",
        "case-sensitive-no-match",
        "substring",
        "upper-case-inside",
    ],
)
def test_search_text_is_a_case_sensitive_literal_substring(
    as_untrusted: Caller,
    tricky_names: dict[str, User],
    path: str,
    key: str,
    search_text: str,
    matches: set[str],
) -> None:
    """API-USR-1: on SQLite and PostgreSQL alike; `%`, `_` and `\\` are literal."""
    response = as_untrusted.get(path, {"search_text": search_text})

    assert response.status_code == 200
    wire_key = "id" if key == "username" else key  # API-OBJ-1: `id` is the username
    assert {item[wire_key] for item in response.json()} == matches


@pytest.mark.parametrize(("path", "key"), PATHS[:2], ids=LIST_IDS[:2])
def test_search_text_searches_the_listing_key_only(
    as_untrusted: Caller, roster: list[User], path: str, key: str
) -> None:
    # given: "Zed" is bob's display name, "bob" his username
    response_by_other_key = as_untrusted.get(
        path, {"search_text": "Zed" if key == "username" else "bob"}
    )

    # then
    assert response_by_other_key.json() == []


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_auth_method_filters_users(
    as_untrusted: Caller, roster: list[User], twins: list[User], path: str, key: str
) -> None:
    # given: of all these users, only one twin is a discord user
    discord_twin = next(u for u in twins if u.auth_method == "discord")

    # when
    response = as_untrusted.get(path, {"auth_method": "discord"})

    # then
    assert response.status_code == 200
    assert wire_ids(response.json()) == [str(discord_twin.pk)]


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_merged_away_users_are_not_listed(
    as_untrusted: Caller, contributor: User, merged_user: User, path: str, key: str
) -> None:
    response = as_untrusted.get(path)

    assert wire_ids(response.json()) == [str(contributor.pk)]


# --- sandboxing (AUTH-3) -----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_untrusted_client_sees_only_its_own_users(
    as_untrusted: Caller, contributor: User, foreign_contributor: User, path: str, key: str
) -> None:
    response = as_untrusted.get(path)

    assert wire_ids(response.json()) == [str(contributor.pk)]


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_untrusted_client_naming_its_own_client_is_served(
    as_untrusted: Caller, contributor: User, foreign_contributor: User, path: str, key: str
) -> None:
    response = as_untrusted.get(path, {"api_client_id": str(as_untrusted.api_client.pk)})

    assert wire_ids(response.json()) == [str(contributor.pk)]


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_untrusted_client_naming_another_client_is_403_code_2(
    as_untrusted: Caller, foreign_contributor: User, path: str, key: str
) -> None:
    response = as_untrusted.get(path, {"api_client_id": str(foreign_contributor.api_client_id)})

    assert_error(response, 403, 2)


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_trusted_client_sees_every_clients_users(
    as_trusted: Caller, contributor: User, foreign_contributor: User, path: str, key: str
) -> None:
    response = as_trusted.get(path)

    assert wire_ids(response.json()) == in_key_order([contributor, foreign_contributor], key)


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
def test_trusted_client_can_narrow_to_one_client(
    as_trusted: Caller, contributor: User, foreign_contributor: User, path: str, key: str
) -> None:
    response = as_trusted.get(path, {"api_client_id": str(foreign_contributor.api_client_id)})

    assert wire_ids(response.json()) == [str(foreign_contributor.pk)]


# --- invalid parameters (API-GEN-5) ------------------------------------------------------------


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_count": "0"}, "max_count"),
        ({"max_count": "10001"}, "max_count"),
        ({"max_count": "-5"}, "max_count"),
        ({"max_count": "many"}, "max_count"),
        ({"api_client_id": "not-a-uuid"}, "api_client_id"),
        ({"gt_id": "not-a-uuid", "gte_username": "a", "gte_display_name": "a"}, "gt_id"),
        ({"lt_id": "12345", "lte_username": "a", "lte_display_name": "a"}, "lt_id"),
        ({"auth_method": "github"}, "auth_method"),
    ],
    ids=[
        "max-count-zero",
        "max-count-too-large",
        "max-count-negative",
        "max-count-not-a-number",
        "api-client-id",
        "gt-id",
        "lt-id",
        "auth-method",
    ],
)
def test_invalid_query_parameter_is_422_in_query(
    as_untrusted: Caller,
    contributor: User,
    path: str,
    key: str,
    params: dict[str, str],
    field: str,
) -> None:
    response = as_untrusted.get(path, params)

    assert_validation_error(response, "query", field)


@pytest.mark.parametrize(("path", "key"), PATHS, ids=LIST_IDS)
@pytest.mark.parametrize("max_count", ["1", "10000"])
def test_max_count_at_the_ends_of_its_range_is_accepted(
    as_untrusted: Caller, roster: list[User], path: str, key: str, max_count: str
) -> None:
    response = as_untrusted.get(path, {"max_count": max_count})

    assert response.status_code == 200
    assert len(response.json()) == min(int(max_count), len(roster))


@pytest.mark.parametrize(("path", "key"), SORTABLE, ids=LIST_IDS[:2])
def test_desc_that_is_no_boolean_is_422(
    as_untrusted: Caller, contributor: User, path: str, key: str
) -> None:
    response = as_untrusted.get(path, {"desc": "sideways"})

    assert_validation_error(response, "query", "desc")
