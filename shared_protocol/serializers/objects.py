"""Output serializers for the shared JSON objects of api.md §6 (API-OBJ-1 … API-OBJ-13).

Every serializer here is explicit (STYLE "What to avoid" 4) and duck-typed: it reads
attributes of whatever it is given — a model instance, a dataclass, or a dict (keys are
read like attributes) — and imports no app models. Names of the wire fields, their types
and their null-ness follow the spec exactly; the contract tests in
`tests/shared_protocol/` pin them with literal JSON.

Conventions for what selectors provide
--------------------------------------
Some wire fields depend on the request, not on the stored row. Selectors set them as plain
attributes (or dict keys) on the objects they return; the serializers read them with a
fallback when absent:

- `user_emojis` (list of emoji codes the acting user placed on a message; absent or None →
  `[]`) and `user_is_author` (bool; absent → `null`) on messages (ConversationMessage,
  Message) and `user_is_author` on revisions (MessageRevision). API-OBJ-4, API-OBJ-8.
- `identity` on a contributor, for FrontEndUser / User: the identity (a UserIdentity or any
  object with `username` and `auth_method`) through which the user was resolved in this
  request (AUTH-7). Wire `id` / `auth_method` are that identity's `username` /
  `auth_method`; without `identity`, the contributor's own `username` / `auth_method` (its
  primary identity). Wire `user_id` is the contributor's `id` (backend UUID); the other
  fields are read under their wire names (`display_name`, `enabled`, `deleted`, `notes`,
  `created_date`, `show_on_leaderboard`, `streak_days`, `streak_last_day_date`,
  `last_activity_date`, `tos_acceptance_date`).
- `Message.user`: filled only when the serializer context has `include_user=True`
  (API-MSG-2); then the message's `user` attribute (the author row; select it with
  `select_related("user")`) is written as a FrontEndUser, else `null`.
- `level` on a UserScore row (STAT-7, computed when the score is read) and `highlighted`
  (default false) on UserScore / TrollScore rows. A stats row (UserStats, TrollStats) can be
  passed directly: user fields it does not have itself (`username`, `auth_method`,
  `display_name`, streak and activity dates, `enabled`, `deleted`, `show_on_leaderboard`)
  are read from its `user`.
- `CachedStatsResponse.last_updated` is the object's `last_updated`, else its
  `modified_date` (a CachedStats row can be passed directly).

A ConversationMessage is written from a Message row (`is_assistant` derived from `role ==
"assistant"`, `emojis` `{}` when the stored aggregate is null) or from the stored wire dict
of a task payload (GEN-6), which already has `is_assistant`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from shared_protocol.enums import MessageRole
from shared_protocol.fields import ProtocolDateTimeField, ProtocolUUIDField

_MISSING: Any = object()  # "no default": `read` raises
_ABSENT: Any = object()  # a default that tells "absent" apart from a stored None


def read(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """`obj[name]` for a mapping, else `obj.name`; `default` when absent (else AttributeError)."""
    if isinstance(obj, Mapping):
        if name in obj:
            return obj[name]
    else:
        try:
            return getattr(obj, name)
        except AttributeError:
            pass
    if default is _MISSING:
        raise AttributeError(f"{type(obj).__name__} has no {name!r}")
    return default


# --- users (API-OBJ-1, API-OBJ-2) --------------------------------------------------------------


def _identity(user: Any) -> Any:
    """The identity the user was resolved through in this request, else the user itself."""
    identity = read(user, "identity", None)
    return user if identity is None else identity


class UserSerializer(serializers.Serializer[Any]):
    """User (API-OBJ-1): `{id, display_name, auth_method}`; `id` is the frontend user id."""

    id = serializers.SerializerMethodField()
    display_name = serializers.CharField()
    auth_method = serializers.SerializerMethodField()

    def get_id(self, obj: Any) -> str:
        return str(read(_identity(obj), "username"))

    def get_auth_method(self, obj: Any) -> str:
        return str(read(_identity(obj), "auth_method"))


class FrontEndUserSerializer(UserSerializer):
    """FrontEndUser (API-OBJ-2) = User + the contributor's backend id and flags."""

    user_id = ProtocolUUIDField(source="id")
    enabled = serializers.BooleanField()
    deleted = serializers.BooleanField()
    notes = serializers.CharField()
    created_date = ProtocolDateTimeField(allow_null=True)
    show_on_leaderboard = serializers.BooleanField()
    streak_days = serializers.IntegerField(allow_null=True)
    streak_last_day_date = ProtocolDateTimeField(allow_null=True)
    last_activity_date = ProtocolDateTimeField(allow_null=True)
    tos_acceptance_date = ProtocolDateTimeField(allow_null=True)


# --- messages (API-OBJ-4 … API-OBJ-8) ------------------------------------------------------------


class ConversationMessageSerializer(serializers.Serializer[Any]):
    """ConversationMessage (API-OBJ-4), from a Message row or a stored wire dict."""

    id = ProtocolUUIDField(allow_null=True)
    user_id = ProtocolUUIDField(allow_null=True)
    frontend_message_id = serializers.CharField(allow_null=True)
    text = serializers.CharField()
    lang = serializers.CharField(allow_null=True)
    is_assistant = serializers.SerializerMethodField()
    emojis = serializers.SerializerMethodField()
    user_emojis = serializers.SerializerMethodField()
    user_is_author = serializers.SerializerMethodField()
    synthetic = serializers.BooleanField(allow_null=True)

    def get_is_assistant(self, obj: Any) -> bool:
        stored = read(obj, "is_assistant", None)
        if stored is not None:
            return bool(stored)
        return bool(read(obj, "role", None) == MessageRole.ASSISTANT)

    def get_emojis(self, obj: Any) -> dict[str, int]:
        return {str(code): int(count) for code, count in (read(obj, "emojis", None) or {}).items()}

    def get_user_emojis(self, obj: Any) -> list[str]:
        return [str(code) for code in (read(obj, "user_emojis", None) or [])]

    def get_user_is_author(self, obj: Any) -> bool | None:
        value = read(obj, "user_is_author", None)
        return None if value is None else bool(value)


class ConversationSerializer(serializers.Serializer[Any]):
    """Conversation (API-OBJ-5), root first. Also accepts a list or queryset of messages."""

    messages = ConversationMessageSerializer(many=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if not isinstance(instance, Mapping) and not hasattr(instance, "messages"):
            instance = {"messages": list(instance)}  # a list or queryset of messages
        return super().to_representation(instance)


class MessageSerializer(ConversationMessageSerializer):
    """Message (API-OBJ-6) = ConversationMessage + tree, review and ranking fields + `user`."""

    parent_id = ProtocolUUIDField(allow_null=True)
    created_date = ProtocolDateTimeField(allow_null=True)
    review_result = serializers.BooleanField(allow_null=True)
    review_count = serializers.IntegerField(allow_null=True)
    deleted = serializers.BooleanField(allow_null=True)
    edited = serializers.BooleanField(allow_null=True)
    model_name = serializers.CharField(allow_null=True)
    message_tree_id = ProtocolUUIDField(allow_null=True)
    ranking_count = serializers.IntegerField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    user = serializers.SerializerMethodField()

    def get_user(self, obj: Any) -> dict[str, Any] | None:
        if not self.context.get("include_user"):
            return None
        author = read(obj, "user", None)
        if author is None:
            return None
        data: dict[str, Any] = FrontEndUserSerializer(author, context=self.context).data
        return data


class MessageTreeSerializer(serializers.Serializer[Any]):
    """MessageTree (API-OBJ-7): `{id, messages}`, a flat list ordered by (created_date, id)."""

    id = ProtocolUUIDField()
    messages = MessageSerializer(many=True)


class MessageRevisionSerializer(serializers.Serializer[Any]):
    """MessageRevision (API-OBJ-8)."""

    id = ProtocolUUIDField()
    text = serializers.CharField()
    message_id = ProtocolUUIDField()
    user_id = ProtocolUUIDField(allow_null=True)
    created_date = ProtocolDateTimeField(allow_null=True)
    user_is_author = serializers.SerializerMethodField()

    def get_user_is_author(self, obj: Any) -> bool | None:
        value = read(obj, "user_is_author", None)
        return None if value is None else bool(value)


# --- pages (API-PAGE-1, API-OBJ-9) --------------------------------------------------------------


class _PageSerializer(serializers.Serializer[Any]):
    """`{prev, next, sort_key, order, items}`; subclasses declare `items`."""

    prev = serializers.CharField(allow_null=True)
    next = serializers.CharField(allow_null=True)
    sort_key = serializers.CharField()
    order = serializers.CharField()


class MessagePageSerializer(_PageSerializer):
    items = MessageSerializer(many=True)


class FrontEndUserPageSerializer(_PageSerializer):
    items = FrontEndUserSerializer(many=True)


# --- trees and labels (API-OBJ-10, API-OBJ-11) ----------------------------------------------------


class MessageTreeStateResponseSerializer(serializers.Serializer[Any]):
    """MessageTreeStateResponse (API-OBJ-10); a MessageTreeState row can be passed directly."""

    message_tree_id = ProtocolUUIDField()
    state = serializers.CharField()
    goal_tree_size = serializers.IntegerField()
    max_depth = serializers.IntegerField()
    max_children_count = serializers.IntegerField()
    active = serializers.BooleanField()
    origin = serializers.CharField(allow_null=True)


class LabelDescriptionSerializer(serializers.Serializer[Any]):
    """LabelDescription (API-OBJ-11); see `shared_protocol.labels.describe`."""

    name = serializers.CharField()
    widget = serializers.CharField()
    display_text = serializers.CharField()
    # A wire field that shadows Field.help_text for the type checker only: the serializer
    # metaclass moves declared fields off the class.
    help_text = serializers.CharField(allow_null=True)  # type: ignore[assignment]


class ValidLabelsResponseSerializer(serializers.Serializer[Any]):
    """ValidLabelsResponse (API-OBJ-11): `{valid_labels: [LabelDescription]}`."""

    valid_labels = LabelDescriptionSerializer(many=True)


# --- statistics (API-OBJ-12, stats.md §3, §5, §6) -----------------------------------------------


class _RowWithUser:
    """A stats row whose missing attributes are read from its `user` (STAT-9, STAT-15)."""

    __slots__ = ("_row",)

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        value = read(self._row, name, _ABSENT)
        if value is not _ABSENT:
            return value
        user = read(self._row, "user", None)
        if user is None:
            raise AttributeError(name)
        return read(user, name)


class _UserRowSerializer(serializers.Serializer[Any]):
    def to_representation(self, instance: Any) -> dict[str, Any]:
        return super().to_representation(_RowWithUser(instance))


class SystemStatsSerializer(serializers.Serializer[Any]):
    """SystemStats (STAT-16)."""

    all = serializers.IntegerField()
    active = serializers.IntegerField()
    active_by_lang = serializers.DictField(child=serializers.IntegerField())
    deleted = serializers.IntegerField()
    message_trees = serializers.IntegerField()


class UserScoreSerializer(_UserRowSerializer):
    """UserScore (STAT-9). The row must provide `level` (STAT-7)."""

    rank = serializers.IntegerField(allow_null=True)
    user_id = ProtocolUUIDField()
    highlighted = serializers.BooleanField(default=False)
    username = serializers.CharField()
    auth_method = serializers.CharField()
    display_name = serializers.CharField()
    leader_score = serializers.IntegerField()
    level = serializers.IntegerField()
    base_date = ProtocolDateTimeField(allow_null=True)
    modified_date = ProtocolDateTimeField(allow_null=True)
    prompts = serializers.IntegerField()
    replies_assistant = serializers.IntegerField()
    replies_prompter = serializers.IntegerField()
    labels_simple = serializers.IntegerField()
    labels_full = serializers.IntegerField()
    rankings_total = serializers.IntegerField()
    rankings_good = serializers.IntegerField()
    accepted_prompts = serializers.IntegerField()
    accepted_replies_assistant = serializers.IntegerField()
    accepted_replies_prompter = serializers.IntegerField()
    reply_ranked_1 = serializers.IntegerField()
    reply_ranked_2 = serializers.IntegerField()
    reply_ranked_3 = serializers.IntegerField()
    streak_last_day_date = ProtocolDateTimeField(allow_null=True)
    streak_days = serializers.IntegerField(allow_null=True)
    last_activity_date = ProtocolDateTimeField(allow_null=True)


class LeaderboardStatsSerializer(serializers.Serializer[Any]):
    """LeaderboardStats (STAT-8, STAT-11)."""

    time_frame = serializers.CharField()
    last_updated = ProtocolDateTimeField()
    leaderboard = UserScoreSerializer(many=True)


class TrollScoreSerializer(_UserRowSerializer):
    """TrollScore (STAT-15); note the wire name `lang_mismach` (sic)."""

    rank = serializers.IntegerField(allow_null=True)
    user_id = ProtocolUUIDField()
    highlighted = serializers.BooleanField(default=False)
    username = serializers.CharField()
    auth_method = serializers.CharField()
    display_name = serializers.CharField()
    last_activity_date = ProtocolDateTimeField(allow_null=True)
    enabled = serializers.BooleanField()
    deleted = serializers.BooleanField()
    show_on_leaderboard = serializers.BooleanField()
    troll_score = serializers.IntegerField()
    base_date = ProtocolDateTimeField(allow_null=True)
    modified_date = ProtocolDateTimeField(allow_null=True)
    red_flags = serializers.IntegerField()
    upvotes = serializers.IntegerField()
    downvotes = serializers.IntegerField()
    spam_prompts = serializers.IntegerField()
    quality = serializers.FloatField(allow_null=True)
    humor = serializers.FloatField(allow_null=True)
    toxicity = serializers.FloatField(allow_null=True)
    violence = serializers.FloatField(allow_null=True)
    helpfulness = serializers.FloatField(allow_null=True)
    spam = serializers.IntegerField()
    lang_mismach = serializers.IntegerField()
    not_appropriate = serializers.IntegerField()
    pii = serializers.IntegerField()
    hate_speech = serializers.IntegerField()
    sexual_content = serializers.IntegerField()
    political_content = serializers.IntegerField()


class TrollboardStatsSerializer(serializers.Serializer[Any]):
    """TrollboardStats (STAT-15)."""

    time_frame = serializers.CharField()
    last_updated = ProtocolDateTimeField()
    trollboard = TrollScoreSerializer(many=True)


class CachedStatsResponseSerializer(serializers.Serializer[Any]):
    """CachedStatsResponse (STAT-18): `{name, last_updated, stats}`."""

    name = serializers.CharField()
    last_updated = serializers.SerializerMethodField()
    stats = serializers.JSONField()

    def get_last_updated(self, obj: Any) -> str:
        value = read(obj, "last_updated", None)
        if value is None:
            value = read(obj, "modified_date")
        return ProtocolDateTimeField().to_representation(value)


class AllCachedStatsResponseSerializer(serializers.Serializer[Any]):
    """AllCachedStatsResponse (STAT-18): `{stats_by_name: {name: CachedStatsResponse}}`.

    `stats_by_name` may be a mapping name → row or a list of rows (keyed by their `name`);
    a bare list or queryset of rows is accepted as the whole object.
    """

    stats_by_name = serializers.SerializerMethodField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if not isinstance(instance, Mapping) and not hasattr(instance, "stats_by_name"):
            instance = {"stats_by_name": list(instance)}  # a list or queryset of rows
        return super().to_representation(instance)

    def get_stats_by_name(self, obj: Any) -> dict[str, Any]:
        rows = read(obj, "stats_by_name")
        pairs = rows.items() if isinstance(rows, Mapping) else ((read(r, "name"), r) for r in rows)
        return {
            str(name): CachedStatsResponseSerializer(row, context=self.context).data
            for name, row in pairs
        }


class TreeMessageCountStatsSerializer(serializers.Serializer[Any]):
    """TreeMessageCountStats (STAT-17)."""

    message_tree_id = ProtocolUUIDField()
    state = serializers.CharField()
    depth = serializers.IntegerField()
    oldest = ProtocolDateTimeField()
    youngest = ProtocolDateTimeField()
    count = serializers.IntegerField()
    goal_tree_size = serializers.IntegerField()


class TreeManagerStatsSerializer(serializers.Serializer[Any]):
    """TreeManagerStats (STAT-17): `{state_counts, message_counts}`."""

    state_counts = serializers.DictField(child=serializers.IntegerField())
    message_counts = TreeMessageCountStatsSerializer(many=True)


# --- admin (API-OBJ-13) ---------------------------------------------------------------------------


class FlaggedMessageResponseSerializer(serializers.Serializer[Any]):
    """FlaggedMessageResponse (API-OBJ-13); a FlaggedMessage row can be passed directly."""

    message_id = ProtocolUUIDField()
    processed = serializers.BooleanField()
    created_date = ProtocolDateTimeField(allow_null=True)


class FlaggedMessagePageSerializer(_PageSerializer):
    items = FlaggedMessageResponseSerializer(many=True)


class PurgeResultModelSerializer(serializers.Serializer[Any]):
    """PurgeResultModel (API-OBJ-13); `duration` in seconds."""

    before = SystemStatsSerializer()
    after = SystemStatsSerializer()
    preview = serializers.BooleanField()
    duration = serializers.FloatField()


__all__ = [
    "AllCachedStatsResponseSerializer",
    "CachedStatsResponseSerializer",
    "ConversationMessageSerializer",
    "ConversationSerializer",
    "FlaggedMessagePageSerializer",
    "FlaggedMessageResponseSerializer",
    "FrontEndUserPageSerializer",
    "FrontEndUserSerializer",
    "LabelDescriptionSerializer",
    "LeaderboardStatsSerializer",
    "MessagePageSerializer",
    "MessageRevisionSerializer",
    "MessageSerializer",
    "MessageTreeSerializer",
    "MessageTreeStateResponseSerializer",
    "PurgeResultModelSerializer",
    "SystemStatsSerializer",
    "TreeManagerStatsSerializer",
    "TreeMessageCountStatsSerializer",
    "TrollScoreSerializer",
    "TrollboardStatsSerializer",
    "UserScoreSerializer",
    "UserSerializer",
    "ValidLabelsResponseSerializer",
    "read",
]
