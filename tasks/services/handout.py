"""Next-task selection and task availability (trees.md §3, §4: TREE-20 … TREE-41).

A request reads candidate sets, draws a task kind and a candidate from the one random
source (GEN-7), claims the candidate atomically and stores the task — nothing else is
written (TREE-40): the lottery, auto-moderation and transitions run elsewhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

from shared_protocol.enums import MessageRole, TaskRequestType
from shared_protocol.envelope import wrap
from shared_protocol.errors import DomainError, ErrorCode
from shared_protocol.serializers.tasks import serialize_task
from tasks.candidates import (
    Selection,
    extendible_parents,
    missing_prompts,
    prompts_needing_review,
    ranking_parents,
    replies_needing_review,
)
from tasks.models import Task
from tasks.services.task_builders import (
    BrokenConversation,
    build_initial_prompt,
    build_prompt_review,
    build_ranking,
    build_reply,
    build_reply_review,
)
from trees.config import effective_config
from trees.models import Message
from trees.randomness import now, rng
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import QuerySet

    from tasks.services.task_builders import BuiltTask
    from users.models import ApiClient

T = TaskRequestType
DEFAULT_LANG = "en"  # GEN-5, TREE-39

# TREE-30: the kinds of a random request, with the weight parameter of each.
RANDOM_KINDS = ("ranking", "label_reply", "label_prompt", "reply", "prompt")
NEVER_GENERATED = (T.SUMMARIZE_STORY, T.RATE_SUMMARY, T.RANK_INITIAL_PROMPTS)


@dataclass(frozen=True)
class _Kind:
    """A way to fill a request: candidate targets, and how to build a task on one."""

    candidates: Callable[[], QuerySet[Message]] | None
    build: Callable[[Message | None], BuiltTask]


def _kinds(sel: Selection, *, random_request: bool) -> dict[str, _Kind]:
    """Every task kind and explicit type this request could be filled with."""
    role_of = MessageRole

    def reply_parents(role: str | None) -> Callable[[], QuerySet[Message]]:
        return lambda: (
            extendible_parents(sel) if role is None else extendible_parents(sel).filter(role=role)
        )

    def reviews(role: str | None) -> Callable[[], QuerySet[Message]]:
        return lambda: (
            replies_needing_review(sel)
            if role is None
            else replies_needing_review(sel).filter(role=role)
        )

    rank_prompter_groups = sel.config.rank_prompter_replies

    def build_review(target: Message | None) -> BuiltTask:
        return build_reply_review(sel, _required(target), random_request=random_request)

    return {
        # random kinds (TREE-30)
        "ranking": _Kind(lambda: ranking_parents(sel), lambda t: build_ranking(sel, _required(t))),
        "label_reply": _Kind(reviews(None), build_review),
        "label_prompt": _Kind(
            lambda: prompts_needing_review(sel), lambda t: build_prompt_review(sel, _required(t))
        ),
        "reply": _Kind(reply_parents(None), lambda t: build_reply(sel, _required(t))),
        "prompt": _Kind(None, lambda t: build_initial_prompt()),
        # explicit types (TREE-31)
        T.INITIAL_PROMPT: _Kind(None, lambda t: build_initial_prompt()),
        T.PROMPTER_REPLY: _Kind(
            reply_parents(role_of.ASSISTANT), lambda t: build_reply(sel, _required(t))
        ),
        T.ASSISTANT_REPLY: _Kind(
            reply_parents(role_of.PROMPTER), lambda t: build_reply(sel, _required(t))
        ),
        T.RANK_ASSISTANT_REPLIES: _Kind(
            lambda: ranking_parents(sel).filter(role=role_of.PROMPTER),
            lambda t: build_ranking(sel, _required(t)),
        ),
        T.RANK_PROMPTER_REPLIES: _Kind(
            (
                (
                    lambda: ranking_parents(sel, count_only_rankable=False).filter(
                        role=role_of.ASSISTANT
                    )
                )
                if rank_prompter_groups
                else (lambda: Message.objects.none())
            ),
            lambda t: build_ranking(sel, _required(t)),
        ),
        T.LABEL_INITIAL_PROMPT: _Kind(
            lambda: prompts_needing_review(sel), lambda t: build_prompt_review(sel, _required(t))
        ),
        T.LABEL_ASSISTANT_REPLY: _Kind(reviews(role_of.ASSISTANT), build_review),
        T.LABEL_PROMPTER_REPLY: _Kind(reviews(role_of.PROMPTER), build_review),
    }


def _required(target: Message | None) -> Message:
    if target is None:  # only initial prompts have no target
        raise ValueError("this task kind needs a target message")
    return target


def _selection(user: User, lang: str | None) -> Selection:
    lang = lang or DEFAULT_LANG
    return Selection(user_id=user.pk, lang=lang, config=effective_config(lang), now=now())


def task_availability(*, user: User, lang: str | None) -> dict[str, int]:
    """TREE-41: the count of every TaskRequestType for this user and language."""
    sel = _selection(user, lang)
    kinds = _kinds(sel, random_request=False)
    counts: dict[str, int] = {}
    for request_type in T.values:
        if request_type in (T.RANDOM, *NEVER_GENERATED):
            counts[request_type] = 0
        elif request_type == T.INITIAL_PROMPT:
            counts[request_type] = missing_prompts(sel)
        else:
            candidates = kinds[request_type].candidates
            counts[request_type] = candidates().count() if candidates else 0
    counts[T.RANDOM] = sum(counts.values())
    return counts


def task_request(
    *,
    client: ApiClient,
    user: User,
    request_type: str,
    lang: str | None,
    collective: bool,
) -> dict[str, Any]:
    """TREE-20: choose, claim and store a task for `user`; returns the wire task object.

    1. Lock the user row (one request of a user at a time) and apply the pending cap.
    2. Random requests draw a kind by weight among the kinds with candidates (TREE-30);
       explicit types need a positive availability (TREE-31).
    3. Draw candidates uniformly and claim the first whose row can be locked and that
       still qualifies (TREE-37); a kind without a claimable candidate is dropped.
    4. Build the task, store it (TREE-38) and return it.
    """
    sel = _selection(user, lang)
    with transaction.atomic():
        _apply_pending_cap(sel)
        kinds = _kinds(sel, random_request=request_type == T.RANDOM)
        if request_type == T.RANDOM:
            built = _fill_random(sel, kinds)
        elif request_type in NEVER_GENERATED:
            built = None
        elif request_type == T.INITIAL_PROMPT:
            built = build_initial_prompt() if missing_prompts(sel) > 0 else None
        else:
            built = _claim_and_build(sel, kinds[request_type])
        if built is None:
            raise DomainError(
                ErrorCode.TASK_REQUESTED_TYPE_NOT_AVAILABLE, "No task of the requested type"
            )
        task = _store(client=client, user=user, built=built, collective=collective)
    return serialize_task(task.pk, built.task_type, built.fields, conversation=built.conversation)


def _apply_pending_cap(sel: Selection) -> None:
    """TREE-21: at most `max_pending_tasks_per_user` open tasks younger than the span."""
    User.objects.select_for_update().filter(pk=sel.user_id).values_list("pk").first()
    pending = Task.objects.filter(
        user_id=sel.user_id,
        done=False,
        skipped=False,
        created_date__gte=sel.lease_since,
    ).count()
    if pending >= sel.config.max_pending_tasks_per_user:
        raise DomainError(ErrorCode.TASK_TOO_MANY_PENDING, "Too many pending tasks")


def _weights(sel: Selection) -> dict[str, float]:
    config = sel.config
    return {
        "ranking": config.task_weight_ranking,
        "label_reply": config.task_weight_label_reply,
        "label_prompt": config.task_weight_label_prompt,
        "reply": config.task_weight_reply,
        "prompt": config.task_weight_prompt,
    }


def _fill_random(sel: Selection, kinds: dict[str, _Kind]) -> BuiltTask | None:
    """TREE-30: draw a kind with probability weight / sum among kinds that have work."""
    weights: dict[str, float] = {}
    for name, weight in _weights(sel).items():
        if weight <= 0:
            continue
        candidates = kinds[name].candidates
        has_work = candidates().exists() if candidates else missing_prompts(sel) > 0
        if has_work:
            weights[name] = weight
    while weights:
        names = sorted(weights)
        drawn = rng().choices(names, weights=[weights[n] for n in names])[0]
        built = _claim_and_build(sel, kinds[drawn])
        if built is not None:
            return built
        del weights[drawn]  # nothing claimable: draw again among the others
    return None


def _claim_and_build(sel: Selection, kind: _Kind) -> BuiltTask | None:
    """Draw candidates uniformly, claim one atomically (TREE-37) and build its task."""
    if kind.candidates is None:
        return kind.build(None)
    candidates = kind.candidates()
    ids = list(candidates.values_list("pk", flat=True))
    ids = _prefer_lonely(sel, candidates, ids)
    rng().shuffle(ids)
    for candidate_id in ids:
        target = _claim(candidates, candidate_id)
        if target is None:
            continue
        try:
            return kind.build(target)
        except BrokenConversation:
            continue  # an ancestor is missing, deleted or not accepted: discard
    return None


def _prefer_lonely(sel: Selection, candidates: QuerySet[Message], ids: list[Any]) -> list[Any]:
    """TREE-34: with probability p, reply to a lonely prompter parent when there is one."""
    config = sel.config
    if not ids or "active_children" not in candidates.query.annotations:
        return ids
    if config.p_lonely_child_extension <= 0 or config.lonely_children_count <= 1:
        return ids
    # `active_children` is annotated by extendible_parents(): c of TREE-25; the Django
    # plugin of mypy cannot see annotations.
    lonely = list(
        candidates.filter(  # type: ignore[misc]
            role=MessageRole.PROMPTER,
            active_children__gt=0,
            active_children__lt=config.lonely_children_count,
        ).values_list("pk", flat=True)
    )
    if lonely and rng().random() < config.p_lonely_child_extension:
        return lonely
    return ids


def _claim(candidates: QuerySet[Message], candidate_id: Any) -> Message | None:
    """Lock the target row, then re-check that it still qualifies (TREE-37).

    On PostgreSQL a row locked by a concurrent hand-out is skipped (SKIP LOCKED) rather
    than waited for; on SQLite the request's IMMEDIATE transaction already holds the
    database lock, so hand-outs are serialised. The task row is inserted before the lock
    is released, at commit.
    """
    locking = Message.objects.select_for_update(
        skip_locked=connection.features.has_select_for_update_skip_locked
    )
    target = locking.filter(pk=candidate_id).first()
    if target is None:
        return None
    if not candidates.filter(pk=candidate_id).exists():
        return None
    return target


def _store(*, client: ApiClient, user: User, built: BuiltTask, collective: bool) -> Task:
    """TREE-38: the task row, with the payload as served (GEN-6)."""
    validity = settings.TASK_VALIDITY_MINUTES
    created = now()
    expiry = None if collective or validity <= 0 else created + timedelta(minutes=validity)
    return Task.objects.create(
        id=uuid.uuid4(),
        created_date=created,
        expiry_date=expiry,
        user=user,
        api_client=client,
        payload_type=built.payload_type,
        payload=wrap(built.payload_type, built.fields),
        message_tree_id=built.message_tree_id,
        parent_message_id=built.target_id,
        collective=collective,
    )
