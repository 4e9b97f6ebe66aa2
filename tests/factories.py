"""Factories for every model: valid *starting* states for tests (STYLE practice 11).

Typed the cookiecutter way: `XFactory(DjangoModelFactory[X])`, and tests call `.create()` or
`.build()` explicitly so that mypy knows the result is an `X`. Anything that happens after the
starting state (transitions, submissions, moderation) goes through the real services.

Payloads are GEN-6 envelopes built with the envelope helpers; pass the inner fields (`text=`
for messages and revisions, `fields=` for tasks, reactions and journal rows) rather than a raw
`payload`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import factory
from django.db.models import F
from django.utils import timezone
from factory.django import DjangoModelFactory, Password

from journal.models import Journal
from shared_protocol.enums import (
    AuthMethod,
    CachedStatsName,
    EmojiCode,
    MessageRole,
    TextLabel,
    TimeFrame,
)
from shared_protocol.envelope import wrap
from stats.models import CachedStats, TrollStats, UserStats, UserStatsDirty
from tasks.models import TASK_PAYLOAD_TYPES, MessageReaction, Task, TextLabels
from trees.models import (
    ACTIVE_STATES,
    MESSAGE_PAYLOAD,
    FlaggedMessage,
    LanguageSettings,
    Message,
    MessageEmbedding,
    MessageEmoji,
    MessageRevision,
    MessageToxicity,
    MessageTreeState,
    TreeManagerSettings,
    TreeState,
    message_payload,
)
from trees.services.tree_index import tree_index_add, tree_index_set_state
from users.keys import KEY_PREFIX_LENGTH, api_key_generate, api_key_hash
from users.models import Account, ApiClient, User, UserIdentity

if TYPE_CHECKING:
    from django.db import models

ACCOUNT_PASSWORD = "correct-horse-battery-staple-for-tests"


def _model_default_pk(model: type[models.Model]) -> Any:
    """A fresh primary key from the model's own default (uuid4, or uuid7 where GEN-3 says so).

    Factories that need the id before the insert (a root is its own tree) declare it with
    this, so the id still comes from the model and not from the factory.
    """
    pk = model._meta.pk
    assert pk is not None
    return pk.get_default()


def _task_fields(payload_type: str) -> dict[str, Any]:
    """Minimal wire fields of a task of `payload_type` (GEN-6 table)."""
    task_type = TASK_PAYLOAD_TYPES.get(payload_type, payload_type)
    if payload_type == "InitialPromptPayload":
        return {"type": task_type, "hint": None}
    if payload_type in ("PrompterReplyPayload", "AssistantReplyPayload"):
        return {"type": task_type, "conversation": {"messages": []}, "hint": None}
    return {"type": task_type}


# --- users (DATA-1 … DATA-3) -----------------------------------------------------------------


class AccountFactory(DjangoModelFactory[Account]):
    """A login account (AUTH-9); its password is ACCOUNT_PASSWORD."""

    class Meta:
        model = Account

    username = factory.Sequence(lambda n: f"account-{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = Password(ACCOUNT_PASSWORD)

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)


class ApiClientFactory(DjangoModelFactory[ApiClient]):
    """An enabled, untrusted API client whose stored hash matches a real key (DATA-1, AUTH-1).

    The plaintext key is the `key` parameter: pass `key=...` to choose it, or use
    `create_with_key()` to get a random one back together with the client.
    """

    class Meta:
        model = ApiClient

    class Params:
        key = factory.LazyFunction(api_key_generate)
        trusted_client = factory.Trait(trusted=True, description="Trusted test frontend")
        disabled = factory.Trait(enabled=False)
        import_client = factory.Trait(
            id=ApiClient.IMPORT_CLIENT_ID, description="Import", frontend_type="import"
        )

    key_prefix = factory.LazyAttribute(lambda o: o.key[:KEY_PREFIX_LENGTH])
    key_hash = factory.LazyAttribute(lambda o: api_key_hash(o.key))
    description = factory.Sequence(lambda n: f"Test frontend {n}")
    admin_email = factory.Sequence(lambda n: f"frontend-admin-{n}@example.org")
    frontend_type = "web"

    @classmethod
    def create_with_key(cls, **kwargs: Any) -> tuple[ApiClient, str]:
        """Create a client and return it with the plaintext key that authenticates it."""
        key: str = kwargs.pop("key", None) or api_key_generate()
        return cls.create(key=key, **kwargs), key


class UserIdentityFactory(DjangoModelFactory[UserIdentity]):
    """A linked, non-primary identity of an existing contributor (DATA-3, AUTH-10).

    The primary identity is made by UserFactory itself.
    """

    class Meta:
        model = UserIdentity

    user = factory.SubFactory("tests.factories.UserFactory")
    api_client = factory.SelfAttribute("user.api_client")
    auth_method = AuthMethod.DISCORD
    username = factory.Sequence(lambda n: f"linked-identity-{n}")
    is_primary = False


class UserFactory(DjangoModelFactory[User]):
    """An enabled local contributor with its primary identity (DATA-2, DATA-3)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        disabled = factory.Trait(enabled=False)
        # Anonymised as MOD-3 leaves it (the primary identity follows the username).
        deleted_user = factory.Trait(
            deleted=True,
            display_name="Deleted User",
            username=factory.LazyAttribute(lambda o: f"deleted_{o.id}"),
            show_on_leaderboard=False,
        )
        system = factory.Trait(
            auth_method=AuthMethod.SYSTEM,
            display_name=factory.LazyAttribute(lambda o: f"__system__/{o.username}"),
            show_on_leaderboard=False,
        )
        discord = factory.Trait(auth_method=AuthMethod.DISCORD)
        with_account = factory.Trait(account=factory.SubFactory(AccountFactory))

    id = factory.LazyFunction(lambda: _model_default_pk(User))
    username = factory.Sequence(lambda n: f"frontend-user-{n}")
    auth_method = AuthMethod.LOCAL
    display_name = factory.Sequence(lambda n: f"Contributor {n}")
    api_client = factory.SubFactory(ApiClientFactory)
    primary_identity = factory.RelatedFactory(
        UserIdentityFactory,
        factory_related_name="user",
        api_client=factory.SelfAttribute("..api_client"),
        auth_method=factory.SelfAttribute("..auth_method"),
        username=factory.SelfAttribute("..username"),
        is_primary=True,
    )


# --- trees (DATA-4, 5, 9 … 12, 16) --------------------------------------------------------


def _reply_role(parent: Message) -> str:
    """Roles alternate down a tree, starting with the prompter at the root."""
    if parent.role == MessageRole.PROMPTER:
        return MessageRole.ASSISTANT
    return MessageRole.PROMPTER


class MessageFactory(DjangoModelFactory[Message]):
    """A root prompt by default; with `parent=` a reply one level below it (DATA-4, GEN-3).

    A root is its own tree (`message_tree_id` = its id, depth 0) and has no tree-state row:
    use MessageTreeStateFactory for a whole tree. A reply takes the parent's tree, language
    and client, the next depth and the other role, and (when created, not deleted) bumps the
    parent's `children_count` in the database so DATA-18 holds. Pass `text=` for the text.
    """

    class Meta:
        model = Message
        skip_postgeneration_save = True

    class Params:
        text = factory.Sequence(lambda n: f"Message text {n}")
        deleted_message = factory.Trait(deleted=True)
        accepted = factory.Trait(review_result=True, review_count=3)
        rejected = factory.Trait(review_result=False, review_count=3)
        synthetic_message = factory.Trait(synthetic=True, model_name="test-model-1")

    id = factory.LazyFunction(lambda: _model_default_pk(Message))
    parent = None
    message_tree_id = factory.Maybe(
        "parent",
        yes_declaration=factory.SelfAttribute("parent.message_tree_id"),
        no_declaration=factory.SelfAttribute("id"),
    )
    depth = factory.Maybe(
        "parent",
        yes_declaration=factory.LazyAttribute(lambda o: o.parent.depth + 1),
        no_declaration=0,
    )
    role = factory.Maybe(
        "parent",
        yes_declaration=factory.LazyAttribute(lambda o: _reply_role(o.parent)),
        no_declaration=MessageRole.PROMPTER,
    )
    lang = factory.Maybe(
        "parent", yes_declaration=factory.SelfAttribute("parent.lang"), no_declaration="en"
    )
    api_client = factory.Maybe(
        "parent",
        yes_declaration=factory.SelfAttribute("parent.api_client"),
        no_declaration=factory.SubFactory(ApiClientFactory),
    )
    user = factory.SubFactory(UserFactory, api_client=factory.SelfAttribute("..api_client"))
    frontend_message_id = factory.Sequence(lambda n: f"frontend-message-{n}")
    payload_type = MESSAGE_PAYLOAD
    payload = factory.LazyAttribute(lambda o: message_payload(o.text))

    @factory.post_generation
    def index_entry(obj: Message, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The candidate-index entry every stored message has, with its tree's state."""
        if not create:
            return
        state = (
            MessageTreeState.objects.filter(message_tree_id=obj.message_tree_id)
            .values_list("state", flat=True)
            .first()
        )
        tree_index_add(obj, tree_state=state)

    @factory.post_generation
    def count_as_child(obj: Message, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or obj.parent is None or obj.deleted:
            return
        Message.objects.filter(pk=obj.parent.pk).update(children_count=F("children_count") + 1)
        obj.parent.refresh_from_db(fields=["children_count"])

    @classmethod
    def reply(cls, parent: Message, **kwargs: Any) -> Message:
        """Create a reply to `parent` (depth, tree, role and language follow from it)."""
        return cls.create(parent=parent, **kwargs)


class MessageTreeStateFactory(DjangoModelFactory[MessageTreeState]):
    """A growing tree: a root prompt and its state row, `active` agreeing with `state` (TREE-1).

    Pass `state=` for another state; `active` follows it.
    """

    class Meta:
        model = MessageTreeState
        skip_postgeneration_save = True

    class Params:
        initial_prompt_review = factory.Trait(state=TreeState.INITIAL_PROMPT_REVIEW)
        ranking = factory.Trait(state=TreeState.RANKING)
        ready_for_export = factory.Trait(state=TreeState.READY_FOR_EXPORT)
        halted = factory.Trait(state=TreeState.HALTED_BY_MODERATOR)
        aborted_low_grade = factory.Trait(state=TreeState.ABORTED_LOW_GRADE)
        prompt_lottery_waiting = factory.Trait(state=TreeState.PROMPT_LOTTERY_WAITING)
        backlog_ranking = factory.Trait(state=TreeState.BACKLOG_RANKING)

    # The root is still under review in initial_prompt_review and accepted in any later state.
    message_tree = factory.SubFactory(
        MessageFactory,
        review_result=factory.LazyAttribute(
            lambda o: None if o.factory_parent.state == TreeState.INITIAL_PROMPT_REVIEW else True
        ),
        review_count=factory.LazyAttribute(lambda o: 0 if o.review_result is None else 3),
    )
    goal_tree_size = 12
    max_depth = 3
    max_children_count = 3
    state = TreeState.GROWING
    active = factory.LazyAttribute(lambda o: TreeState(o.state) in ACTIVE_STATES)
    lang = factory.SelfAttribute("message_tree.lang")

    @factory.post_generation
    def index_entries(obj: MessageTreeState, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Mirror the state onto the tree's candidate-index entries, as a transition does."""
        if create:
            tree_index_set_state(tree_id=obj.message_tree_id, state=obj.state)


class MessageRevisionFactory(DjangoModelFactory[MessageRevision]):
    """An earlier text of an edited message, by its author (DATA-11). Pass `text=`."""

    class Meta:
        model = MessageRevision

    class Params:
        text = factory.Sequence(lambda n: f"Earlier text {n}")

    message = factory.SubFactory(MessageFactory, edited=True)
    user = factory.SelfAttribute("message.user")
    payload = factory.LazyAttribute(lambda o: message_payload(o.text))


class MessageEmojiFactory(DjangoModelFactory[MessageEmoji]):
    """A thumbs-up by some contributor (DATA-9). Does not update `Message.emojis`."""

    class Meta:
        model = MessageEmoji

    message = factory.SubFactory(MessageFactory)
    user = factory.SubFactory(UserFactory)
    emoji = EmojiCode.THUMBS_UP


class FlaggedMessageFactory(DjangoModelFactory[FlaggedMessage]):
    """A message waiting in the moderators' flagged queue (DATA-10)."""

    class Meta:
        model = FlaggedMessage

    class Params:
        processed_flag = factory.Trait(
            processed=True,
            processed_date=factory.LazyFunction(timezone.now),
            processed_by_user=factory.SubFactory(UserFactory),
        )

    message = factory.SubFactory(MessageFactory)
    processed = False


class MessageToxicityFactory(DjangoModelFactory[MessageToxicity]):
    class Meta:
        model = MessageToxicity

    message = factory.SubFactory(MessageFactory)
    model = factory.Sequence(lambda n: f"toxicity-model-{n}")
    score = 0.125
    label = "toxicity"


class MessageEmbeddingFactory(DjangoModelFactory[MessageEmbedding]):
    class Meta:
        model = MessageEmbedding

    message = factory.SubFactory(MessageFactory)
    model = factory.Sequence(lambda n: f"embedding-model-{n}")
    embedding = factory.LazyFunction(lambda: [0.25, -0.5, 0.125, 1.0])


class TreeManagerSettingsFactory(DjangoModelFactory[TreeManagerSettings]):
    """The single row of global overrides (DATA-16); create it at most once per test."""

    class Meta:
        model = TreeManagerSettings

    overrides = factory.LazyFunction(dict)
    updated_by = None


class LanguageSettingsFactory(DjangoModelFactory[LanguageSettings]):
    """Overrides for one language (DATA-16); pass `lang=` for a real language code."""

    class Meta:
        model = LanguageSettings

    class Params:
        closed_to_prompts = factory.Trait(accept_initial_prompts=False)

    lang = factory.Sequence(lambda n: f"x-test-{n}")
    accept_initial_prompts = True
    overrides = factory.LazyFunction(dict)


# --- tasks (DATA-6 … DATA-8) ---------------------------------------------------------------


class TaskFactory(DjangoModelFactory[Task]):
    """An open, unacknowledged initial-prompt task handed to a contributor (DATA-6).

    Pass `payload_type=` (a key of TASK_PAYLOAD_TYPES) and optionally `fields=` for the
    payload; the envelope is built from them.
    """

    class Meta:
        model = Task

    class Params:
        fields = factory.LazyAttribute(lambda o: _task_fields(o.payload_type))
        acked = factory.Trait(
            ack=True, frontend_message_id=factory.Sequence(lambda n: f"frontend-task-{n}")
        )
        done_task = factory.Trait(
            ack=True,
            frontend_message_id=factory.Sequence(lambda n: f"frontend-task-{n}"),
            done=True,
            done_date=factory.LazyFunction(timezone.now),
        )
        skipped_task = factory.Trait(skipped=True, skip_reason="not now")

    api_client = factory.SubFactory(ApiClientFactory)
    user = factory.SubFactory(UserFactory, api_client=factory.SelfAttribute("..api_client"))
    expiry_date = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    payload_type = "InitialPromptPayload"
    payload = factory.LazyAttribute(lambda o: dict(wrap(o.payload_type, o.fields)))
    frontend_message_id = None


class MessageReactionFactory(DjangoModelFactory[MessageReaction]):
    """A rating submitted for a rate-summary task by its assignee (DATA-7).

    The `ranking` trait makes a ranking of a rank-assistant-replies task instead.
    """

    class Meta:
        model = MessageReaction

    class Params:
        fields = factory.LazyAttribute(
            lambda o: (
                {"type": "message_rating", "rating": 3}
                if o.payload_type == "RatingReactionPayload"
                else {
                    "type": "message_ranking",
                    "ranking": [1, 0],
                    "ranked_message_ids": [],
                    "ranking_parent_id": None,
                    "message_tree_id": None,
                    "not_rankable": False,
                }
            )
        )
        ranking = factory.Trait(payload_type="RankingReactionPayload")

    task = factory.SubFactory(
        TaskFactory,
        payload_type=factory.LazyAttribute(
            lambda o: (
                "RankAssistantRepliesPayload"
                if o.factory_parent.payload_type == "RankingReactionPayload"
                else "RateSummaryPayload"
            )
        ),
        done_task=True,
    )
    user = factory.SelfAttribute("task.user")
    api_client = factory.SelfAttribute("task.api_client")
    payload_type = "RatingReactionPayload"
    payload = factory.LazyAttribute(lambda o: dict(wrap(o.payload_type, o.fields)))


class TextLabelsFactory(DjangoModelFactory[TextLabels]):
    """A free label row (no task) by a contributor on a message (DATA-8, MOD-14).

    `task_based` makes a review label whose `task_id` equals its id, as DATA-8 says.
    """

    class Meta:
        model = TextLabels

    class Params:
        task_based = factory.Trait(task_id=factory.SelfAttribute("id"))
        report = factory.Trait(
            text="This message should be looked at.", labels={TextLabel.SPAM.value: 1.0}
        )

    id = factory.LazyFunction(lambda: _model_default_pk(TextLabels))
    user = factory.SubFactory(UserFactory)
    api_client = factory.SelfAttribute("user.api_client")
    message = factory.SubFactory(MessageFactory)
    text = ""
    labels = factory.LazyFunction(
        lambda: {TextLabel.SPAM.value: 0.0, TextLabel.QUALITY.value: 0.75}
    )
    task_id = None


# --- journal (DATA-13) ---------------------------------------------------------------------


class JournalFactory(DjangoModelFactory[Journal]):
    """A `user_created` event with the common payload fields of STAT-19.

    Pass `payload_type=` and `fields=` for another event; `fields` is the whole inner payload.
    """

    class Meta:
        model = Journal

    class Params:
        payload_type = "UserCreatedEvent"
        fields = factory.LazyAttribute(
            lambda o: {
                "type": o.event_type,
                "user_id": str(o.user_id) if o.user_id else None,
                "message_id": str(o.message_id) if o.message_id else None,
                "task_id": None,
                "task_type": None,
                "auth_method": AuthMethod.LOCAL.value,
                "username": "frontend-user",
            }
        )

    # Plain ids, not foreign keys (STAT-20): they need not name existing rows.
    user_id = factory.LazyFunction(uuid.uuid4)
    message_id = None
    api_client_id = factory.LazyFunction(uuid.uuid4)
    event_type = "user_created"
    event_payload = factory.LazyAttribute(lambda o: dict(wrap(o.payload_type, o.fields)))


# --- stats (DATA-14 … DATA-17) -------------------------------------------------------------


class UserStatsFactory(DjangoModelFactory[UserStats]):
    class Meta:
        model = UserStats

    time_frame = TimeFrame.TOTAL
    user = factory.SubFactory(UserFactory)
    leader_score = 0


class TrollStatsFactory(DjangoModelFactory[TrollStats]):
    class Meta:
        model = TrollStats

    time_frame = TimeFrame.TOTAL
    user = factory.SubFactory(UserFactory)
    troll_score = 0


class CachedStatsFactory(DjangoModelFactory[CachedStats]):
    """One cached statistic (DATA-15); its name is the primary key, so one per name."""

    class Meta:
        model = CachedStats

    name = CachedStatsName.HUMAN_MESSAGES_BY_LANG
    stats = factory.LazyFunction(lambda: {"en": 1})


class UserStatsDirtyFactory(DjangoModelFactory[UserStatsDirty]):
    class Meta:
        model = UserStatsDirty

    user = factory.SubFactory(UserFactory)
