"""Seed a benchmark database with the shape of the final oasst2 collection (bench/README.md).

    .venv/bin/python -m bench.seed --scale 1 [--db canopy_bench1] [--seed 1] [--recreate]

Creates the database (PostgreSQL on 127.0.0.1, user postgres), migrates it, drops its
keys, indexes and foreign keys, loads every table with COPY, restores them, runs
VACUUM ANALYZE and `check_invariants`. Everything random comes from one seeded
`random.Random`, so a scale and a seed always give the same rows (ids included); dates are
fixed in 2022/2023 so that no seeded task is a lease or pending when the load starts.

What is seeded, per scale unit (trees.md, spec/README.md §4):
- 3 API clients (the trusted web client whose key is `bench.shape.bench_web_key()`, a
  Discord bot, the import client), 13.5k users with their primary identities;
- 70.6k trees in the final oasst2 state mix, one tree-state row per root, in about 40
  languages led by en and es; finished trees (ready_for_export, ranking) have a root,
  2-3 assistant replies, at most one prompter reply per assistant and 1-3 assistant
  replies below that (depth <= 3, <= 3 children, goal size 12); growing and some halted
  trees are partial and keep replies under review; replies are accepted, rejected (a few
  deleted) or under review;
- the history behind them: the done task of every message, review, ranking (~0.9M), the
  task-based text labels (~0.6M, 3 per decided message, reviewers distinct and never the
  author), ranking reactions (~87k, 3 per rankable parent of finished trees, ranks written
  by the ranked-pairs consensus), skipped tasks with their skip emojis, expired tasks never
  done, other emojis, journal rows (STAT-19) and total-frame user_stats rows.
The DATA-18 invariants hold by construction (children_count, ranking_count, emoji
aggregates, a state row per root, active agreeing with state).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import math
import os
import queue
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench.shape import LANGUAGES, TREE_STATES, VOLUNTEERS, bench_web_key, database_name
from trees.parameters import TreeManagerConfig

NULL = r"\N"
HOUR = 3600.0
DAY = 24 * HOUR
TASK_VALIDITY = 2 * DAY


def _epoch(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


# When each kind of tree was started: finished and parked trees over the whole collection
# period, still-active trees towards its end.
TREE_START_WINDOWS: dict[str, tuple[float, float]] = {
    "ready_for_export": (_epoch(2022, 12, 20), _epoch(2023, 9, 1)),
    "prompt_lottery_waiting": (_epoch(2022, 12, 20), _epoch(2023, 10, 15)),
    "halted_by_moderator": (_epoch(2022, 12, 20), _epoch(2023, 10, 1)),
    "aborted_low_grade": (_epoch(2022, 12, 20), _epoch(2023, 10, 15)),
    "growing": (_epoch(2023, 2, 1), _epoch(2023, 10, 1)),
    "initial_prompt_review": (_epoch(2023, 4, 1), _epoch(2023, 10, 25)),
    "ranking": (_epoch(2023, 7, 1), _epoch(2023, 9, 15)),
}
USERS_SINCE = _epoch(2022, 12, 1)

# Tree-manager defaults (trees.md §13) the seeded trees are shaped by.
_DEFAULTS = TreeManagerConfig()
GOAL_TREE_SIZE = _DEFAULTS.goal_tree_size
MAX_DEPTH = _DEFAULTS.max_tree_depth
MAX_CHILDREN = _DEFAULTS.max_children_count
NUM_PROMPTER_REPLIES = _DEFAULTS.num_prompter_replies
NUM_REVIEWS = _DEFAULTS.num_reviews_reply
NUM_RANKINGS = _DEFAULTS.num_required_rankings

ACTIVE = {"initial_prompt_review", "growing", "ranking", "ready_for_scoring"}
LABELS_PROMPT = list(_DEFAULTS.labels_initial_prompt)
LABELS_ASSISTANT = list(_DEFAULTS.labels_assistant_reply)
LIKERT = {"quality", "helpfulness", "creativity", "humor", "toxicity", "violence"}
# Reviews with these spam votes give acceptance 1.0 / 0.667 (accepted) or <= 0.333.
ACCEPTED_SPAM = ((0, 0, 0),) * 4 + ((0, 0, 1), (0, 1, 0), (1, 0, 0))
REJECTED_SPAM = ((1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1))
OTHER_EMOJIS = ("+1",) * 11 + ("-1",) * 5 + ("heart_eyes", "100", "rofl", "clap", "red_flag")
SKIP_REASONS = ("", "not_relevant", "too_hard", "not_my_language", "skip")

# Columns written by COPY, per table (every column: the tables have no database defaults).
COLUMNS: dict[str, str] = {
    "api_client": "id, key_prefix, key_hash, description, admin_email, enabled, trusted, "
    "frontend_type, created_date, last_used_date",
    '"user"': "id, username, auth_method, display_name, api_client_id, created_date, enabled, "
    "deleted, notes, show_on_leaderboard, streak_last_day_date, streak_days, "
    "last_activity_date, tos_acceptance_date, account_id, merged_into_id",
    "user_identity": "id, user_id, api_client_id, auth_method, username, is_primary, created_date",
    "message": "id, parent_id, message_tree_id, task_id, user_id, role, api_client_id, "
    "frontend_message_id, created_date, payload_type, payload, lang, depth, children_count, "
    "deleted, deletion_batch_id, search_vector, review_count, review_result, ranking_count, "
    "rank, synthetic, edited, model_name, emojis",
    "tree_message": "message_id, message_tree_id, lang, role, tree_state",
    "message_tree_state": "message_tree_id, goal_tree_size, max_depth, max_children_count, "
    "state, active, origin, won_prompt_lottery_date, lang, state_changed_date",
    "task": "id, created_date, expiry_date, user_id, payload_type, payload, api_client_id, "
    "ack, done, done_date, skipped, skip_reason, frontend_message_id, message_tree_id, "
    "parent_message_id, collective",
    "text_labels": "id, user_id, created_date, api_client_id, text, message_id, labels, task_id",
    "message_reaction": "id, task_id, user_id, created_date, payload_type, payload, "
    "api_client_id, message_id, voided",
    "message_emoji": "id, message_id, user_id, emoji, created_date",
    "journal": "id, created_date, user_id, message_id, api_client_id, event_type, event_payload",
    "user_stats": "id, time_frame, user_id, base_date, modified_date, rank, leader_score, "
    "prompts, replies_assistant, replies_prompter, labels_simple, labels_full, "
    "rankings_total, rankings_good, accepted_prompts, accepted_replies_assistant, "
    "accepted_replies_prompter, reply_ranked_1, reply_ranked_2, reply_ranked_3",
}
TABLES = list(COLUMNS)

# user_stats counters, in COLUMNS order after leader_score.
(
    PROMPTS,
    REPLIES_ASSISTANT,
    REPLIES_PROMPTER,
    LABELS_SIMPLE,
    LABELS_FULL,
    RANKINGS_TOTAL,
    RANKINGS_GOOD,
    ACCEPTED_PROMPTS,
    ACCEPTED_ASSISTANT,
    ACCEPTED_PROMPTER,
    RANKED_1,
    RANKED_2,
    RANKED_3,
) = range(13)


def ts(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def tf(value: bool) -> str:
    return "t" if value else "f"


def opt(value: Any) -> str:
    return NULL if value is None else str(value)


class Msg:
    """A seeded message while its tree is being built."""

    __slots__ = (
        "children",
        "cm",
        "created",
        "decided",
        "deleted",
        "depth",
        "emojis",
        "fid",
        "id",
        "lang",
        "parent",
        "quality",
        "rank",
        "ranking_count",
        "review_count",
        "review_result",
        "role",
        "task_id",
        "text",
        "tree",
        "user",
    )

    def __init__(self) -> None:
        self.children: list[Msg] = []
        self.emojis: dict[str, set[int]] = {}
        self.rank: int | None = None
        self.ranking_count = 0
        self.review_count = 0
        self.review_result: bool | None = None
        self.deleted = False
        self.decided = 0.0
        self.quality = 0.0

    @property
    def active(self) -> bool:
        """Counts towards a parent's active children (TREE-25)."""
        return not self.deleted and (
            self.review_result is True
            or (self.review_result is None and self.review_count < NUM_REVIEWS)
        )


class Pool:
    """Users of one language with Zipf-like activity weights, for weighted draws."""

    def __init__(self, users: list[int], rnd: random.Random) -> None:
        self.users = list(users)
        rnd.shuffle(self.users)
        total = 0.0
        self.cum: list[float] = []
        for rank in range(len(self.users)):
            total += 1.0 / (rank + 4) ** 1.05
            self.cum.append(total)
        self.total = total

    def draw(self, rnd: random.Random) -> int:
        return self.users[bisect.bisect_left(self.cum, rnd.random() * self.total)]


class Seeder:
    def __init__(self, conn: psycopg.Connection[Any], scale: float, seed: int) -> None:
        self.conn = conn
        self.scale = scale
        self.rnd = random.Random(seed)
        self.buf: dict[str, list[str]] = {table: [] for table in TABLES}
        self.buffered = 0
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.fid_seq = 0
        self.started = time.monotonic()
        self.error: BaseException | None = None
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=4)
        self.writer = threading.Thread(target=self._copy_rows, daemon=True)
        self.writer.start()
        self._words()

    # --- ids, text, output ----------------------------------------------------------------

    def uid(self) -> str:
        n = self.rnd.getrandbits(128)
        n = (n & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def uid7(self, t: float) -> str:
        """A version-7 id (journal rows are ordered by time, GEN-3)."""
        n = (
            (int(t * 1000) << 80)
            | (0x7 << 76)
            | (self.rnd.getrandbits(12) << 64)
            | (0x2 << 62)
            | self.rnd.getrandbits(62)
        )
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def fid(self, prefix: str) -> str:
        self.fid_seq += 1
        return f"{prefix}{self.fid_seq}"

    def _words(self) -> None:
        syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + ["an", "el", "or"]
        vocabulary = [
            "".join(self.rnd.choice(syllables) for _ in range(self.rnd.choice((1, 2, 2, 3, 3, 4))))
            for _ in range(4000)
        ]
        weights = [1.0 / (i + 1) for i in range(len(vocabulary))]
        self.corpus = " ".join(self.rnd.choices(vocabulary, weights, k=600_000))

    def text(self, median: float, sigma: float, upper: int = 2000) -> str:
        """A text of log-normally distributed length (letters, spaces, full stops only)."""
        n = max(12, min(upper, int(self.rnd.lognormvariate(math.log(median), sigma))))
        start = self.corpus.find(" ", self.rnd.randrange(len(self.corpus) - upper - 50)) + 1
        body = self.corpus[start : start + n].rstrip()
        return body[0].upper() + body[1:] + "."

    def emit(self, table: str, *fields: str) -> None:
        self.buf[table].append("\t".join(fields))
        self.buffered += 1
        if self.buffered >= 250_000:
            self.flush()

    def flush(self) -> None:
        """Hand the buffered rows to the COPY thread (generation and loading overlap)."""
        if self.error is not None:
            raise self.error
        for table, lines in self.buf.items():
            if lines:
                self.queue.put((table, "\n".join(lines) + "\n"))
                self.rows[table] += len(lines)
                lines.clear()
        self.buffered = 0

    def _copy_rows(self) -> None:
        while (item := self.queue.get()) is not None:
            table, data = item
            try:
                if self.error is None:
                    with (
                        self.conn.cursor() as cur,
                        cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy,
                    ):
                        copy.write(data)
            except BaseException as exc:  # reported by the next flush() or finish()
                self.error = exc

    def finish(self) -> None:
        """Flush and wait until every row is loaded."""
        self.flush()
        self.queue.put(None)
        self.writer.join()
        if self.error is not None:
            raise self.error

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:7.1f}s] {message}", flush=True)

    # --- clients and users --------------------------------------------------------------------

    def seed_clients(self) -> None:
        key = bench_web_key()

        def client(cid: str, key: str, description: str, trusted: bool, ftype: str) -> None:
            digest = hashlib.sha256(key.encode()).hexdigest()
            self.emit(
                "api_client",
                cid,
                key[:8],
                digest,
                description,
                "bench@example.org",
                "t",
                tf(trusted),
                ftype,
                ts(USERS_SINCE),
                NULL,
            )

        self.web_client = self.uid()
        self.bot_client = self.uid()
        client(self.web_client, key, "Benchmark website", True, "web")
        client(
            self.bot_client,
            hashlib.sha256(b"bench-bot").hexdigest(),
            "Discord bot",
            False,
            "discord",
        )
        client(
            "bd8fde8b-1d8e-4e9a-9966-e96d000f8363",
            hashlib.sha256(b"bench-import").hexdigest(),
            "Import",
            False,
            "import",
        )

    def seed_users(self) -> None:
        n = max(len(LANGUAGES) * 8, round(VOLUNTEERS * self.scale))
        langs = list(LANGUAGES)
        weights = list(LANGUAGES.values())
        self.user_ids: list[str] = []
        self.user_enabled: list[bool] = []
        self.user_client: list[str] = []
        self.stats: list[list[int]] = []
        by_lang: dict[str, list[int]] = {lang: [] for lang in langs}
        for i in range(n):
            lang = (
                langs[i % len(langs)] if i < len(langs) * 8 else self.rnd.choices(langs, weights)[0]
            )
            by_lang[lang].append(i)
            uid = self.uid()
            roll = self.rnd.random()
            enabled, deleted = roll >= 0.007, 0.005 <= roll < 0.007
            bot = self.rnd.random() < 0.05
            client = self.bot_client if bot else self.web_client
            method = (
                "discord"
                if bot
                else self.rnd.choices(("discord", "google", "local"), (45, 20, 35))[0]
            )
            username = f"{10**17 + i}" if method == "discord" else f"bench-{method}-{i}"
            created = USERS_SINCE + self.rnd.random() * 300 * DAY
            self.user_ids.append(uid)
            self.user_enabled.append(enabled)
            self.user_client.append(client)
            self.stats.append([0] * 13)
            last = ts(created + self.rnd.random() * 30 * DAY)
            self.emit(
                '"user"',
                uid,
                username,
                method,
                f"Volunteer {i}",
                client,
                ts(created),
                tf(enabled),
                tf(deleted),
                "",
                tf(not deleted),
                NULL,
                NULL,
                last,
                ts(created),
                NULL,
                NULL,
            )
            self.emit("user_identity", self.uid(), uid, client, method, username, "t", ts(created))
            self.journal(
                created,
                "user_created",
                "UserCreatedEvent",
                user=i,
                message=None,
                client=client,
                task=None,
                fields=f'"auth_method": "{method}", "username": "{username}"',
            )
        self.pools = {lang: Pool(users, self.rnd) for lang, users in by_lang.items()}
        self.everyone = Pool(list(range(n)), self.rnd)
        self.say(f"{n} users with primary identities")

    def draw_user(
        self, lang: str, exclude: set[int] | tuple[int, ...] = (), enabled: bool = False
    ) -> int:
        """A user weighted by activity, mostly of the language, not in `exclude`."""
        rnd = self.rnd
        for attempt in range(40):
            pool = self.pools[lang] if attempt < 30 and rnd.random() < 0.9 else self.everyone
            user = pool.draw(rnd)
            if user not in exclude and (not enabled or self.user_enabled[user]):
                return user
        while True:
            user = rnd.randrange(len(self.user_ids))
            if user not in exclude and (not enabled or self.user_enabled[user]):
                return user

    # --- rows -----------------------------------------------------------------------------------

    def journal(
        self,
        t: float,
        event: str,
        payload_type: str,
        *,
        user: int | None,
        message: str | None,
        client: str | None,
        task: tuple[str, str] | None,
        fields: str,
    ) -> None:
        user_id = self.user_ids[user] if user is not None else None
        task_id, task_type = task if task is not None else (None, None)

        def js(value: str | None) -> str:
            return "null" if value is None else f'"{value}"'

        payload = (
            f'{{"payload_type": "{payload_type}", "payload": {{"type": "{event}", '
            f'"user_id": {js(user_id)}, "message_id": {js(message)}, "task_id": {js(task_id)}, '
            f'"task_type": {js(task_type)}, {fields}}}}}'
        )
        self.emit(
            "journal", self.uid7(t), ts(t), opt(user_id), opt(message), opt(client), event, payload
        )

    def task(
        self,
        *,
        created: float,
        user: int,
        payload_type: str,
        payload: str,
        tree: str | None,
        target: str | None,
        outcome: str = "done",
        done_at: float | None = None,
    ) -> str:
        """One task row; outcome is done, skipped or expired (open, never completed)."""
        task_id = self.uid()
        envelope = f'{{"payload_type": "{payload_type}", "payload": {payload}}}'
        done = outcome == "done"
        skipped = outcome == "skipped"
        ack = "t" if done or self.rnd.random() < 0.6 else NULL
        self.emit(
            "task",
            task_id,
            ts(created),
            ts(created + TASK_VALIDITY),
            self.user_ids[user],
            payload_type,
            envelope,
            self.user_client[user],
            ack,
            tf(done),
            ts(done_at or created) if done else NULL,
            tf(skipped),
            self.rnd.choice(SKIP_REASONS) if skipped else NULL,
            self.fid("t") if ack == "t" else NULL,
            opt(tree),
            opt(target),
            "f",
        )
        return task_id

    # --- conversations ----------------------------------------------------------------------------

    def conversation_message(self, m: Msg, user: int, *, synthetic: str = "false") -> str:
        return f'{m.cm}{"true" if m.user == user else "false"}, "synthetic": {synthetic}}}'

    def conversation(self, path: list[Msg], user: int) -> str:
        return '{"messages": [' + ", ".join(self.conversation_message(m, user) for m in path) + "]}"

    @staticmethod
    def path(m: Msg) -> list[Msg]:
        out = [m]
        while out[-1].parent is not None:
            out.append(out[-1].parent)  # type: ignore[arg-type]
        out.reverse()
        return out

    # --- trees --------------------------------------------------------------------------------

    def seed_trees(self) -> None:
        plan: list[tuple[float, str, str]] = []
        langs = list(LANGUAGES)
        weights = list(LANGUAGES.values())
        for state, count in TREE_STATES.items():
            start, end = TREE_START_WINDOWS[state]
            for _ in range(max(1, round(count * self.scale))):
                lang = self.rnd.choices(langs, weights)[0]
                plan.append((start + self.rnd.random() * (end - start), state, lang))
        plan.sort()  # physical order follows creation time, as in a long-lived database
        self.say(f"{len(plan)} trees planned")
        for done, (t0, state, lang) in enumerate(plan, 1):
            self.tree(state, lang, t0)
            if done % 10_000 == 0:
                self.say(
                    f"{done}/{len(plan)} trees; rows so far: "
                    + ", ".join(
                        f"{t.strip(chr(34))} {n + len(self.buf[t])}" for t, n in self.rows.items()
                    )
                )

    def new_message(self, parent: Msg | None, role: str, lang: str, t: float, author: int) -> Msg:
        m = Msg()
        m.id = self.uid()
        m.parent = parent
        m.tree = parent.tree if parent is not None else m.id
        m.depth = parent.depth + 1 if parent is not None else 0
        m.role = role
        m.lang = lang
        m.created = t
        m.user = author
        m.fid = self.fid("m")
        if parent is None:
            m.text = self.text(110, 0.8)
        elif role == "assistant":
            m.text = self.text(650, 0.7)
        else:
            m.text = self.text(120, 0.8)
        m.quality = self.rnd.gauss(0.0, 1.0)
        m.cm = (
            f'{{"id": "{m.id}", "user_id": "{self.user_ids[author]}", '
            f'"frontend_message_id": "{m.fid}", "text": "{m.text}", "lang": "{lang}", '
            f'"is_assistant": {"true" if role == "assistant" else "false"}, '
            '"emojis": {}, "user_emojis": [], "user_is_author": '
        )
        if parent is not None:
            parent.children.append(m)
        return m

    def decide(self, m: Msg, outcome: bool | None, reviews: int = NUM_REVIEWS) -> None:
        """Set the review outcome (None: under review with `reviews` < 3 reviews)."""
        m.review_count = reviews
        m.review_result = outcome if reviews >= NUM_REVIEWS else None
        m.decided = m.created + self.rnd.uniform(0.5, 48) * HOUR

    def tree(self, state: str, lang: str, t0: float) -> None:
        rnd = self.rnd
        waiting_or_active = state in ACTIVE or state == "prompt_lottery_waiting"
        author = self.draw_user(lang, enabled=waiting_or_active)
        root = self.new_message(None, "prompter", lang, t0, author)
        transitions: list[tuple[str, str]] = []
        won: float | None = None
        grows = False
        red_flagged = False
        if state == "initial_prompt_review":
            self.decide(root, None, rnd.choice((0, 0, 1, 1, 2)))
        elif state == "aborted_low_grade":
            red_flagged = rnd.random() < 0.1
            if red_flagged:
                self.decide(root, None, rnd.choice((0, 1, 2)))
            else:
                self.decide(root, False)
            transitions.append(("initial_prompt_review", state))
        elif state == "halted_by_moderator":
            kind = rnd.random()
            if kind < 0.25:
                self.decide(root, None, rnd.choice((0, 1, 2)))
                transitions.append(("initial_prompt_review", state))
            else:
                self.decide(root, True)
                transitions.append(("initial_prompt_review", "prompt_lottery_waiting"))
                if kind < 0.6:
                    transitions.append(("prompt_lottery_waiting", state))
                else:
                    grows = True
                    transitions += [("prompt_lottery_waiting", "growing"), ("growing", state)]
        else:
            self.decide(root, True)
            transitions.append(("initial_prompt_review", "prompt_lottery_waiting"))
            if state != "prompt_lottery_waiting":
                grows = True
                transitions.append(("prompt_lottery_waiting", "growing"))
            if state in ("ranking", "ready_for_export"):
                transitions.append(("growing", "ranking"))
            if state == "ready_for_export":
                transitions += [("ranking", "ready_for_scoring"), ("ready_for_scoring", state)]

        messages = [root]
        if grows:
            won = root.decided + rnd.uniform(1, 30 * 24) * HOUR
            if state in ("ranking", "ready_for_export"):
                self.grow_full(root, won, messages, ranking=state == "ranking")
            else:
                self.grow_partial(root, won, messages, growing=state == "growing")

        # Rankings of finished trees (TREE-57 … TREE-59).
        last = max(m.decided for m in messages)
        if state in ("ranking", "ready_for_export"):
            last = self.rank_tree(messages, last, complete=state == "ready_for_export")

        # Emission: messages with their reply tasks and reviews, in creation order.
        for m in messages:
            self.emit_message_history(m, state)
        self.emojis(messages, red_flagged=red_flagged, active=state in ACTIVE)
        for m in messages:
            self.emit_message(m, state)

        # The tree-state row and its transitions.
        t = root.decided
        for source, target in transitions:
            if target == "growing" and won is not None:
                t = won
            elif target in ("ranking", "ready_for_scoring", "ready_for_export"):
                t = max(t, last)
            else:
                t = max(t, root.decided) + rnd.uniform(0, 12) * HOUR
            self.journal(
                t,
                "tree_state_changed",
                "TreeStateEvent",
                user=None,
                message=root.id,
                client=None,
                task=None,
                fields=(
                    f'"message_tree_id": "{root.id}", "from_state": "{source}", '
                    f'"to_state": "{target}", "cause": "seed"'
                ),
            )
        self.emit(
            "message_tree_state",
            root.id,
            str(GOAL_TREE_SIZE),
            str(MAX_DEPTH),
            str(MAX_CHILDREN),
            state,
            tf(state in ACTIVE),
            NULL,
            ts(won) if won is not None else NULL,
            lang,
            ts(t),
        )

    def add_reply(self, parent: Msg, t: float, messages: list[Msg]) -> Msg:
        role = "assistant" if parent.role == "prompter" else "prompter"
        author = self.draw_user(parent.lang, exclude=(parent.user,), enabled=True)
        m = self.new_message(parent, role, parent.lang, t, author)
        messages.append(m)
        return m

    def grow_full(self, root: Msg, won: float, messages: list[Msg], *, ranking: bool) -> None:
        """A finished tree: everything decided, growth stopped at the goal size."""
        rnd = self.rnd
        size = 1
        level = [root]
        while level and size < GOAL_TREE_SIZE:
            below: list[Msg] = []
            for parent in level:
                if parent.depth >= MAX_DEPTH or parent.review_result is not True:
                    continue
                if parent.role == "prompter":
                    n = (
                        (2 if rnd.random() < 0.3 else 3)
                        if parent.depth == 0
                        else rnd.choice((1, 2, 3, 3))
                    )
                else:
                    n = 1 if rnd.random() < 0.8 else 0
                for _ in range(n):
                    if size >= GOAL_TREE_SIZE:
                        break
                    m = self.add_reply(
                        parent, max(parent.decided, won) + rnd.uniform(0.5, 72) * HOUR, messages
                    )
                    accepted = rnd.random() < 0.92
                    self.decide(m, accepted)
                    m.deleted = not accepted and not ranking and rnd.random() < 0.15
                    size += accepted
                    below.append(m)
            level = below
        if ranking and not any(
            sum(c.review_result is True and not c.deleted for c in m.children) >= 2
            for m in messages
        ):
            # A tree in `ranking` has something left to rank: accept the root's replies.
            for c in root.children:
                c.review_result = True

    def grow_partial(self, root: Msg, won: float, messages: list[Msg], *, growing: bool) -> None:
        """A tree still growing (or halted while growing): some replies under review."""
        rnd = self.rnd
        target = min(10, int(rnd.expovariate(1 / 4.5)) + (1 if growing else 0))
        size = 1
        for _ in range(target):
            parents = self.extendible(messages)
            if not parents or size >= GOAL_TREE_SIZE - 1:
                break
            parent = rnd.choice(parents)
            m = self.add_reply(
                parent, max(parent.decided, won) + rnd.uniform(0.5, 72) * HOUR, messages
            )
            if rnd.random() < 0.4:
                self.decide(m, None, rnd.choice((0, 0, 1, 2)))
            else:
                self.decide(m, rnd.random() < 0.9)
            size += m.active
        awaiting = any(m.review_result is None and m.parent is not None for m in messages)
        if growing and not awaiting and not self.extendible(messages):
            # The ranking check (TREE-8) would have moved it on: the newest reply still
            # awaits review.
            newest = messages[-1]
            newest.review_count, newest.review_result = rnd.choice((0, 1, 2)), None

    @staticmethod
    def extendible(messages: list[Msg]) -> list[Msg]:
        """Structurally extendible messages (TREE-8, TREE-25 without the per-user rules)."""
        return [
            p
            for p in messages
            if p.review_result is True
            and not p.deleted
            and p.depth < MAX_DEPTH
            and sum(c.active for c in p.children)
            < (MAX_CHILDREN if p.role == "prompter" else NUM_PROMPTER_REPLIES)
        ]

    def rank_tree(self, messages: list[Msg], last: float, *, complete: bool) -> float:
        """Ranking reactions of every rankable parent; ranks when the tree is finished."""
        from trees.services.scoring import consensus_ranked_pairs

        rnd = self.rnd
        parents = [
            m
            for m in messages
            if m.role == "prompter"
            and m.review_result is True
            and not m.deleted
            and sum(c.review_result is True and not c.deleted for c in m.children) >= 2
        ]
        t = last + rnd.uniform(1, 72) * HOUR
        for index, parent in enumerate(parents):
            group = [c for c in parent.children if c.review_result is True and not c.deleted]
            authors = {c.user for c in group}
            if complete:
                n = NUM_RANKINGS
            else:  # the first group is incomplete; the others may be
                n = rnd.choice((0, 1, 2)) if index == 0 else rnd.choice((0, 1, 2, 3, 3))
            rankings: list[list[uuid.UUID]] = []
            rankers: set[int] = set()
            by_ranker: list[int] = []
            for _ in range(n):
                ranker = self.draw_user(parent.lang, exclude=authors | rankers)
                rankers.add(ranker)
                by_ranker.append(ranker)
                t += rnd.uniform(0.2, 24) * HOUR
                shown = list(group)
                rnd.shuffle(shown)
                perceived = [c.quality + rnd.gauss(0, 0.8) for c in shown]
                ranking = sorted(range(len(shown)), key=lambda i: -perceived[i])
                ranked = [shown[i] for i in ranking]
                rankings.append([uuid.UUID(c.id) for c in ranked])
                self.emit_ranking(parent, shown, ranking, ranker, t)
                for c in group:
                    c.ranking_count += 1
            if complete:
                consensus = consensus_ranked_pairs(rankings) or []
                position = {str(i): rank for rank, i in enumerate(consensus)}
                for c in parent.children:
                    c.rank = position.get(c.id)
                    if c.rank is not None and c.rank < 3:
                        self.stats[c.user][RANKED_1 + c.rank] += 1
                best = str(consensus[0]) if consensus else None
                for ranking_ids, ranker in zip(rankings, by_ranker, strict=True):
                    if str(ranking_ids[0]) == best:
                        self.stats[ranker][RANKINGS_GOOD] += 1
        return t

    def emit_ranking(
        self, parent: Msg, shown: list[Msg], ranking: list[int], ranker: int, t: float
    ) -> None:
        rnd = self.rnd
        task_type = "rank_assistant_replies"
        conversation = self.conversation(self.path(parent), ranker)
        payload = (
            f'{{"type": "{task_type}", "conversation": {conversation}, '
            '"reply_messages": ['
            + ", ".join(self.conversation_message(c, ranker, synthetic="null") for c in shown)
            + f'], "ranking_parent_id": "{parent.id}", "message_tree_id": "{parent.tree}", '
            '"reveal_synthetic": false}'
        )
        created = t - rnd.uniform(60, 1200)
        task_id = self.task(
            created=created,
            user=ranker,
            payload_type="RankAssistantRepliesPayload",
            payload=payload,
            tree=parent.tree,
            target=parent.id,
            done_at=t,
        )
        ids = ", ".join(f'"{shown[i].id}"' for i in ranking)
        order = ", ".join(str(i) for i in ranking)
        reaction = (
            '{"payload_type": "RankingReactionPayload", "payload": {"type": "message_ranking", '
            f'"ranking": [{order}], "ranked_message_ids": [{ids}], '
            f'"ranking_parent_id": "{parent.id}", "message_tree_id": "{parent.tree}", '
            '"not_rankable": false}}'
        )
        self.emit(
            "message_reaction",
            self.uid(),
            task_id,
            self.user_ids[ranker],
            ts(t),
            "RankingReactionPayload",
            reaction,
            self.user_client[ranker],
            parent.id,
            "f",
        )
        self.journal(
            t,
            "message_ranking",
            "RankingEvent",
            user=ranker,
            message=parent.id,
            client=self.user_client[ranker],
            task=(task_id, "RankAssistantRepliesPayload"),
            fields=f'"ranking": [{order}]',
        )
        self.stats[ranker][RANKINGS_TOTAL] += 1
        if rnd.random() < 0.03:
            self.skipped_task(parent, "RankAssistantRepliesPayload", payload, "_skip_ranking", t)

    def emit_message_history(self, m: Msg, state: str) -> None:
        """The task that produced `m`, its reviews, skipped and expired tasks around it."""
        rnd = self.rnd
        author = m.user
        parent = m.parent
        if parent is None:
            payload_type, payload = (
                "InitialPromptPayload",
                '{"type": "initial_prompt", "hint": null}',
            )
            self.stats[author][PROMPTS] += 1
        else:
            conversation = self.conversation(self.path(parent), author)
            if m.role == "assistant":
                payload_type = "AssistantReplyPayload"
                payload = f'{{"type": "assistant_reply", "conversation": {conversation}}}'
                self.stats[author][REPLIES_ASSISTANT] += 1
            else:
                payload_type = "PrompterReplyPayload"
                payload = (
                    f'{{"type": "prompter_reply", "conversation": {conversation}, "hint": null}}'
                )
                self.stats[author][REPLIES_PROMPTER] += 1
            if rnd.random() < 0.05:
                self.skipped_task(parent, payload_type, payload, "_skip_reply", m.created)
            if rnd.random() < 0.04:
                self.expired_task(parent, payload_type, payload, m.created)
        m.task_id = self.task(
            created=m.created - rnd.uniform(60, 1800),
            user=author,
            payload_type=payload_type,
            payload=payload,
            tree=m.tree if parent is not None else None,
            target=parent.id if parent is not None else None,
            done_at=m.created,
        )
        self.journal(
            m.created,
            "text_reply_to_message",
            "TextReplyEvent",
            user=author,
            message=m.id,
            client=self.user_client[author],
            task=(m.task_id, payload_type),
            fields=f'"length": {len(m.text)}, "role": "{m.role}"',
        )
        if m.review_result is True:
            self.stats[author][
                ACCEPTED_PROMPTS
                if parent is None
                else ACCEPTED_ASSISTANT
                if m.role == "assistant"
                else ACCEPTED_PROMPTER
            ] += 1
        self.reviews(m)

    def reviews(self, m: Msg) -> None:
        rnd = self.rnd
        if m.review_result is True:
            spam = rnd.choice(ACCEPTED_SPAM)
        elif m.review_result is False:
            spam = rnd.choice(REJECTED_SPAM)
        else:
            spam = tuple(int(rnd.random() < 0.15) for _ in range(NUM_REVIEWS))
        if m.parent is None:
            payload_type, task_type, full_labels, p_full = (
                "LabelInitialPromptPayload",
                "label_initial_prompt",
                LABELS_PROMPT,
                1.0,
            )
            simple_labels = ["spam", "lang_mismatch"]
        elif m.role == "assistant":
            payload_type, task_type, full_labels, p_full = (
                "LabelAssistantReplyPayload",
                "label_assistant_reply",
                LABELS_ASSISTANT,
                1.0,
            )
            simple_labels = ["spam", "lang_mismatch", "quality"]
        else:
            payload_type, task_type, full_labels, p_full = (
                "LabelPrompterReplyPayload",
                "label_prompter_reply",
                LABELS_PROMPT,
                0.1,
            )
            simple_labels = ["spam", "lang_mismatch", "quality"]
        reviewers: set[int] = {m.user}
        t = m.created
        step = max(60.0, (m.decided - m.created) / max(1, m.review_count))
        path = self.path(m) if m.parent is not None else None
        for i in range(m.review_count):
            reviewer = self.draw_user(m.lang, exclude=reviewers)
            reviewers.add(reviewer)
            t += rnd.uniform(0.3, 1.0) * step
            full = rnd.random() < p_full
            valid = full_labels if full else simple_labels
            if path is None:
                body = f'"prompt": "{m.text}"'
            else:
                body = f'"conversation": {self.conversation(path, reviewer)}'
            payload = (
                f'{{"type": "{task_type}", "message_id": "{m.id}", {body}, '
                f'"valid_labels": [{", ".join(chr(34) + v + chr(34) for v in valid)}], '
                f'"mandatory_labels": ["spam"], "mode": "{"full" if full else "simple"}"}}'
            )
            task_id = self.task(
                created=t - rnd.uniform(30, 900),
                user=reviewer,
                payload_type=payload_type,
                payload=payload,
                tree=m.tree,
                target=m.id,
                done_at=t,
            )
            values = []
            for label in valid:
                if label == "spam":
                    value = float(spam[i])
                elif label in LIKERT:
                    value = rnd.choice((0.0, 0.25, 0.5, 0.75, 1.0))
                else:
                    value = 1.0 if rnd.random() < 0.02 else 0.0
                values.append(f'"{label}": {value}')
            self.emit(
                "text_labels",
                task_id,
                self.user_ids[reviewer],
                ts(t),
                self.user_client[reviewer],
                "",
                m.id,
                "{" + ", ".join(values) + "}",
                task_id,
            )
            names = ", ".join(f'"{v}"' for v in sorted(valid))
            self.journal(
                t,
                "text_labels",
                "TextLabelsEvent",
                user=reviewer,
                message=m.id,
                client=self.user_client[reviewer],
                task=(task_id, payload_type),
                fields=f'"label_names": [{names}], "is_report": false, "task_based": true',
            )
            self.stats[reviewer][LABELS_FULL if full else LABELS_SIMPLE] += 1
            if rnd.random() < 0.05:
                self.skipped_task(m, payload_type, payload, "_skip_labeling", t)
            if rnd.random() < 0.04:
                self.expired_task(m, payload_type, payload, t)

    def skipped_task(
        self, target: Msg, payload_type: str, payload: str, emoji: str, t: float
    ) -> None:
        """A task skipped (nack) by someone else, with the skip emoji it leaves (TREE-52)."""
        users = target.emojis.setdefault(emoji, set())
        if len(users) >= 5:  # stays far below the auto-moderation thresholds
            return
        user = self.draw_user(target.lang, exclude={target.user} | users)
        created = t - self.rnd.uniform(600, 6 * HOUR)
        task_id = self.task(
            created=created,
            user=user,
            payload_type=payload_type,
            payload=payload,
            tree=target.tree,
            target=target.id,
            outcome="skipped",
        )
        users.add(user)
        self.journal(
            created + 60,
            "task_skipped",
            "TaskSkippedEvent",
            user=user,
            message=target.id,
            client=self.user_client[user],
            task=(task_id, payload_type),
            fields='"reason": null',
        )

    def expired_task(self, target: Msg, payload_type: str, payload: str, t: float) -> None:
        user = self.draw_user(target.lang, exclude=(target.user,))
        self.task(
            created=t - self.rnd.uniform(600, 6 * HOUR),
            user=user,
            payload_type=payload_type,
            payload=payload,
            tree=target.tree,
            target=target.id,
            outcome="expired",
        )

    def emojis(self, messages: list[Msg], *, red_flagged: bool, active: bool) -> None:
        rnd = self.rnd
        for m in messages:
            if m.deleted:
                continue
            if rnd.random() < 0.15:
                for _ in range(1 + int(rnd.expovariate(1.2))):
                    code = rnd.choice(OTHER_EMOJIS)
                    users = m.emojis.setdefault(code, set())
                    if code == "red_flag" and len(users) >= 2:
                        continue
                    users.add(self.draw_user(m.lang, exclude={m.user} | users))
        if red_flagged:  # aborted by auto-moderation (TREE-44)
            root = messages[0]
            users = root.emojis.setdefault("red_flag", set())
            while len(users) < 4:
                users.add(self.draw_user(root.lang, exclude={root.user} | users))
        for m in messages:
            for code, users in m.emojis.items():
                for user in users:
                    t = m.created + rnd.uniform(0.1, 96) * HOUR
                    self.emit("message_emoji", self.uid(), m.id, self.user_ids[user], code, ts(t))
                    self.journal(
                        t,
                        "emoji",
                        "EmojiEvent",
                        user=user,
                        message=m.id,
                        client=None,
                        task=None,
                        fields=f'"emoji": "{code}", "op": "add"',
                    )

    def emit_message(self, m: Msg, state: str) -> None:
        counts = {code: len(users) for code, users in m.emojis.items() if users}
        emojis = (
            "{" + ", ".join(f'"{code}": {n}' for code, n in sorted(counts.items())) + "}"
            if counts
            else NULL
        )
        children = sum(not c.deleted for c in m.children)
        payload = f'{{"payload_type": "MessagePayload", "payload": {{"text": "{m.text}"}}}}'
        result = NULL if m.review_result is None else tf(m.review_result)
        self.emit(
            "message",
            m.id,
            m.parent.id if m.parent is not None else NULL,
            m.tree,
            m.task_id,
            self.user_ids[m.user],
            m.role,
            self.user_client[m.user],
            m.fid,
            ts(m.created),
            "MessagePayload",
            payload,
            m.lang,
            str(m.depth),
            str(children),
            tf(m.deleted),
            NULL,
            NULL,
            str(m.review_count),
            result,
            str(m.ranking_count),
            opt(m.rank),
            "f",
            "f",
            NULL,
            emojis,
        )
        self.emit("tree_message", m.id, m.tree, m.lang, m.role, state)

    # --- user_stats ----------------------------------------------------------------------------

    def seed_user_stats(self) -> None:
        rows = []
        for user, c in enumerate(self.stats):
            if not any(c):
                continue
            score = (
                c[PROMPTS] // 10
                + 4 * c[REPLIES_ASSISTANT]
                + c[REPLIES_PROMPTER]
                + c[LABELS_SIMPLE]
                + 2 * c[LABELS_FULL]
                + c[RANKINGS_TOTAL]
                + c[RANKINGS_GOOD]
                + c[ACCEPTED_PROMPTS] // 10
                + 4 * c[ACCEPTED_ASSISTANT]
                + c[ACCEPTED_PROMPTER]
                + 9 * c[RANKED_1]
                + 3 * c[RANKED_2]
                + c[RANKED_3]
            )
            rows.append((score, user))
        ranked = sorted(
            (r for r in rows if self.user_enabled[r[1]]), key=lambda r: (-r[0], self.user_ids[r[1]])
        )
        rank_of = {user: i + 1 for i, (_, user) in enumerate(ranked)}
        modified = ts(_epoch(2023, 11, 1))
        for score, user in rows:
            self.emit(
                "user_stats",
                self.uid(),
                "total",
                self.user_ids[user],
                NULL,
                modified,
                opt(rank_of.get(user)),
                str(score),
                *(str(v) for v in self.stats[user]),
            )
        self.say(f"{len(rows)} total-frame user_stats rows")


# --- schema handling ---------------------------------------------------------------------------


def _regclasses() -> list[str]:
    return TABLES


def drop_constraints(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[str, str, str]]]:
    """Drop foreign keys, keys and indexes of the seeded tables; return how to restore them."""
    tables = _regclasses()
    # (kind, the query listing (table, name, definition), its parameters, how to drop one)
    kinds = (
        (
            "fk",
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f'"
            " AND (conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[]))",
            [tables, tables],
            'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
        ),
        (
            "key",
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype IN ('p', 'u') AND conrelid = ANY(%s::regclass[])",
            [tables],
            'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
        ),
        (
            "index",
            "SELECT indrelid::regclass::text, indexrelid::regclass::text,"
            " pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = ANY(%s::regclass[])",
            [tables],
            "DROP INDEX {name}",
        ),
    )
    saved: dict[str, list[tuple[str, str, str]]] = {}
    with conn.cursor() as cur:
        for kind, query, params, drop in kinds:
            cur.execute(query, params)
            saved[kind] = cur.fetchall()
            for table, name, _ in saved[kind]:
                cur.execute(drop.format(table=table, name=name))
    return saved


def restore_constraints(
    conn: psycopg.Connection[Any], saved: dict[str, list[tuple[str, str, str]]], say: Any
) -> None:
    with conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        for table, name, definition in saved["key"]:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        say(f"{len(saved['key'])} primary keys and unique constraints rebuilt")
        for _, _, definition in saved["index"]:
            cur.execute(definition)
        say(f"{len(saved['index'])} indexes rebuilt")
        for table, name, definition in saved["fk"]:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        say(f"{len(saved['fk'])} foreign keys restored and validated")


def create_database(name: str, *, recreate: bool) -> None:
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not recreate:
            raise SystemExit(f"database {name} exists; pass --recreate to replace it")
        if exists:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = oasst2 size, 10 = ten times")
    parser.add_argument("--db", help="database name (default canopy_bench<scale>)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recreate", action="store_true", help="drop the database if it exists")
    parser.add_argument("--skip-check", action="store_true", help="do not run check_invariants")
    args = parser.parse_args()
    name = args.db or database_name(args.scale)
    started = time.monotonic()
    create_database(name, recreate=args.recreate)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    connection.ensure_connection()
    conn: psycopg.Connection[Any] = connection.connection  # type: ignore[assignment]
    conn.execute("SET synchronous_commit = off")
    seeder = Seeder(conn, args.scale, args.seed)
    seeder.say(f"database {name} created and migrated")
    saved = drop_constraints(conn)
    seeder.say("keys, indexes and foreign keys dropped for the load")
    seeder.seed_clients()
    seeder.seed_users()
    seeder.seed_trees()
    seeder.seed_user_stats()
    seeder.finish()
    seeder.say("loaded: " + ", ".join(f"{t.strip(chr(34))} {n}" for t, n in seeder.rows.items()))
    restore_constraints(conn, saved, seeder.say)
    conn.execute("VACUUM (ANALYZE)")
    seeder.say("VACUUM ANALYZE done")
    load_seconds = time.monotonic() - started
    if not args.skip_check:
        call_command("check_invariants")
        seeder.say("check_invariants passed")
    states = conn.execute(
        "SELECT state, count(*) FROM message_tree_state GROUP BY state ORDER BY 2 DESC"
    ).fetchall()
    size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
    langs = conn.execute("SELECT count(DISTINCT lang) FROM message").fetchone()
    print("tree states:", ", ".join(f"{s} {n}" for s, n in states))
    print(f"languages: {langs[0] if langs else 0}; database size: {size[0] if size else '?'}")
    print(f"seeded {name} at scale {args.scale:g} in {load_seconds:.0f} s (before the check)")


if __name__ == "__main__":
    main()
