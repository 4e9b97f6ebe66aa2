"""Contributors: resolving frontend identities to users, and moderators' updates.

AUTH-5 … AUTH-8, MOD-1, MOD-2, TREE-14.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shared_protocol.enums import AuthMethod
from shared_protocol.errors import DomainError, ErrorCode
from users.models import User, UserIdentity
from users.selectors import identity_get
from users.signals import user_created, user_updated

if TYPE_CHECKING:
    from uuid import UUID

    from users.models import ApiClient

# Fields a moderator may change through MOD-1 / API-FUSR-3.
USER_UPDATABLE_FIELDS = frozenset(
    {"display_name", "enabled", "notes", "show_on_leaderboard", "tos_acceptance_date"}
)


@dataclass(frozen=True)
class ResolvedUser:
    """A contributor and the identity the request named (AUTH-7: responses echo it)."""

    user: User
    identity: UserIdentity


def _create_user(
    *, client: ApiClient, auth_method: str, username: str, display_name: str
) -> UserIdentity:
    now = timezone.now()
    system = auth_method == AuthMethod.SYSTEM
    user = User.objects.create(
        username=username,
        auth_method=auth_method,
        display_name=display_name,
        api_client=client,
        created_date=now,
        # STAT-12: activity and streak start at creation.
        last_activity_date=now,
        streak_last_day_date=now,
        show_on_leaderboard=not system,
        tos_acceptance_date=now if system else None,
    )
    identity = UserIdentity.objects.create(
        user=user,
        api_client=client,
        auth_method=auth_method,
        username=username,
        is_primary=True,
        created_date=now,
    )
    user_created.send(sender=User, user=user, api_client_id=client.pk)
    return identity


def user_resolve_or_create(
    *,
    client: ApiClient,
    auth_method: str,
    username: str,
    display_name: str,
    known: UserIdentity | None = None,
) -> ResolvedUser:
    """The user behind a `user` body object, created when unknown (AUTH-5).

    `known` is the identity when the caller has just read it (identity_get), saving the
    lookup; without it the identity is looked up here.

    Commits on its own (call it outside the request's main transaction): user creation
    and display-name updates stand even when the rest of the request fails. Concurrent
    first requests for one identity yield one user: the loser of the unique-constraint
    race reads the winner's row.
    """
    if not username:
        raise DomainError(ErrorCode.AUTH_AND_USERNAME_REQUIRED, "The user id must not be empty")
    identity = known or identity_get(
        client_id=client.pk, auth_method=auth_method, username=username
    )
    if identity is None:
        try:
            with transaction.atomic():
                identity = _create_user(
                    client=client,
                    auth_method=auth_method,
                    username=username,
                    display_name=display_name,
                )
        except IntegrityError:
            identity = identity_get(client_id=client.pk, auth_method=auth_method, username=username)
            if identity is None:
                raise
        return ResolvedUser(user=identity.user, identity=identity)
    user = identity.user
    if identity.is_primary and display_name and display_name != user.display_name:
        User.objects.filter(pk=user.pk).update(display_name=display_name)
        user.display_name = display_name
    return ResolvedUser(user=user, identity=identity)


def parse_user_header(value: str | None) -> tuple[str, str] | None:
    """`<auth_method>:<id>` split at the first colon; None when absent or malformed (AUTH-6)."""
    if not value or ":" not in value or "\x00" in value:
        return None
    auth_method, username = value.split(":", 1)
    if auth_method not in AuthMethod.values or not username:
        return None
    return auth_method, username


def user_from_header(*, client: ApiClient, value: str | None) -> ResolvedUser | None:
    """The user an `x-oasst-user` value names; None for no (or a malformed) value.

    A well-formed value that names no identity of the calling client is 404 / 4002;
    this never creates users (AUTH-6).
    """
    parsed = parse_user_header(value)
    if parsed is None:
        return None
    identity = identity_get(client_id=client.pk, auth_method=parsed[0], username=parsed[1])
    if identity is None:
        raise DomainError(ErrorCode.USER_NOT_FOUND, "User not found")
    return ResolvedUser(user=identity.user, identity=identity)


def user_ensure_can_act(user: User) -> None:
    """Disabled and deleted users cannot act (4001); ToS when enforced (4003) — AUTH-8."""
    if not user.enabled or user.deleted:
        raise DomainError(ErrorCode.USER_DISABLED, "This user is disabled")
    if not settings.DEBUG_IGNORE_TOS_ACCEPTANCE and user.tos_acceptance_date is None:
        raise DomainError(
            ErrorCode.USER_HAS_NOT_ACCEPTED_TOS, "This user has not accepted the terms of service"
        )


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def user_update(
    *,
    user: User,
    changes: dict[str, Any],
    api_client_id: UUID | None = None,
    actor_user_id: UUID | None = None,
    account_id: UUID | None = None,
) -> User:
    """Apply a moderator's changes to a user (MOD-1, MOD-2), journaled (MOD-21).

    Disabling halts the user's prompts waiting in the lottery in the same transaction
    (TREE-14); enabling or showing/hiding changes who is ranked (STAT-4).
    """
    unknown = set(changes) - USER_UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"not updatable on a user: {', '.join(sorted(unknown))}")
    from stats.services import leaderboard_recompute_ranks  # stats depends on users
    from trees.services.authors import trees_halt_waiting_prompts_of

    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        before = {name: getattr(current, name) for name in changes}
        changed = {name: value for name, value in changes.items() if before[name] != value}
        if changed:
            User.objects.filter(pk=user.pk).update(**changed)
            for name, value in changed.items():
                setattr(current, name, value)
            if changed.get("enabled") is False:
                trees_halt_waiting_prompts_of(
                    user_ids=[user.pk], cause="author_disabled", api_client_id=api_client_id
                )
            if {"enabled", "show_on_leaderboard"} & changed.keys():
                leaderboard_recompute_ranks()
            user_updated.send(
                sender=User,
                user=current,
                before={name: _jsonable(before[name]) for name in changed},
                after={name: _jsonable(value) for name, value in changed.items()},
                actor_user_id=actor_user_id,
                api_client_id=api_client_id,
                account_id=account_id,
            )
    return current


# What a new user starts with, for deciding what an upsert would change (API-FUSR-3).
_NEW_USER_FLAGS = {"enabled": True, "show_on_leaderboard": True, "notes": ""}


def frontend_user_upsert(
    *,
    client: ApiClient,
    auth_method: str,
    username: str,
    display_name: str,
    fields: dict[str, Any],
) -> ResolvedUser:
    """Resolve or create the user, then apply the flags present in the body (API-FUSR-3).

    `fields` holds only the keys present in the body among `enabled`,
    `show_on_leaderboard`, `notes` and `tos_acceptance`. Absent fields change nothing, so
    a routine upsert never re-enables or re-shows a user (IMP-11). Changing a flag needs a
    trusted client: otherwise 403 / 2 and nothing is changed, not even created.
    """
    existing = identity_get(client_id=client.pk, auth_method=auth_method, username=username)
    stored = existing.user if existing is not None else None
    changes = _upsert_changes(stored, fields)
    if changes and not client.trusted:
        raise DomainError(
            ErrorCode.API_CLIENT_NOT_AUTHORIZED, "Only trusted clients may change user flags"
        )
    resolved = user_resolve_or_create(
        client=client, auth_method=auth_method, username=username, display_name=display_name
    )
    changes = _upsert_changes(resolved.user, fields)  # against the row as it is now
    if changes:
        user = user_update(user=resolved.user, changes=changes, api_client_id=client.pk)
        return ResolvedUser(user=user, identity=resolved.identity)
    return resolved


def _upsert_changes(user: User | None, fields: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("enabled", "show_on_leaderboard", "notes"):
        value = fields.get(name)
        if value is None:
            continue
        current = getattr(user, name) if user is not None else _NEW_USER_FLAGS[name]
        if value != current:
            changes[name] = value
    if fields.get("tos_acceptance") is True and (user is None or user.tos_acceptance_date is None):
        changes["tos_acceptance_date"] = timezone.now()
    return changes
