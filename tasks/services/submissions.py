"""Task submissions: text replies, rankings and ratings; labels re-exported (trees.md §7).

Every submission is one transaction (GEN-8) that locks the task row first, so that a task
yields at most one result (TREE-53), then the message rows it needs, and the acting user's
row last (streak, STAT-13). Fixed lock order: task → target message(s) in pk order → tree
state (inside the tree checks) → acting user.

Task-based labels, free labels, reports, review evaluation and the steps every submission
shares live in `tasks.services.reviews`; this module re-exports its submit functions, so
that every submission is importable from here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from config.prepared import Prepared, PreparedInsert, PreparedUpdate
from shared_protocol.enums import MessageRole
from shared_protocol.envelope import wrap
from shared_protocol.errors import DomainError, ErrorCode
from stats.services import stats_mark_dirty
from tasks.models import MessageReaction, Task
from tasks.services.reviews import (
    submit_free_labels,
    submit_task_labels,
    task_mark_done,
    user_record_activity,
)
from tasks.services.validation import task_take_for_submission
from tasks.signals import ranking_stored, rating_stored, text_reply_stored
from trees import randomness
from trees.config import DEFAULT_LANG, effective_config
from trees.models import Message, MessageTreeState, TreeState
from trees.services.scoring import tree_check_scoring
from trees.services.tree_index import tree_index_add

if TYPE_CHECKING:
    from datetime import datetime

    from users.models import ApiClient, User

# TREE-45 step 6: the tasks that take a text, and the role of what they produce.
REPLY_TASK_ROLES: dict[str, MessageRole] = {
    "InitialPromptPayload": MessageRole.PROMPTER,
    "PrompterReplyPayload": MessageRole.PROMPTER,
    "AssistantReplyPayload": MessageRole.ASSISTANT,
}
# TREE-45 step 5, TREE-13: trees that still take replies (late ones included).
REPLY_ACCEPTING_STATES: frozenset[str] = frozenset(
    {TreeState.GROWING, TreeState.RANKING, TreeState.READY_FOR_SCORING, TreeState.READY_FOR_EXPORT}
)
RANK_REPLIES_TASK_TYPES: frozenset[str] = frozenset(
    {"RankAssistantRepliesPayload", "RankPrompterRepliesPayload"}
)
RANK_PROMPTS_TASK_TYPE = "RankInitialPromptsPayload"
RATE_SUMMARY_TASK_TYPE = "RateSummaryPayload"
RANKING_REACTION = "RankingReactionPayload"
RATING_REACTION = "RatingReactionPayload"
DEFAULT_RATING_SCALE = {"min": 1, "max": 5}  # API-TT-8

__all__ = [
    "submit_free_labels",
    "submit_ranking",
    "submit_rating",
    "submit_task_labels",
    "submit_text_reply",
    "task_mark_done",
    "task_refuse_second_result",
    "user_record_activity",
]


# --- shared steps ---------------------------------------------------------------------------


def task_refuse_second_result(task: Task, *, user_id: UUID) -> None:
    """2105 when a collective task already holds this user's reaction (TREE-53, DATA-7).

    A non-collective task is done after its first result, which task validation refuses;
    a collective one stays open, but a reaction is unique per (task, user).
    """
    if task.collective and MessageReaction.objects.filter(task=task, user_id=user_id).exists():
        raise DomainError(ErrorCode.TASK_ALREADY_DONE, "The task already has your result")


def _uuid_or_none(value: Any) -> UUID | None:
    if value is None or value == "":
        return None
    try:
        return UUID(str(value))
    except ValueError:
        return None


# --- text replies (TREE-45) -----------------------------------------------------------------


def submit_text_reply(
    *,
    client: ApiClient,
    user: User,
    message_id: str,
    user_message_id: str,
    text: str,
    lang: str | None,
) -> Message:
    """Store the text written for the caller's reply or prompt task (TREE-45, TREE-13).

    1. Both frontend ids non-empty (2000).
    2. Lock the task bound to `message_id`; task validation (2100 … 2106).
    3. Trimmed text non-empty (1010) and within `MESSAGE_SIZE_LIMIT` (1008).
    4. No identical text by the user within the duplicate window (1009).
    5. With a parent: lock it (2001), its tree still takes replies (2010), the user has no
       non-deleted child of it (1011).
    6. The task takes a text (2107); 7. `user_message_id` is unused by this client (2000).
    8. Store the message; bump the parent's `children_count` unless born deleted.
    9. Task done, journal, tree state for a new root (TREE-5), author dirty, streak.
    """
    if not message_id or not user_message_id:
        raise DomainError(ErrorCode.INVALID_FRONTEND_MESSAGE_ID, "A frontend message id is empty")
    with transaction.atomic():
        now = randomness.now()
        task = task_take_for_submission(
            api_client_id=client.pk, user_id=user.pk, now=now, frontend_message_id=message_id
        )

        text = text.strip()
        if not text:
            raise DomainError(ErrorCode.TASK_MESSAGE_TEXT_EMPTY, "The message text is empty")
        if len(text) > settings.MESSAGE_SIZE_LIMIT:
            raise DomainError(
                ErrorCode.TASK_MESSAGE_TOO_LONG,
                f"The message is longer than {settings.MESSAGE_SIZE_LIMIT} characters",
            )
        _refuse_duplicate_text(user_id=user.pk, text=text, now=now)

        parent, tree_state = None, None
        if task.parent_message_id is not None:
            parent, tree_state = _lock_reply_parent(
                parent_id=task.parent_message_id, user_id=user.pk
            )

        role = REPLY_TASK_ROLES.get(task.payload_type)
        if role is None:
            raise DomainError(
                ErrorCode.TASK_UNEXPECTED_PAYLOAD_TYPE_, f"A {task.task_type} task takes no text"
            )
        if parent is None and _is_reply_task(task):
            # A reply task always names its parent (TREE-38); one that does not is corrupt.
            raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "The task's parent message is missing")
        if _FRONTEND_ID_TAKEN.rows(client_id=client.pk, frontend_id=user_message_id):
            raise DomainError(
                ErrorCode.INVALID_FRONTEND_MESSAGE_ID,
                "The user message id is already used by another message",
            )

        message = _message_store(
            task=task,
            parent=parent,
            client=client,
            user=user,
            user_message_id=user_message_id,
            text=text,
            lang=lang or DEFAULT_LANG,
            role=role,
            now=now,
        )
        if parent is not None:
            tree_index_add(message, tree_state=tree_state)  # a new root: with its state row
        if parent is not None and not message.deleted:
            _COUNT_CHILD.run(parent_id=parent.pk)

        task_mark_done(task, now=now)
        text_reply_stored.send(
            sender=Task, message=message, task=task, user_id=user.pk, api_client_id=client.pk
        )
        if parent is None:
            _tree_state_create(root=message, now=now)
        stats_mark_dirty([user.pk])
        # MOD-18: the search vector of the new message is maintained by the search service
        # (PostgreSQL only); it is not part of this service yet.
        user_record_activity(user=user)
        # TREE-45 step 10 / TREE-74: text_reply_stored's receiver in trees/external queues
        # toxicity and embedding computation after commit, when enabled and configured.
    return message


def _is_reply_task(task: Task) -> bool:
    """Reply tasks (not initial prompts) produce a message below an existing one."""
    return task.payload_type != "InitialPromptPayload"


def _refuse_duplicate_text(*, user_id: UUID, text: str, now: datetime) -> None:
    """1009: the user wrote exactly this text within the duplicate window (TREE-45 step 4)."""
    window = timedelta(minutes=settings.DUPLICATE_MESSAGE_FILTER_WINDOW_MINUTES)
    if Message.objects.filter(
        user_id=user_id, created_date__gte=now - window, payload__payload__text=text
    ).exists():
        raise DomainError(
            ErrorCode.TASK_MESSAGE_DUPLICATED, "You wrote the same text a short while ago"
        )


def _lock_reply_parent(*, parent_id: UUID, user_id: UUID) -> tuple[Message, str]:
    """TREE-45 step 5: the parent, locked so the one-reply-per-user rule holds concurrently.

    Returns the parent and its tree's state.

    FOR NO KEY UPDATE: it serialises replies to this parent without blocking inserts of
    rows that merely reference it (labels, emojis).
    """
    parent = _LOCK_PARENT.first(parent_id=parent_id)
    if parent is None:
        raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "The parent message does not exist")
    state = _TREE_STATE.first(tree_id=parent.message_tree_id)
    if state not in REPLY_ACCEPTING_STATES:
        raise DomainError(
            ErrorCode.TREE_IN_ABORTED_STATE, "The conversation no longer accepts replies"
        )
    if not settings.DEBUG_ALLOW_DUPLICATE_TASKS and _REPLIED.rows(
        parent_id=parent.pk, user_id=user_id
    ):
        raise DomainError(
            ErrorCode.TASK_MESSAGE_DUPLICATE_REPLY, "You already replied to this message"
        )
    return parent, str(state)


# The statements of a text reply (config/prepared.py).
_LOCK_PARENT: Prepared[Message] = Prepared(
    lambda parent_id: (
        Message.objects.select_for_update(no_key=True).filter(pk=parent_id).order_by()[:1]
    ),
    parent_id=UUID,
)
_TREE_STATE: Prepared[str] = Prepared(
    lambda tree_id: (
        MessageTreeState.objects.filter(message_tree_id=tree_id)
        .order_by()
        .values_list("state", flat=True)[:1]
    ),
    tree_id=UUID,
)
_REPLIED: Prepared[UUID] = Prepared(
    lambda parent_id, user_id: (
        Message.objects.filter(parent_id=parent_id, user_id=user_id, deleted=False)
        .order_by()
        .values_list("pk", flat=True)[:1]
    ),
    parent_id=UUID,
    user_id=UUID,
)
_FRONTEND_ID_TAKEN: Prepared[UUID] = Prepared(
    lambda client_id, frontend_id: (
        Message.objects.filter(api_client_id=client_id, frontend_message_id=frontend_id)
        .order_by()
        .values_list("pk", flat=True)[:1]
    ),
    client_id=UUID,
    frontend_id=str,
)
_COUNT_CHILD = PreparedUpdate(
    lambda parent_id: (
        Message.objects.filter(pk=parent_id),
        {"children_count": F("children_count") + 1},
    ),
    parent_id=UUID,
)


def _message_store(
    *,
    task: Task,
    parent: Message | None,
    client: ApiClient,
    user: User,
    user_message_id: str,
    text: str,
    lang: str,
    role: MessageRole,
    now: datetime,
) -> Message:
    """TREE-45 step 8: insert the message; a frontend id taken concurrently is 2000."""
    message = Message(
        parent=parent,
        task_id=task.pk,
        user=user,
        role=role,
        api_client=client,
        frontend_message_id=user_message_id,
        created_date=now,
        lang=lang,
        depth=0 if parent is None else parent.depth + 1,
        # A reply under a deleted parent is born deleted.
        deleted=False if parent is None else parent.deleted,
        review_count=0,
        review_result=None,
    )
    message.text = text
    # A root is its own tree (GEN-3). A reply joins its parent's tree, which is the task's
    # tree by construction; the parent is the structural truth if they ever differ.
    message.message_tree_id = message.pk if parent is None else parent.message_tree_id
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        # The unique (client, frontend id) constraint backs up step 7 against a concurrent
        # submission that took the same id after our check.
        if _FRONTEND_ID_TAKEN.rows(client_id=client.pk, frontend_id=user_message_id):
            raise DomainError(
                ErrorCode.INVALID_FRONTEND_MESSAGE_ID,
                "The user message id is already used by another message",
            ) from None
        raise
    return message


def _tree_state_create(*, root: Message, now: datetime) -> MessageTreeState:
    """T1 (TREE-5): the state row of a new tree, sized from the root language's config."""
    cfg = effective_config(root.lang)
    goal = cfg.goal_tree_size
    if cfg.random_goal_tree_size and cfg.min_goal_tree_size < cfg.goal_tree_size:
        goal = randomness.rng().randint(cfg.min_goal_tree_size, cfg.goal_tree_size)
    tree_index_add(root, tree_state=TreeState.INITIAL_PROMPT_REVIEW)
    return MessageTreeState.objects.create(
        message_tree=root,
        goal_tree_size=goal,
        max_depth=cfg.max_tree_depth,
        max_children_count=cfg.max_children_count,
        state=TreeState.INITIAL_PROMPT_REVIEW,
        active=True,
        lang=root.lang,
        state_changed_date=now,
    )


# --- rankings (TREE-48) ---------------------------------------------------------------------


def submit_ranking(
    *,
    client: ApiClient,
    user: User,
    message_id: str,
    ranking: list[int],
    not_rankable: bool | None,
) -> MessageReaction:
    """Store a ranking of the replies a ranking task showed (TREE-48).

    1. Lock the task bound to `message_id`; task validation.
    2. A ranking task (2102); 3. `ranking` is a permutation of the shown items (2003).
    4. The ranking parent exists (2001); every ranked reply still has it as parent (2011).
    5. Store the reaction; bump `ranking_count` of the ranked replies; task done; journal;
       ranker and reply authors dirty. 6. Scoring check (TREE-57); streak.
    A `rank_initial_prompts` task is validated against `prompt_messages` and only stores
    its reaction (no parent, no counters, no scoring).
    """
    with transaction.atomic():
        now = randomness.now()
        task = task_take_for_submission(
            api_client_id=client.pk, user_id=user.pk, now=now, frontend_message_id=message_id
        )
        ranks_prompts = task.payload_type == RANK_PROMPTS_TASK_TYPE
        if task.payload_type not in RANK_REPLIES_TASK_TYPES and not ranks_prompts:
            raise DomainError(
                ErrorCode.TASK_PAYLOAD_TYPE_MISMATCH, f"A {task.task_type} task takes no ranking"
            )
        fields = task.fields
        shown: list[Any] = list(
            fields.get("prompt_messages" if ranks_prompts else "reply_messages") or []
        )
        if sorted(ranking) != list(range(len(shown))):
            raise DomainError(
                ErrorCode.INVALID_RANKING_VALUE,
                f"The ranking must list each of the {len(shown)} indexes exactly once",
            )
        ranked_ids = [_uuid_or_none(_item_id(shown[index])) for index in ranking]
        task_refuse_second_result(task, user_id=user.pk)
        parent = None
        reply_ids: list[UUID] = []
        authors: list[UUID | None] = []
        if not ranks_prompts:
            parent = _ranking_parent(task, fields)
            reply_ids, authors = _lock_ranked_replies(ranked_ids, parent_id=parent.pk)
        reaction = _ranking_store(
            task=task,
            client=client,
            user=user,
            ranking=ranking,
            ranked_ids=ranked_ids,
            parent=parent,
            not_rankable=not_rankable,
            now=now,
        )
        if reply_ids:
            Message.objects.filter(pk__in=reply_ids).update(ranking_count=F("ranking_count") + 1)
        task_mark_done(task, now=now)
        ranking_stored.send(
            sender=Task,
            reaction=reaction,
            task=task,
            ranking=list(ranking),
            user_id=user.pk,
            api_client_id=client.pk,
        )
        stats_mark_dirty([user.pk, *authors])
        if parent is not None:
            tree_check_scoring(tree_id=parent.message_tree_id)
        user_record_activity(user=user)
    return reaction


def _item_id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


def _ranking_parent(task: Task, fields: dict[str, Any]) -> Message:
    """The ranking parent: the last message of the task's conversation (2001 if gone)."""
    messages = (fields.get("conversation") or {}).get("messages") or []
    parent_id = (
        _uuid_or_none(_item_id(messages[-1]))
        if messages
        else (_uuid_or_none(fields.get("ranking_parent_id")) or task.parent_message_id)
    )
    parent = (
        Message.objects.filter(pk=parent_id).only("id", "message_tree_id").order_by().first()
        if parent_id is not None
        else None
    )
    if parent is None:
        raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "The ranking parent does not exist")
    return parent


def _lock_ranked_replies(
    ranked_ids: list[UUID | None], *, parent_id: UUID
) -> tuple[list[UUID], list[UUID | None]]:
    """2011 unless every ranked reply exists below the parent; locks them in pk order.

    Returns the reply ids and their authors.
    """
    ids = [reply_id for reply_id in ranked_ids if reply_id is not None]
    rows = {
        reply_id: (parent, author)
        for reply_id, parent, author in Message.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("id", "parent_id", "user_id")
    }
    if len(ids) != len(ranked_ids) or any(rows.get(i, (None,))[0] != parent_id for i in ids):
        raise DomainError(
            ErrorCode.CORRUPT_RANKING_RESULT, "A ranked reply no longer belongs to its parent"
        )
    return ids, [author for _, author in rows.values()]


_INSERT_REACTION: PreparedInsert[MessageReaction] = PreparedInsert(MessageReaction)


def _ranking_store(
    *,
    task: Task,
    client: ApiClient,
    user: User,
    ranking: list[int],
    ranked_ids: list[UUID | None],
    parent: Message | None,
    not_rankable: bool | None,
    now: datetime,
) -> MessageReaction:
    """The ranking reaction (DATA-7, GEN-6); ids are strings, best first."""
    fields = {
        "type": "message_ranking",
        "ranking": list(ranking),
        "ranked_message_ids": [str(i) if i is not None else None for i in ranked_ids],
        "ranking_parent_id": str(parent.pk) if parent is not None else None,
        "message_tree_id": str(parent.message_tree_id) if parent is not None else None,
        "not_rankable": bool(not_rankable),
    }
    return _INSERT_REACTION.create(
        task_id=task.pk,
        user_id=user.pk,
        api_client_id=client.pk,
        created_date=now,
        payload_type=RANKING_REACTION,
        payload=dict(wrap(RANKING_REACTION, fields)),
        message_id=parent.pk if parent is not None else None,
    )


# --- ratings (TREE-49) ----------------------------------------------------------------------


def submit_rating(
    *, client: ApiClient, user: User, message_id: str, rating: int
) -> MessageReaction:
    """Store a rating for a `rate_summary` task (TREE-49; such tasks are never generated).

    The message with frontend id `message_id` of this client must exist (2001); the task
    bound to that id passes task validation; it is a `rate_summary` task (2102); `rating`
    lies within its scale, bounds inclusive (2002).
    """
    with transaction.atomic():
        message = (
            Message.objects.filter(api_client_id=client.pk, frontend_message_id=message_id)
            .only("id")
            .first()
        )
        if message is None:
            raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "Message not found")
        now = randomness.now()
        task = task_take_for_submission(
            api_client_id=client.pk, user_id=user.pk, now=now, frontend_message_id=message_id
        )
        if task.payload_type != RATE_SUMMARY_TASK_TYPE:
            raise DomainError(
                ErrorCode.TASK_PAYLOAD_TYPE_MISMATCH, f"A {task.task_type} task takes no rating"
            )
        scale = task.fields.get("scale") or DEFAULT_RATING_SCALE
        low, high = scale.get("min", 1), scale.get("max", 5)
        if not low <= rating <= high:
            raise DomainError(
                ErrorCode.RATING_OUT_OF_RANGE, f"The rating must lie within {low} … {high}"
            )
        task_refuse_second_result(task, user_id=user.pk)
        reaction = MessageReaction.objects.create(
            task=task,
            user=user,
            api_client=client,
            created_date=now,
            payload_type=RATING_REACTION,
            payload=dict(wrap(RATING_REACTION, {"type": "message_rating", "rating": rating})),
            message_id=message.pk,
        )
        task_mark_done(task, now=now)
        rating_stored.send(
            sender=Task,
            reaction=reaction,
            task=task,
            rating=rating,
            user_id=user.pk,
            api_client_id=client.pk,
        )
        user_record_activity(user=user)
    return reaction
