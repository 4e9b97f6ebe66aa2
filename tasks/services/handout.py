"""Next-task selection and task availability (trees.md §3, §4: TREE-20 … TREE-41).

A request reads candidate sets, draws a task kind and a candidate from the one random
source (GEN-7), claims the candidate atomically and stores the task — nothing else is
written (TREE-40): the lottery, auto-moderation and transitions run elsewhere.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import connection, transaction

from config.prepared import Prepared, PreparedInsert, statement_cursor
from shared_protocol.enums import MessageRole, TaskRequestType
from shared_protocol.envelope import wrap
from shared_protocol.errors import DomainError, ErrorCode
from shared_protocol.serializers.tasks import serialize_task
from tasks import compiled
from tasks.candidates import (
    Selection,
    extendible_parents,
    missing_prompts,
    prompts_needing_review,
    ranking_parents,
    replies_needing_review,
    superset_ids,
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
from trees.models import Message, TreeState
from trees.randomness import now, rng
from users.models import User

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Iterator, Sequence

    from django.db.models import QuerySet

    from tasks.services.task_builders import BuiltTask
    from users.models import ApiClient

T = TaskRequestType
S = TreeState
T_ = TypeVar("T_")
DEFAULT_LANG = "en"  # GEN-5, TREE-39

# TREE-30: the kinds of a random request, with the weight parameter of each.
RANDOM_KINDS = ("ranking", "label_reply", "label_prompt", "reply", "prompt")
NEVER_GENERATED = (T.SUMMARIZE_STORY, T.RATE_SUMMARY, T.RANK_INITIAL_PROMPTS)


@dataclass(frozen=True)
class _Kind:
    """A way to fill a request: a builder and, for kinds with a target, the candidate query
    for any selection, a cheap superset of it and a name for its compiled form (compiled.py).
    """

    build: Callable[[Message | None], BuiltTask]
    template: Callable[[Selection], QuerySet[Message]] | None = None
    superset: Callable[[], list[str]] | None = None  # message ids, as text
    key: str = ""
    # Reply kinds (TREE-34's lonely-parent preference): the superset's prompter messages.
    lonely_superset: Callable[[], list[str]] | None = None


def _kinds(sel: Selection, *, random_request: bool) -> dict[str, _Kind]:
    """Every task kind and explicit type this request could be filled with."""
    A, P = MessageRole.ASSISTANT, MessageRole.PROMPTER

    def kind(
        queryset: Callable[[Selection], QuerySet[Message]],
        of: str | None,
        build: Callable[[Message | None], BuiltTask],
        state: TreeState,
        *,
        lonely: bool = False,
    ) -> _Kind:
        return _Kind(
            build,
            template=lambda s: queryset(s) if of is None else queryset(s).filter(role=of),
            superset=lambda: superset_ids(state, sel, role=of),
            key=f"{queryset.__name__}:{of}",
            # Lonely parents are prompter messages (checked in full when drawn).
            lonely_superset=(
                (lambda: superset_ids(state, sel, role=P) if of in (None, P) else [])
                if lonely
                else None
            ),
        )

    def build_review(target: Message | None) -> BuiltTask:
        return build_reply_review(sel, _required(target), random_request=random_request)

    def build_reply_(target: Message | None) -> BuiltTask:
        return build_reply(sel, _required(target))

    def build_ranking_(target: Message | None) -> BuiltTask:
        return build_ranking(sel, _required(target))

    def build_prompt_review_(target: Message | None) -> BuiltTask:
        return build_prompt_review(sel, _required(target))

    def reply(of: str | None) -> _Kind:
        return kind(extendible_parents, of, build_reply_, S.GROWING, lonely=True)

    def review(of: str | None) -> _Kind:
        return kind(replies_needing_review, of, build_review, S.GROWING)

    def all_ranking_parents(s: Selection) -> QuerySet[Message]:
        return ranking_parents(s, count_only_rankable=False)

    prompt_review = kind(
        prompts_needing_review, None, build_prompt_review_, S.INITIAL_PROMPT_REVIEW
    )
    initial_prompt = _Kind(lambda t: build_initial_prompt())
    if sel.config.rank_prompter_replies:
        rank_prompter = kind(all_ranking_parents, A, build_ranking_, S.RANKING)
    else:
        rank_prompter = _Kind(build_ranking_, template=lambda s: Message.objects.none())
    return {
        # random kinds (TREE-30)
        # Without rank_prompter_replies only prompter parents (assistant groups) count.
        "ranking": kind(
            ranking_parents,
            None if sel.config.rank_prompter_replies else P,
            build_ranking_,
            S.RANKING,
        ),
        "label_reply": review(None),
        "label_prompt": prompt_review,
        "reply": reply(None),
        "prompt": initial_prompt,
        # explicit types (TREE-31)
        T.INITIAL_PROMPT: initial_prompt,
        T.PROMPTER_REPLY: reply(A),
        T.ASSISTANT_REPLY: reply(P),
        T.RANK_ASSISTANT_REPLIES: kind(ranking_parents, P, build_ranking_, S.RANKING),
        T.RANK_PROMPTER_REPLIES: rank_prompter,
        T.LABEL_INITIAL_PROMPT: prompt_review,
        T.LABEL_ASSISTANT_REPLY: review(A),
        T.LABEL_PROMPTER_REPLY: review(P),
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
            template = kinds[request_type].template
            counts[request_type] = template(sel).count() if template else 0
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
    # The refusals leave the transaction, which has written nothing, to commit rather
    # than roll back: a rollback makes psycopg forget the connection's prepared statements.
    with transaction.atomic():
        over_cap = _over_pending_cap(sel)
        built = None if over_cap else _build(sel, request_type)
        if built is not None:
            task = _store(client=client, user=user, built=built, collective=collective)
    if over_cap:
        raise DomainError(ErrorCode.TASK_TOO_MANY_PENDING, "Too many pending tasks")
    if built is None:
        raise DomainError(
            ErrorCode.TASK_REQUESTED_TYPE_NOT_AVAILABLE, "No task of the requested type"
        )
    return serialize_task(task.pk, built.task_type, built.fields, conversation=built.conversation)


def _build(sel: Selection, request_type: str) -> BuiltTask | None:
    """Steps 2 and 3: the task to hand out, its target claimed; None when there is none."""
    kinds = _kinds(sel, random_request=request_type == T.RANDOM)
    if request_type == T.RANDOM:
        return _fill_random(sel, kinds)
    if request_type in NEVER_GENERATED:
        return None
    if request_type == T.INITIAL_PROMPT:
        return build_initial_prompt() if missing_prompts(sel) > 0 else None
    return _claim_and_build(sel, kinds[request_type])


def _over_pending_cap(sel: Selection) -> bool:
    """TREE-21: at most `max_pending_tasks_per_user` open tasks younger than the span.

    Locks the user row first: one request of a user at a time.
    """
    _USER_LOCK.rows(user_id=sel.user_id)
    cap = sel.config.max_pending_tasks_per_user
    return cap <= 0 or len(_pending(cap).rows(user_id=sel.user_id, since=sel.lease_since)) >= cap


# Statements every task request runs (config/prepared.py). The user row lock serialises
# one user's requests; counting pending tasks stops at the cap.
_USER_LOCK: Prepared[uuid.UUID] = Prepared(
    lambda user_id: (
        User.objects.select_for_update().filter(pk=user_id).order_by().values_list("pk", flat=True)
    ),
    user_id=uuid.UUID,
)


@functools.lru_cache(maxsize=64)
def _pending(cap: int) -> Prepared[uuid.UUID]:
    return Prepared(
        lambda user_id, since: (
            Task.objects.filter(user_id=user_id, done=False, skipped=False, created_date__gte=since)
            .order_by()
            .values_list("pk", flat=True)[:cap]
        ),
        user_id=uuid.UUID,
        since=datetime,
    )


_INSERT_TASK: PreparedInsert[Task] = PreparedInsert(Task)
_CLAIM: Prepared[Message] = Prepared(
    lambda message_id: (
        Message.objects.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
        .filter(pk=message_id)
        .order_by()[:1]
    ),
    message_id=uuid.UUID,
)


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
    """TREE-30: draw a kind with probability weight / sum among kinds that have work.

    Kinds are drawn among all kinds with a positive weight and dropped when they turn
    out to have nothing claimable; that yields exactly the spec's probabilities (a kind
    without work is redrawn among the others: P(k) = w_k / sum of the weights of kinds
    with work) without counting every kind's candidates first.
    """
    weights = {name: weight for name, weight in _weights(sel).items() if weight > 0}
    while weights:
        names = sorted(weights)
        drawn = rng().choices(names, weights=[weights[n] for n in names])[0]
        if drawn == "prompt":
            built = build_initial_prompt() if missing_prompts(sel) > 0 else None
        else:
            built = _claim_and_build(sel, kinds[drawn])
        if built is not None:
            return built
        del weights[drawn]  # nothing claimable: draw again among the others
    return None


# Candidates tested against the full predicate per query: two batches of CHECK_BATCH, then
# batches growing fourfold up to MAX_BATCH, so a superset that is mostly excluded for this
# user costs a few queries, never one per candidate. Each candidate costs PostgreSQL about
# 0.06-0.2 ms (the predicate's subqueries), and on the bench database a fifth to all of a
# first batch passes: a batch of 24 did four times the work that one of 6 does.
CHECK_BATCH = 6
BATCHES_BEFORE_GROWING = 2
MAX_BATCH = 4096


def _claim_and_build(sel: Selection, kind: _Kind) -> BuiltTask | None:
    """Draw candidates uniformly, claim one atomically (TREE-37) and build its task.

    A random permutation of the kind's cheap superset is tested in batches against the
    full per-user predicate; the first passing id in permutation order is a uniformly
    random candidate. TREE-34's lonely-parent preference draws among lonely parents first.
    """
    if kind.template is None:
        return kind.build(None)  # an initial prompt: no target
    if kind.superset is None:
        return None
    if kind.lonely_superset is not None and _wants_lonely(sel):
        # Lonely parents: prompter messages with 0 < c < lonely_children_count active
        # children, checked in full by the lonely predicate.
        built = _first_claimable(sel, kind, kind.lonely_superset(), lonely=True)
        if built is not None:
            return built
    return _first_claimable(sel, kind, kind.superset(), lonely=False)


def _wants_lonely(sel: Selection) -> bool:
    """TREE-34: reply kinds prefer a lonely prompter parent with probability p."""
    config = sel.config
    if config.p_lonely_child_extension <= 0 or config.lonely_children_count <= 1:
        return False
    return rng().random() < config.p_lonely_child_extension


def _lonely(
    template: Callable[[Selection], QuerySet[Message]],
) -> Callable[[Selection], QuerySet[Message]]:
    def lonely(s: Selection) -> QuerySet[Message]:
        return template(s).filter(  # type: ignore[misc]
            role=MessageRole.PROMPTER,
            active_children__gt=0,
            active_children__lt=s.config.lonely_children_count,
        )

    return lonely


def random_permutation(items: Sequence[T_], rnd: random.Random) -> Iterator[T_]:
    """The items in uniformly random order, drawn lazily (Fisher-Yates over a sparse map).

    Costs O(k) for the first k items whatever the length, and never changes `items`
    (a cached superset is shared between requests).
    """
    moved: dict[int, int] = {}
    size = len(items)
    for i in range(size):
        j = rnd.randrange(i, size)
        picked = moved.get(j, j)
        moved[j] = moved.get(i, i)
        yield items[picked]


def _first_claimable(
    sel: Selection, kind: _Kind, superset: Sequence[str], *, lonely: bool
) -> BuiltTask | None:
    """Claim the first candidate of a random permutation of `superset` (ids) that qualifies."""
    assert kind.template is not None  # noqa: S101 - checked by the caller
    check = _Predicate(
        sel,
        _lonely(kind.template) if lonely else kind.template,
        f"lonely:{kind.key}" if lonely else kind.key,
    )
    order = random_permutation(superset, rng())
    size = CHECK_BATCH
    for tested in itertools.count():
        batch = [_message_id(key) for key in itertools.islice(order, size)]
        if not batch:
            return None
        built = _claim_in_order(kind, check, batch)
        if built is not None:
            return built
        if tested + 1 >= BATCHES_BEFORE_GROWING:
            size = min(MAX_BATCH, size * 4)
    return None  # pragma: no cover (the loop ends when the permutation does)


def _message_id(value: str | uuid.UUID) -> uuid.UUID:
    """A message id read as text (a superset's, a column's), as a UUID."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _claim_in_order(
    kind: _Kind, check: _Predicate, ordered_ids: list[uuid.UUID]
) -> BuiltTask | None:
    """Claim the first candidate of `ordered_ids` that qualifies and build its task.

    The target is locked by the statement that finds it (`_Predicate.claim_first`), then
    re-checked by a new statement (TREE-37): under READ COMMITTED that one sees what
    committed while the lock was being taken. A row locked by a concurrent hand-out is
    skipped (SKIP LOCKED) rather than waited for; on SQLite the request's IMMEDIATE
    transaction already holds the database lock, so hand-outs are serialised. The task row
    is inserted before the lock is released, at commit.
    """
    remaining = ordered_ids
    while remaining:
        target = check.claim_first(remaining)
        if target is None:
            return None
        remaining = remaining[remaining.index(target.pk) + 1 :]
        if target.pk not in check.passing([target.pk]):
            continue  # taken while it was being locked
        try:
            return kind.build(target)
        except BrokenConversation:
            continue  # an ancestor is missing, deleted or not accepted: discard
    return None


class _Predicate:
    """A kind's full candidate predicate for this request, run over batches of ids.

    The SQL is compiled once per process and kind (tasks/compiled.py) and bound to this
    request's user and time; a predicate that cannot be templated is compiled here.
    """

    def __init__(
        self, sel: Selection, template: Callable[[Selection], QuerySet[Message]], key: str
    ) -> None:
        self.sel = sel
        self.template = template
        self.key = key

    def passing(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        bound = compiled.bind(self.key, self.template, self.sel, ids)
        if bound is None:
            query = self.template(self.sel).filter(pk__in=ids).values_list("pk", flat=True)
            return set(query)
        sql, params = bound
        with statement_cursor(connection) as cursor:
            cursor.execute(sql, params)
            return {_message_id(row[0]) for row in cursor.fetchall()}

    def claim_first(self, ids: list[uuid.UUID]) -> Message | None:
        """The first of `ids`, in their order, that passes and that no other transaction
        holds, locked; None when there is none. One statement on PostgreSQL; elsewhere
        (or for a predicate that cannot be templated) a check, then claims in order."""
        bound = compiled.bind_first(self.key, self.template, self.sel, ids)
        if bound is None:
            passing = self.passing(ids)
            return next(
                (m for i in ids if i in passing and (m := _CLAIM.first(message_id=i))), None
            )
        sql, params, template = bound
        with statement_cursor(connection) as cursor:
            cursor.execute(sql, params)
            return next(iter(template.messages(cursor.fetchall())), None)


def _store(*, client: ApiClient, user: User, built: BuiltTask, collective: bool) -> Task:
    """TREE-38: the task row, with the payload as served (GEN-6)."""
    validity = settings.TASK_VALIDITY_MINUTES
    created = now()
    expiry = None if collective or validity <= 0 else created + timedelta(minutes=validity)
    return _INSERT_TASK.create(
        id=uuid.uuid4(),
        created_date=created,
        expiry_date=expiry,
        user_id=user.pk,
        api_client_id=client.pk,
        payload_type=built.payload_type,
        payload=wrap(built.payload_type, built.fields),
        message_tree_id=built.message_tree_id,
        parent_message_id=built.target_id,
        collective=collective,
    )
