"""Messages, conversation trees and their side tables (DATA-4, 5, 9 … 12, 16)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from shared_protocol.enums import EmojiCode, MessageRole
from shared_protocol.envelope import unwrap, wrap
from shared_protocol.ids import uuid7
from trees.fields import SearchVectorColumn
from users.models import ApiClient, User

MESSAGE_PAYLOAD = "MessagePayload"


class TreeState(models.TextChoices):
    """The ten tree states (TREE-1)."""

    INITIAL_PROMPT_REVIEW = "initial_prompt_review", "Initial prompt review"
    GROWING = "growing", "Growing"
    RANKING = "ranking", "Ranking"
    READY_FOR_SCORING = "ready_for_scoring", "Ready for scoring"
    READY_FOR_EXPORT = "ready_for_export", "Ready for export"  # final
    SCORING_FAILED = "scoring_failed", "Scoring failed"  # final
    ABORTED_LOW_GRADE = "aborted_low_grade", "Aborted (low grade)"  # final
    HALTED_BY_MODERATOR = "halted_by_moderator", "Halted by moderator"  # final
    PROMPT_LOTTERY_WAITING = "prompt_lottery_waiting", "Prompt lottery waiting"  # parking
    BACKLOG_RANKING = "backlog_ranking", "Backlog ranking"  # parking


S = TreeState
ACTIVE_STATES: frozenset[TreeState] = frozenset(
    {S.INITIAL_PROMPT_REVIEW, S.GROWING, S.RANKING, S.READY_FOR_SCORING}
)
FINAL_STATES: frozenset[TreeState] = frozenset(
    {S.READY_FOR_EXPORT, S.SCORING_FAILED, S.ABORTED_LOW_GRADE, S.HALTED_BY_MODERATOR}
)
PARKING_STATES: frozenset[TreeState] = frozenset({S.PROMPT_LOTTERY_WAITING, S.BACKLOG_RANKING})


class Message(models.Model):
    """One message of a conversation tree (DATA-4). The tree id is the root's id (GEN-3)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by message_parent_created_idx, which leads with parent_id.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        db_index=False,
    )
    message_tree_id = models.UUIDField(db_index=True)
    task_id = models.UUIDField(null=True, blank=True, db_index=True)
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,  # message_user_created_idx leads with user_id
    )
    role = models.CharField(max_length=128, choices=MessageRole.choices)
    api_client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="messages")
    frontend_message_id = models.CharField(max_length=200)
    created_date = models.DateTimeField(default=timezone.now, db_index=True)
    payload_type = models.CharField(max_length=200, default=MESSAGE_PAYLOAD)
    payload = models.JSONField()
    lang = models.CharField(max_length=32, default="en")
    depth = models.IntegerField(default=0)
    children_count = models.IntegerField(default=0)
    deleted = models.BooleanField(default=False)
    deletion_batch_id = models.UUIDField(null=True, blank=True)
    search_vector = SearchVectorColumn(null=True, blank=True, editable=False)
    review_count = models.IntegerField(default=0)
    review_result = models.BooleanField(null=True, blank=True)
    ranking_count = models.IntegerField(default=0)
    rank = models.IntegerField(null=True, blank=True)
    synthetic = models.BooleanField(default=False)
    edited = models.BooleanField(default=False)
    model_name = models.CharField(max_length=1024, null=True, blank=True)
    emojis = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "message"
        ordering = ("created_date", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "frontend_message_id"],
                name="message_api_client_frontend_message_id_key",
            ),
            models.CheckConstraint(
                condition=Q(role__in=MessageRole.values), name="message_role_valid"
            ),
            # A root has no parent, depth 0 and is its own tree; a reply has a parent.
            models.CheckConstraint(
                condition=(
                    Q(parent__isnull=True, depth=0, message_tree_id=F("id"))
                    | Q(parent__isnull=False, depth__gt=0)
                ),
                name="message_root_shape",
            ),
            models.CheckConstraint(
                condition=Q(children_count__gte=0, review_count__gte=0, ranking_count__gte=0),
                name="message_counters_non_negative",
            ),
        ]
        indexes = [
            # Children of a parent in display order (API-MSG-8, TREE-25 active children).
            models.Index(fields=["parent", "created_date"], name="message_parent_created_idx"),
            # A user's messages by time (STAT-2, duplicate-text window TREE-45).
            models.Index(fields=["user", "created_date"], name="message_user_created_idx"),
            # Roots under review per language (TREE-22).
            models.Index(
                fields=["lang", "created_date"],
                condition=Q(parent__isnull=True),
                name="message_root_lang_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} message {self.id}"

    @property
    def text(self) -> str:
        """The message text, read from its `MessagePayload` envelope (GEN-6)."""
        text: str = unwrap(self.payload, MESSAGE_PAYLOAD)["text"]
        return text

    @text.setter
    def text(self, value: str) -> None:
        self.payload_type = MESSAGE_PAYLOAD
        self.payload = wrap(MESSAGE_PAYLOAD, {"text": value})

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class MessageTreeState(models.Model):
    """The state of one conversation tree (DATA-5). Written only by the transition function."""

    message_tree = models.OneToOneField(
        Message,
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="tree_state",
        db_column="message_tree_id",
    )
    goal_tree_size = models.IntegerField()
    max_depth = models.IntegerField()
    max_children_count = models.IntegerField()
    state = models.CharField(max_length=128, choices=TreeState.choices)
    active = models.BooleanField()
    origin = models.CharField(max_length=1024, null=True, blank=True)
    won_prompt_lottery_date = models.DateTimeField(null=True, blank=True)
    lang = models.CharField(max_length=32)
    state_changed_date = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "message_tree_state"
        ordering = ("message_tree_id",)
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=TreeState.values), name="message_tree_state_state_valid"
            ),
            # TREE-1: `active` is a function of the state and must always agree with it.
            models.CheckConstraint(
                condition=(
                    Q(active=True, state__in=sorted(s.value for s in ACTIVE_STATES))
                    | Q(
                        active=False,
                        state__in=sorted(s.value for s in FINAL_STATES | PARKING_STATES),
                    )
                ),
                name="message_tree_state_active_matches_state",
            ),
            models.CheckConstraint(
                condition=Q(goal_tree_size__gte=0, max_depth__gte=0, max_children_count__gte=0),
                name="message_tree_state_sizes_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "lang"], name="mts_state_lang_idx"),
            # Candidate queries only ever look at active trees (TREE-22 … TREE-27).
            models.Index(
                fields=["lang", "state"], condition=Q(active=True), name="mts_active_lang_state_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"tree {self.message_tree_id} ({self.state})"


class TreeMessage(models.Model):
    """A message's entry in the candidate index: its language, role and its tree's state.

    Next-task selection looks for the messages of one language in growing (or ranking)
    trees. Joining every active tree to its messages costs a probe per active tree of any
    language; this table answers the question with one index range instead, whatever the
    number of trees. It is derived data, written only by trees/services/tree_index.py:
    an entry is added with its message, and `tree_state` is rewritten for the whole tree
    by the transition function (in the transition's transaction). Candidate queries still
    test the tree's real state, so an entry can only make a message *considered*, never
    offered wrongly; check_invariants reports and repairs drift.
    """

    message = models.OneToOneField(
        Message,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="index_entry",
        db_column="message_id",
    )
    message_tree_id = models.UUIDField(db_index=True)
    lang = models.CharField(max_length=32)
    role = models.CharField(max_length=128, choices=MessageRole.choices)
    # Null while the tree has no state row (a root between insert and T1, TREE-5).
    tree_state = models.CharField(max_length=128, choices=TreeState.choices, null=True)

    class Meta:
        db_table = "tree_message"
        ordering = ("message_id",)
        indexes = [
            # Covering: a kind's messages of one language are an index-only range.
            models.Index(
                fields=["tree_state", "lang", "role", "message"], name="tree_message_state_lang_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"index entry of message {self.message_id} ({self.tree_state})"


class MessageRevision(models.Model):
    """An earlier text of an edited message (DATA-11). Time-ordered ids (GEN-3)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    payload = models.JSONField()
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="revisions")
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_date = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "message_revision"
        ordering = ("id",)

    def __str__(self) -> str:
        return f"revision {self.id} of {self.message_id}"

    @property
    def text(self) -> str:
        text: str = unwrap(self.payload, MESSAGE_PAYLOAD)["text"]
        return text


class MessageEmoji(models.Model):
    """One user's emoji on one message (DATA-9); aggregated into `Message.emojis`.

    The logical key `(message, user, emoji)` is a unique constraint rather than a
    composite primary key, so that the admin can list the rows (Django 5.2's admin
    does not support composite keys).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="emoji_rows")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="emoji_rows", db_index=False
    )  # message_emoji_user_msg_idx leads with user_id
    emoji = models.CharField(max_length=128, choices=EmojiCode.choices)
    created_date = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "message_emoji"
        ordering = ("created_date", "id")
        verbose_name = "message emoji"
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="message_emoji_message_user_emoji_key"
            ),
            models.CheckConstraint(
                condition=Q(emoji__in=EmojiCode.values), name="message_emoji_emoji_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "message"], name="message_emoji_user_msg_idx")]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class FlaggedMessage(models.Model):
    """A message in the moderators' flagged queue (DATA-10, MOD-16)."""

    message = models.OneToOneField(
        Message, primary_key=True, on_delete=models.CASCADE, related_name="flag"
    )
    processed = models.BooleanField(default=False)
    created_date = models.DateTimeField(default=timezone.now)
    processed_date = models.DateTimeField(null=True, blank=True)
    processed_by_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "flagged_message"
        ordering = ("-created_date", "message_id")
        indexes = [
            models.Index(fields=["processed", "created_date"], name="flagged_processed_created_idx")
        ]

    def __str__(self) -> str:
        return f"flag on {self.message_id}"


class MessageToxicity(models.Model):
    """Toxicity score of a message by one model (DATA-12, optional ML side table)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="toxicities")
    model = models.CharField(max_length=256)
    score = models.FloatField()
    label = models.CharField(max_length=256)
    created_date = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "message_toxicity"
        ordering = ("message_id", "model")
        verbose_name_plural = "message toxicities"
        constraints = [
            models.UniqueConstraint(fields=["message", "model"], name="message_toxicity_key")
        ]

    def __str__(self) -> str:
        return f"{self.model} toxicity of {self.message_id}"


class MessageEmbedding(models.Model):
    """Embedding of a message by one model (DATA-12); a JSON array of floats on both databases."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="embeddings")
    model = models.CharField(max_length=256)
    embedding = models.JSONField()
    created_date = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "message_embedding"
        ordering = ("message_id", "model")
        constraints = [
            models.UniqueConstraint(fields=["message", "model"], name="message_embedding_key")
        ]

    def __str__(self) -> str:
        return f"{self.model} embedding of {self.message_id}"


class TreeManagerSettings(models.Model):
    """The single row of global tree-manager overrides (DATA-16, GEN-10).

    `overrides` maps parameter names (trees.parameters) to values; a missing name
    inherits the environment default. Edited in the admin, validated per TREE-81.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    overrides = models.JSONField(default=dict, blank=True)
    updated_date = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_column="updated_by",
    )

    class Meta:
        db_table = "tree_manager_settings"
        ordering = ("id",)
        verbose_name = "tree-manager settings"
        verbose_name_plural = "tree-manager settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(singleton=True), name="tree_manager_settings_single_row"
            )
        ]

    def __str__(self) -> str:
        return "Global tree-manager overrides"


class LanguageSettings(models.Model):
    """Per-language overrides and the prompt-intake switch (DATA-16, MOD-20, IMP-29)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lang = models.CharField(max_length=32, unique=True)
    accept_initial_prompts = models.BooleanField(default=True)
    overrides = models.JSONField(default=dict, blank=True)
    updated_date = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_column="updated_by",
    )

    class Meta:
        db_table = "language_settings"
        ordering = ("lang",)
        verbose_name = "language settings"
        verbose_name_plural = "language settings"

    def __str__(self) -> str:
        return f"Settings for {self.lang}"


def message_payload(text: str) -> dict[str, Any]:
    """The stored envelope of a message text (GEN-6)."""
    return dict(wrap(MESSAGE_PAYLOAD, {"text": text}))
