"""Candidate sets of next-task selection, for one user and language (trees.md §3).

Each candidate query starts from the candidate index (tree_message: one index range for
the messages of a language in growing or ranking trees) and still tests the tree's real
state, so a stale index entry can never make a message a candidate. The language is tested
on the entry alone: it is the message's own, copied when the entry is written, and neither
ever changes (check_invariants compares them). Testing `message.lang` as well let
PostgreSQL's generic plan for a batch of roots intersect the whole language's root index
with the batch (2 ms instead of 0.1 ms for `en`).

Each function returns a queryset of candidate target messages (reads only): TREE-22
prompts needing review, TREE-23 replies needing review, TREE-25 extendible parents,
TREE-27 incomplete ranking groups (as their parent messages). The same querysets give
the availability counts (TREE-41) and, restricted to one id after the target row is
locked, the re-check of the atomic claim (TREE-37).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from config.prepared import statement_cursor
from shared_protocol.enums import EmojiCode, MessageRole
from tasks.models import MessageReaction, Task, TextLabels
from trees.models import Message, MessageEmoji, MessageTreeState, TreeMessage, TreeState
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from uuid import UUID

    from django.db.models import QuerySet

    from trees.parameters import TreeManagerConfig

REPLY_PAYLOADS = ("PrompterReplyPayload", "AssistantReplyPayload")
LABEL_PAYLOADS = (
    "LabelInitialPromptPayload",
    "LabelPrompterReplyPayload",
    "LabelAssistantReplyPayload",
)
RANKING_PAYLOADS = ("RankPrompterRepliesPayload", "RankAssistantRepliesPayload")


@dataclass(frozen=True)
class Selection:
    """Who asks, in which language, under which configuration, at what time."""

    user_id: UUID
    lang: str
    config: TreeManagerConfig
    now: datetime

    @property
    def lease_since(self) -> datetime:
        return self.now - timedelta(seconds=self.config.recent_tasks_span_sec)


def _open_tasks(sel: Selection) -> QuerySet[Task]:
    """Neither done nor skipped, and not expired (an expired task holds nothing, TREE-54)."""
    return Task.objects.filter(done=False, skipped=False).filter(
        Q(expiry_date__isnull=True) | Q(expiry_date__gt=sel.now)
    )


def _leases_on_target(sel: Selection, payload_types: tuple[str, ...]) -> QuerySet[Task]:
    """Open tasks younger than the lease span on the outer message, by anyone (TREE-24)."""
    return _open_tasks(sel).filter(
        parent_message_id=OuterRef("pk"),
        payload_type__in=payload_types,
        created_date__gte=sel.lease_since,
    )


def _lease_count(sel: Selection, payload_types: tuple[str, ...]) -> Coalesce:
    leases = (
        _leases_on_target(sel, payload_types)
        .order_by()
        .values("parent_message_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(leases, output_field=IntegerField()), Value(0))


def _own_open_task(sel: Selection, payload_types: tuple[str, ...]) -> Exists:
    """TREE-29: the user holds an unexpired open task of this kind for the target."""
    return Exists(
        _open_tasks(sel).filter(
            parent_message_id=OuterRef("pk"), payload_type__in=payload_types, user_id=sel.user_id
        )
    )


def _skipped_by_user(sel: Selection, code: EmojiCode) -> Exists:
    return Exists(
        MessageEmoji.objects.filter(message_id=OuterRef("pk"), user_id=sel.user_id, emoji=code)
    )


def _trees(state: TreeState) -> QuerySet[MessageTreeState, Any]:
    return MessageTreeState.objects.filter(active=True, state=state).values("message_tree_id")


def _needing_review(sel: Selection, *, roots: bool) -> QuerySet[Message]:
    """TREE-22 (roots) and TREE-23 (replies): messages a user may review now."""
    required = sel.config.num_reviews_initial_prompt if roots else sel.config.num_reviews_reply
    state = TreeState.INITIAL_PROMPT_REVIEW if roots else TreeState.GROWING
    messages = (
        Message.objects.filter(
            _indexed(state, sel.lang),
            parent__isnull=roots,
            deleted=False,
            review_count__lt=required,
            message_tree_id__in=_trees(state),
        )
        .exclude(review_result=True)
        .exclude(_skipped_by_user(sel, EmojiCode.SKIP_LABELING))
        .exclude(_own_open_task(sel, LABEL_PAYLOADS))
    )
    if not settings.DEBUG_ALLOW_SELF_LABELING:
        messages = messages.exclude(user_id=sel.user_id)
    if not settings.DEBUG_ALLOW_DUPLICATE_TASKS:
        messages = messages.exclude(
            Exists(
                TextLabels.objects.filter(
                    message_id=OuterRef("pk"), user_id=sel.user_id, task_id__isnull=False
                )
            )
        )
    if sel.config.lease_review_and_ranking_tasks:
        messages = messages.annotate(label_leases=_lease_count(sel, LABEL_PAYLOADS)).filter(
            review_count__lt=required - F("label_leases")
        )
    return messages


def prompts_needing_review(sel: Selection) -> QuerySet[Message]:
    """TREE-22."""
    return _needing_review(sel, roots=True)


def replies_needing_review(sel: Selection) -> QuerySet[Message]:
    """TREE-23."""
    return _needing_review(sel, roots=False)


def _tree_value(field: str) -> Subquery:
    return Subquery(
        MessageTreeState.objects.filter(message_tree_id=OuterRef("message_tree_id")).values(field)[
            :1
        ]
    )


def extendible_parents(sel: Selection) -> QuerySet[Message]:
    """TREE-25 (with TREE-26's extendible trees): parents a user may reply to now."""
    under_review = Q(review_count__lt=sel.config.num_reviews_reply)
    active_children = (
        Message.objects.filter(parent_id=OuterRef("pk"), deleted=False)
        .filter(Q(review_result=True) | under_review)
        .order_by()
        .values("parent_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    growth = (
        Message.objects.filter(message_tree_id=OuterRef("message_tree_id"), deleted=False)
        .filter(
            Q(parent__isnull=True, review_result=True)
            | Q(parent__isnull=False) & (Q(review_result=True) | under_review)
        )
        .order_by()
        .values("message_tree_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    parents = (
        Message.objects.filter(
            _indexed(TreeState.GROWING, sel.lang),
            deleted=False,
            review_result=True,
            message_tree_id__in=_trees(TreeState.GROWING),
        )
        .annotate(
            tree_max_depth=_tree_value("max_depth"),
            tree_max_children=_tree_value("max_children_count"),
            tree_goal=_tree_value("goal_tree_size"),
            active_children=Coalesce(
                Subquery(active_children, output_field=IntegerField()), Value(0)
            ),
            growth_size=Coalesce(Subquery(growth, output_field=IntegerField()), Value(0)),
        )
        .filter(
            depth__lt=F("tree_max_depth"),
            active_children__lt=F("tree_max_children"),
            growth_size__lt=F("tree_goal"),
        )
        .exclude(
            role=MessageRole.ASSISTANT,
            active_children__gte=sel.config.num_prompter_replies,
        )
        .exclude(_skipped_by_user(sel, EmojiCode.SKIP_REPLY))
        # TREE-24 (a): a parent with any reply lease, by anyone, is not offered.
        .exclude(Exists(_leases_on_target(sel, REPLY_PAYLOADS)))
        .exclude(_own_open_task(sel, REPLY_PAYLOADS))
    )
    if not settings.DEBUG_ALLOW_DUPLICATE_TASKS:
        parents = parents.exclude(
            Exists(
                Message.objects.filter(parent_id=OuterRef("pk"), user_id=sel.user_id, deleted=False)
            )
        )
    return parents


def ranking_parents(sel: Selection, *, count_only_rankable: bool = True) -> QuerySet[Message]:
    """TREE-27: parents of incomplete ranking groups a user may rank now.

    Roles alternate, so a parent's children all have one role: prompter parents head
    assistant groups, assistant parents prompter groups (counted only when
    `rank_prompter_replies`, or when `count_only_rankable` is false).
    """
    required = sel.config.num_required_rankings
    accepted_children = Message.objects.filter(
        parent_id=OuterRef("pk"), deleted=False, review_result=True
    )
    group = accepted_children.order_by().values("parent_id")
    parents = (
        Message.objects.filter(
            _indexed(TreeState.RANKING, sel.lang),
            deleted=False,
            review_result=True,
            message_tree_id__in=_trees(TreeState.RANKING),
        )
        .annotate(
            group_size=Coalesce(
                Subquery(group.annotate(n=Count("id")).values("n"), output_field=IntegerField()),
                Value(0),
            ),
            least_rankings=Subquery(
                group.annotate(m=Min("ranking_count")).values("m"), output_field=IntegerField()
            ),
        )
        .filter(group_size__gte=2, least_rankings__lt=required)
        .exclude(_skipped_by_user(sel, EmojiCode.SKIP_RANKING))
        .exclude(_own_open_task(sel, RANKING_PAYLOADS))
    )
    if count_only_rankable and not sel.config.rank_prompter_replies:
        parents = parents.filter(role=MessageRole.PROMPTER)
    if not settings.DEBUG_ALLOW_SELF_RANKING:
        parents = parents.exclude(Exists(accepted_children.filter(user_id=sel.user_id)))
    if not settings.DEBUG_ALLOW_DUPLICATE_TASKS:
        parents = parents.exclude(
            Exists(
                MessageReaction.objects.filter(
                    message_id=OuterRef("pk"),
                    user_id=sel.user_id,
                    voided=False,
                    payload_type="RankingReactionPayload",
                )
            )
        )
    if sel.config.lease_review_and_ranking_tasks:
        parents = parents.annotate(ranking_leases=_lease_count(sel, RANKING_PAYLOADS)).filter(
            least_rankings__lt=required - F("ranking_leases")
        )
    return parents


def missing_prompts(sel: Selection) -> int:
    """TREE-28: how many initial prompts language `lang` still takes, read-only.

    The two large counts (eligible and all waiting prompts) are only needed up to the
    point where the result stops changing, so each is counted with a LIMIT: the cost is
    bounded by the configured sizes, not by the size of the waiting pool.
    """
    config = sel.config
    if not config.accept_initial_prompts or sel.lang in config.init_prompt_disabled_langs:
        return 0
    states = MessageTreeState.objects.filter(lang=sel.lang)
    growing = states.filter(state=TreeState.GROWING, active=True).count()
    in_review = states.filter(state=TreeState.INITIAL_PROMPT_REVIEW, active=True).count()
    waiting = states.filter(state=TreeState.PROMPT_LOTTERY_WAITING)
    room = max(0, config.max_active_trees - growing)
    drawable = 0
    if room:
        eligible = waiting.filter(
            message_tree__deleted=False,
            message_tree__review_result=True,
            message_tree__lang=sel.lang,
            message_tree__user__in=User.objects.filter(enabled=True, deleted=False),
        )
        drawable = _count_upto(eligible, room)
    # Beyond max_prompt_lottery_waiting + drawable waiting prompts, no room is left.
    waiting_count = _count_upto(waiting, config.max_prompt_lottery_waiting + drawable)
    missing_growing = max(0, config.max_active_trees - growing - drawable)
    remaining_review = max(0, config.max_initial_prompt_review - in_review)
    remaining_waiting = max(0, config.max_prompt_lottery_waiting - (waiting_count - drawable))
    return min(missing_growing + remaining_review, remaining_waiting)


def _count_upto(rows: QuerySet[Any], limit: int) -> int:
    """min(rows.count(), limit), reading at most `limit` rows."""
    return rows.order_by()[:limit].count() if limit > 0 else 0


# --- Cheap supersets ---------------------------------------------------------------------
# Each gives the message ids of a superset of the matching candidate set: the messages of
# the language whose tree is in the kind's state, read from the candidate index alone
# (tree_message: an index-only range, no message rows touched). Hand-out draws from a
# random permutation of a superset and tests small batches against the full (per-user)
# predicate: the first id in permutation order that passes is a uniformly random
# candidate, without evaluating the per-row subqueries (leases, growth size, active
# children) for every row.
#
# Supersets are user-independent, so each process keeps them for
# TASK_CANDIDATE_CACHE_SECONDS (superset_ids). A stale superset can only lack work that
# appeared since it was read (which then waits at most that long); work that disappeared is
# rejected by the full predicate and the claim's re-check (TREE-37).


def _indexed(state: TreeState, lang: str) -> Q:
    """Messages of `lang` whose candidate-index entry says their tree is in `state`."""
    return Q(index_entry__tree_state=state, index_entry__lang=lang)


def _entries(state: TreeState, sel: Selection) -> QuerySet[Any]:
    """The superset of every kind whose targets lie in trees in `state`: TREE-22 prompts
    (a tree under review is its root), TREE-23 replies and TREE-25 parents (growing),
    TREE-27 ranking parents (ranking)."""
    return (
        TreeMessage.objects.filter(tree_state=state, lang=sel.lang)
        .order_by()
        # As text: building tens of thousands of UUID objects costs three times the
        # query; the few ids a draw tests are converted then.
        .annotate(key=Cast("message_id", output_field=CharField()))
        .values_list("key", "role")
    )


SUPERSET_CACHE_MAX_KEYS = 1024
# The message ids (as text) of each role, and of every role under None.
_IdsByRole = dict[str | None, list[str]]
_superset_cache: dict[tuple[TreeState, str], tuple[float, _IdsByRole]] = {}
_superset_lock = threading.Lock()


def _by_role(rows: Iterable[tuple[str, str]]) -> _IdsByRole:
    split: _IdsByRole = {}
    for key, role in rows:
        split.setdefault(role, []).append(key)
    return split


# PostgreSQL: the ids of each role as one text, split in Python. Sending tens of thousands
# of rows cost more (bench.candidates at scale 10, `en` growing trees, 65,521 ids:
# 57.5 -> 35.4 ms), and every worker reads each superset once per
# TASK_CANDIDATE_CACHE_SECONDS.
_SUPERSET_BY_ROLE_SQL = (
    "SELECT role, string_agg(message_id::text, ',') FROM tree_message"
    " WHERE tree_state = %s AND lang = %s GROUP BY role"
)


def _read_superset(state: TreeState, sel: Selection) -> _IdsByRole:
    """The superset's message ids for `state` and the selection's language, by role."""
    if connection.vendor == "postgresql":
        with statement_cursor(connection) as cursor:
            cursor.execute(_SUPERSET_BY_ROLE_SQL, [str(state), sel.lang])
            split: _IdsByRole = {role: keys.split(",") for role, keys in cursor.fetchall()}
    else:
        split = _by_role(_entries(state, sel))
    split[None] = list(itertools.chain.from_iterable(split.values()))
    return split


def superset_ids(state: TreeState, sel: Selection, *, role: str | None = None) -> list[str]:
    """The superset's message ids (as text) for trees in `state`, of one role or all, read
    at most once per TASK_CANDIDATE_CACHE_SECONDS per process and language.

    The returned list is shared and must not be changed by the caller.
    """
    ttl = settings.TASK_CANDIDATE_CACHE_SECONDS
    if ttl <= 0:
        return _read_superset(state, sel).get(role, [])
    key = (state, sel.lang)
    cached = _superset_cache.get(key)
    if cached is None or cached[0] <= time.monotonic():
        with _superset_lock:  # one reader per process refreshes; the others wait for it
            cached = _superset_cache.get(key)
            if cached is None or cached[0] <= time.monotonic():
                if len(_superset_cache) >= SUPERSET_CACHE_MAX_KEYS:  # any string is a language
                    _superset_cache.clear()
                cached = (time.monotonic() + ttl, _read_superset(state, sel))
                _superset_cache[key] = cached
    return cached[1].get(role, [])


def superset_cache_clear() -> None:
    """Forget every cached superset (tests; a process that must see new work at once)."""
    _superset_cache.clear()
