"""Login accounts, API clients, contributors and their identities (DATA-1 … DATA-3)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone

from shared_protocol.enums import AuthMethod

KEY_HASH_LENGTH = 64  # SHA-256 hex (DATA-1)


class Account(AbstractUser):
    """A person's login to Canopy's web pages and the admin (AUTH-9), via django-allauth.

    Not the contributor of the API: that is `User`, linked through `User.account`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        db_table = "account"
        ordering = ("username", "id")
        verbose_name = "login account"


class ApiClient(models.Model):
    """A frontend (website, bot, importer) that calls the API with a key (DATA-1, AUTH-1).

    Only the SHA-256 of the key is stored; the key is shown once, when it is created.
    """

    IMPORT_CLIENT_ID = uuid.UUID("bd8fde8b-1d8e-4e9a-9966-e96d000f8363")  # EXP-14

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key_prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=KEY_HASH_LENGTH, unique=True, editable=False)
    description = models.CharField(max_length=256)
    admin_email = models.CharField(max_length=256, null=True, blank=True)
    enabled = models.BooleanField(default=True)
    trusted = models.BooleanField(default=False)
    frontend_type = models.CharField(max_length=256, null=True, blank=True)
    created_date = models.DateTimeField(default=timezone.now, editable=False)
    last_used_date = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "api_client"
        ordering = ("created_date", "id")
        verbose_name = "API client"
        constraints = [
            # The length check matters on SQLite, where `$` also matches before a final
            # newline and varchar lengths are not enforced.
            models.CheckConstraint(
                condition=Q(
                    Exact(Length("key_hash"), KEY_HASH_LENGTH), key_hash__regex=r"^[0-9a-f]{64}$"
                ),
                name="api_client_key_hash_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.key_prefix}…)"


class UserQuerySet(models.QuerySet["User"]):
    def visible(self) -> UserQuerySet:
        """Users the API can see: merged-away tombstones are invisible (MOD-8)."""
        return self.filter(merged_into__isnull=True)


class User(models.Model):
    """A contributor: the volunteer behind tasks, messages and labels (DATA-2).

    Identified on the wire by `(api_client, auth_method, username)` through its
    identities (AUTH-7). Never hard-deleted: deletion anonymises (MOD-3).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(max_length=128)
    auth_method = models.CharField(
        max_length=128, choices=AuthMethod.choices, default=AuthMethod.LOCAL
    )
    display_name = models.CharField(max_length=256)
    api_client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="users")
    created_date = models.DateTimeField(default=timezone.now)
    enabled = models.BooleanField(default=True)
    deleted = models.BooleanField(default=False)
    notes = models.CharField(max_length=1024, default="", blank=True)
    show_on_leaderboard = models.BooleanField(default=True)
    streak_last_day_date = models.DateTimeField(null=True, blank=True)
    streak_days = models.IntegerField(null=True, blank=True)
    last_activity_date = models.DateTimeField(null=True, blank=True)
    tos_acceptance_date = models.DateTimeField(null=True, blank=True)
    account = models.OneToOneField(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributor",
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_users"
    )

    objects = UserQuerySet.as_manager()

    class Meta:
        db_table = "user"
        ordering = ("display_name", "id")
        verbose_name = "contributor"
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "username", "auth_method"],
                name="user_api_client_username_auth_method_key",
            ),
            models.UniqueConstraint(fields=["display_name", "id"], name="user_display_name_id_key"),
            models.CheckConstraint(
                condition=Q(auth_method__in=AuthMethod.values), name="user_auth_method_valid"
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="user_not_merged_into_itself"
            ),
        ]
        indexes = [
            models.Index(fields=["username", "id"], name="user_username_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.auth_method}:{self.username})"


class UserIdentity(models.Model):
    """One frontend identity `(client, auth_method, username)` of a contributor (DATA-3).

    Every user has exactly one primary identity, equal to its own
    `(api_client, auth_method, username)`; more are added by account linking (AUTH-10).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    api_client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="identities")
    auth_method = models.CharField(max_length=128, choices=AuthMethod.choices)
    username = models.CharField(max_length=128)
    is_primary = models.BooleanField(default=False)
    created_date = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "user_identity"
        ordering = ("created_date", "id")
        verbose_name_plural = "user identities"
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "auth_method", "username"],
                name="user_identity_api_client_auth_method_username_key",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_primary=True),
                name="user_identity_one_primary_per_user",
            ),
            models.CheckConstraint(
                condition=Q(auth_method__in=AuthMethod.values),
                name="user_identity_auth_method_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.auth_method}:{self.username}"
