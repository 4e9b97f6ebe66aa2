"""Candidate predicates compiled once per process and bound per request.

Building and compiling a candidate queryset (tasks/candidates.py) costs 6-11 ms of Python
per task request on the scale-1 bench database, more than running it. The SQL depends on
the kind, the configuration and the DEBUG_ALLOW_* switches; the user, the language, the
request's time and the batch of ids only enter as parameters. So each predicate is
compiled once with sentinel values in their place and later bound to a request by
swapping the parameters.

The swap is checked when the template is made: every sentinel must appear only as whole
parameters and the id placeholder exactly once; otherwise the predicate is compiled per
request as before (`bind` returns None), so a query shape this does not understand can
never run with the wrong values.

Each predicate has two forms: ids only (`bind`: which of a batch pass), and, on
PostgreSQL, whole message rows (`bind_first`: the first passing row of a batch in the
batch's order that no other transaction holds, locked with SKIP LOCKED: the check and
the claim of a hand-out in one statement).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection

from config.prepared import in_form, locate_parameters

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from django.db.models import QuerySet

    from tasks.candidates import Selection
    from trees.models import Message

SENTINEL_USER = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
SENTINEL_ID = uuid.UUID("00000000-0000-4000-8000-0000000001d5")
SENTINEL_NOW = datetime(1971, 1, 1, tzinfo=UTC)
SENTINEL_LANG = "\u27e8lang\u27e9"
MAX_TEMPLATES = 1024


@dataclass(frozen=True)
class _Template:
    head: str  # SQL up to the id placeholder
    tail: str  # SQL after it
    params: tuple[Any, ...]  # with the id parameter removed
    id_at: int  # where the ids go in the parameter list
    id_form: str  # how an id is passed (config.prepared.value_forms): "uuid" or "hex"
    slots: tuple[tuple[int, str, str], ...]  # (index, "user" | "now" | "since" | "lang", form)
    compiler: Any = None  # rows form: the compiler, for its converters
    converters: Any = None

    def messages(self, rows: list[Any]) -> list[Message]:
        """Rows of the rows form as Message instances, as the ORM would make them."""
        from trees.models import Message

        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        fields = _message_columns()[0]
        return [Message.from_db(DEFAULT_DB_ALIAS, fields, row) for row in rows]


_templates: dict[tuple[Any, ...], _Template | None] = {}
_lock = threading.Lock()


@functools.cache
def _message_columns() -> tuple[tuple[str, ...], str, str]:
    """Message's field names (from_db order), its table and its primary key column."""
    from trees.models import Message

    meta = Message._meta
    return tuple(f.attname for f in meta.concrete_fields), meta.db_table, meta.pk.column


def _make(
    build: Callable[[Selection], QuerySet[Message]], sel: Selection, *, rows: bool = False
) -> _Template | None:
    sentinel = dataclasses.replace(sel, user_id=SENTINEL_USER, now=SENTINEL_NOW, lang=SENTINEL_LANG)
    candidates = build(sentinel).filter(pk__in=[SENTINEL_ID]).order_by()
    shaped = (
        candidates.values_list(*_message_columns()[0])
        if rows
        else candidates.values_list("pk", flat=True)
    )
    compiler = shaped.query.get_compiler(using=DEFAULT_DB_ALIAS)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # e.g. Message.objects.none(): nothing to template
        return None
    parts = sql.split("%s")
    if len(parts) != len(params) + 1:
        return None
    sentinels = {
        "id": SENTINEL_ID,
        "user": SENTINEL_USER,
        "now": SENTINEL_NOW,
        "since": sentinel.lease_since,
        "lang": SENTINEL_LANG,
    }
    try:
        found = locate_parameters(
            sql, tuple(params), sentinels, connection, required=("id", "user")
        )
    except ValueError:
        return None
    ids = [(index, form) for index, role, form in found if role == "id"]
    if len(ids) != 1:
        return None
    id_at, id_form = ids[0]
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    return _Template(
        head="%s".join(parts[: id_at + 1]),
        tail="%s".join(parts[id_at + 1 :]),
        params=tuple(p for index, p in enumerate(params) if index != id_at),
        id_at=id_at,
        id_form=id_form,
        # Indexes in the parameters without the id.
        slots=tuple(
            (index - (index > id_at), role, form) for index, role, form in found if role != "id"
        ),
        compiler=compiler if rows else None,
        converters=compiler.get_converters(columns) if rows else None,
    )


def _template(
    key: str, build: Callable[[Selection], QuerySet[Message]], sel: Selection, *, rows: bool
) -> _Template | None:
    flags = (
        settings.DEBUG_ALLOW_SELF_LABELING,
        settings.DEBUG_ALLOW_SELF_RANKING,
        settings.DEBUG_ALLOW_DUPLICATE_TASKS,
    )
    try:
        cache_key = (key, rows, connection.vendor, sel.config, flags)
        hash(cache_key)
    except TypeError:
        return None
    if cache_key in _templates:
        return _templates[cache_key]
    template = _make(build, sel, rows=rows)
    with _lock:
        if len(_templates) >= MAX_TEMPLATES:
            _templates.clear()
        _templates[cache_key] = template
    return template


def bind(
    key: str,
    build: Callable[[Selection], QuerySet[Message]],
    sel: Selection,
    ids: Sequence[uuid.UUID],
) -> tuple[str, list[Any]] | None:
    """SQL and parameters selecting those of `ids` that satisfy `build(sel)`, or None when
    the predicate cannot be templated (the caller then compiles it itself)."""
    template = _template(key, build, sel, rows=False) if ids else None
    return None if template is None else _bound(template, sel, ids)


def bind_first(
    key: str,
    build: Callable[[Selection], QuerySet[Message]],
    sel: Selection,
    ids: Sequence[uuid.UUID],
) -> tuple[str, list[Any], _Template] | None:
    """SQL and parameters selecting, locked, the first message row of `ids` (in their order)
    that satisfies `build(sel)` and that no other transaction holds (ordered by the id's
    place in the batch, LIMIT 1, FOR UPDATE SKIP LOCKED), with the template whose
    `messages()` makes the instance. None when the predicate cannot be templated or the
    database has no row locks (SQLite: the caller checks, then claims in order)."""
    if not ids or not connection.features.has_select_for_update_skip_locked:
        return None
    template = _template(key, build, sel, rows=True)
    if template is None or not _as_array(template):
        return None
    sql, params = _bound(template, sel, ids)
    _, table_name, pk_column = _message_columns()
    table, pk = connection.ops.quote_name(table_name), connection.ops.quote_name(pk_column)
    sql += (
        f" ORDER BY array_position(%s::uuid[], {table}.{pk})"
        f" LIMIT 1 FOR UPDATE OF {table} SKIP LOCKED"
    )
    return sql, [*params, list(ids)], template


def _as_array(template: _Template) -> bool:
    """Whether the ids can be passed as one array (`IN (%s)` → `= ANY(%s)`)."""
    return (
        template.id_form == "uuid" and template.head.endswith(" IN (") and template.tail[:1] == ")"
    )


def _bound(template: _Template, sel: Selection, ids: Sequence[uuid.UUID]) -> tuple[str, list[Any]]:
    values = {"user": sel.user_id, "now": sel.now, "since": sel.lease_since, "lang": sel.lang}
    params = list(template.params)
    for index, role, form in template.slots:
        params[index] = in_form(values[role], form, connection)
    if _as_array(template):
        # One statement text whatever the batch size, so that PostgreSQL prepares it once
        # (config/prepared.py statement_cursor): `IN (%s, …)` becomes `= ANY(%s)`.
        sql = template.head[: -len("IN (")] + "= ANY(%s)" + template.tail[1:]
        return sql, [*params[: template.id_at], list(ids), *params[template.id_at :]]
    id_params = [in_form(i, template.id_form, connection) for i in ids]
    sql = template.head + ", ".join(["%s"] * len(ids)) + template.tail
    return sql, params[: template.id_at] + id_params + params[template.id_at :]


def clear() -> None:
    """Forget every compiled predicate (tests)."""
    _templates.clear()
