"""Reads for API clients and contributors."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import F, Q, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

from config.prepared import Prepared
from shared_protocol.cursors import Page, Position, page
from shared_protocol.errors import DomainError, ErrorCode
from users.keys import api_key_hash
from users.models import ApiClient, User, UserIdentity

if TYPE_CHECKING:
    from django.db.models import QuerySet


def api_client_get_by_key(*, key: str) -> ApiClient | None:
    """The API client whose key is `key`, enabled or not; None when no client has it."""
    if not key:
        return None
    return api_client_get_by_hash(key_hash=api_key_hash(key))


def api_client_get_by_hash(*, key_hash: str) -> ApiClient | None:
    """The API client whose stored key hash is `key_hash`, or None."""
    return ApiClient.objects.filter(key_hash=key_hash).order_by().first()


def identity_get(*, client_id: UUID, auth_method: str, username: str) -> UserIdentity | None:
    """The identity `(client, auth_method, username)` with its user, or None (AUTH-7).

    Merged-away users never own identities (merges move them), so the user is live.
    """
    return _IDENTITY.first(client_id=client_id, auth_method=auth_method, username=username)


# Every task request and submission reads it (config/prepared.py).
_IDENTITY: Prepared[UserIdentity] = Prepared(
    lambda client_id, auth_method, username: (
        UserIdentity.objects.select_related("user")
        .filter(api_client_id=client_id, auth_method=auth_method, username=username)
        .order_by()[:1]
    ),
    client_id=UUID,
    auth_method=str,
    username=str,
)


def user_scope(*, client: ApiClient, api_client_id: UUID | None) -> UUID | None:
    """The client whose users a request may see (AUTH-3), or None for all clients.

    Untrusted clients are sandboxed to their own users; naming another client's id is
    403 / 2. Trusted clients see all clients' users unless they name one.
    """
    if api_client_id is not None and api_client_id != client.pk and not client.trusted:
        raise DomainError(
            ErrorCode.API_CLIENT_NOT_AUTHORIZED, "Only trusted clients may read other clients"
        )
    if api_client_id is not None:
        return api_client_id
    return None if client.trusted else client.pk


def user_get(*, user_id: UUID, scope: UUID | None) -> User:
    """A visible user by id within `scope`; 404 / 4002 otherwise (API-USR-4)."""
    users = User.objects.visible().filter(pk=user_id)
    if scope is not None:
        users = users.filter(api_client_id=scope)
    user = users.first()
    if user is None:
        raise DomainError(ErrorCode.USER_NOT_FOUND, "User not found")
    return user


def user_get_by_identity(*, client_id: UUID, auth_method: str, username: str) -> User:
    """The user of an identity, carrying it as `.identity` (AUTH-7); 404 / 4002 otherwise."""
    identity = identity_get(client_id=client_id, auth_method=auth_method, username=username)
    if identity is None:
        raise DomainError(ErrorCode.USER_NOT_FOUND, "User not found")
    user = identity.user
    user.identity = identity  # type: ignore[attr-defined]  # FrontEndUser echoes it
    return user


def _literal_contains(field: str, text: str) -> Q:
    """Case-sensitive substring match with no wildcards, on both databases (API-USR-1).

    StrIndex is INSTR on SQLite and STRPOS on PostgreSQL: both case-sensitive and literal,
    unlike `contains`, which is LIKE (case-insensitive for ASCII) on SQLite.
    """
    return Q(GreaterThan(StrIndex(F(field), Value(text)), 0))


def user_list(
    *,
    scope: UUID | None,
    key: str,
    gte: str | None = None,
    gt_id: UUID | None = None,
    lte: str | None = None,
    lt_id: UUID | None = None,
    search_text: str | None = None,
    auth_method: str | None = None,
    max_count: int = 100,
    desc: bool = False,
) -> list[User]:
    """Users ordered by (`key`, id) within explicit keyset bounds (API-USR-1/2, API-PAGE-5).

    `gt_id` refines `gte` and `lt_id` refines `lte` into strict pair bounds; an id bound
    without its key bound is 400 / 0.
    """
    if (gt_id is not None and gte is None) or (lt_id is not None and lte is None):
        raise DomainError(ErrorCode.GENERIC_ERROR, "An id bound needs its key bound")
    users = _user_filter(scope=scope, search_text=search_text, key=key, auth_method=auth_method)
    if gte is not None:
        users = users.filter(
            Q(**{f"{key}__gte": gte})
            if gt_id is None
            else Q(**{f"{key}__gt": gte}) | Q(**{key: gte, "id__gt": gt_id})
        )
    if lte is not None:
        users = users.filter(
            Q(**{f"{key}__lte": lte})
            if lt_id is None
            else Q(**{f"{key}__lt": lte}) | Q(**{key: lte, "id__lt": lt_id})
        )
    ordering = (f"-{key}", "-id") if desc else (key, "id")
    return list(users.order_by(*ordering)[:max_count])


def _user_filter(
    *, scope: UUID | None, search_text: str | None, key: str, auth_method: str | None
) -> QuerySet[User]:
    users = User.objects.visible()
    if scope is not None:
        users = users.filter(api_client_id=scope)
    if auth_method:
        users = users.filter(auth_method=auth_method)
    if search_text:
        users = users.filter(_literal_contains(key, search_text))
    return users


USER_SORT_KEYS = ("username", "display_name")


def user_page(
    *,
    scope: UUID | None,
    sort_key: str,
    before: Position | None,
    after: Position | None,
    max_count: int,
    search_text: str | None = None,
    auth_method: str | None = None,
) -> Page:
    """A FrontEndUserPage (API-PAGE-4): ascending by (`sort_key`, id)."""
    if sort_key not in USER_SORT_KEYS:
        raise DomainError(ErrorCode.SORT_KEY_UNSUPPORTED, f"Unsupported sort key {sort_key!r}")
    users = _user_filter(scope=scope, search_text=search_text, key=sort_key, auth_method=None)
    if auth_method:
        users = users.filter(auth_method=auth_method)
    return page(
        users,
        key_field=sort_key,
        sort_key=sort_key,
        before=before,
        after=after,
        max_count=max_count,
        desc=False,
    )
