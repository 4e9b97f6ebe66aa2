"""Querysets compiled once per process and run with new parameter values (hot paths).

Building and compiling a queryset costs several times more Python than running a simple
statement does. The statements of the task cycle (authenticate, lock the task, lock the
message, mark it done, …) have a fixed shape: only their values change. A `Prepared`
statement wraps a function that builds the queryset from named parameters. On first use
per database connection alias it is built with a sentinel value for each parameter and
compiled; the SQL is kept with the positions at which each sentinel landed in the
parameter list. Each call then swaps the real values in, in the form the backend
prepared the sentinel (a UUID is a UUID on PostgreSQL and a hex string on SQLite, a
datetime an adapted string on SQLite), runs the SQL and converts the rows with the
compiler's own converters, so the results are what the queryset would have returned.

On PostgreSQL the server prepares each such statement once per connection (with
`DATABASE_PREPARED_STATEMENTS`, the default): parsing and planning a statement cost more
than running it, ten times more for the candidate predicates of tasks/compiled.py, which
run on `statement_cursor()` too. Other queries keep Django's client-side binding.

`PreparedUpdate` runs single-table updates the same way (`PreparedUpdateReturning` also
gives the changed rows back, `UPDATE … RETURNING`). `PreparedInsert` writes one-row
inserts of a model: its SQL is compiled once, and each call prepares the values with the
fields' own `get_db_prep_save`, as `QuerySet.create()` would, without building a queryset
or running the save machinery.

Only UUID, str, int and datetime parameters can be swapped; everything else (booleans,
configuration, lists) must be fixed in the function. Compilation refuses, with
ValueError at first use, a statement in which a sentinel does not appear as a whole
parameter or appears inlined in the SQL text: such a statement must not be prepared,
and a statement this module does not understand never runs with the wrong values.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import sql
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.models.signals import post_save, pre_save
from psycopg import errors, generators, pq
from psycopg.adapt import PyFormat, Transformer

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Model, QuerySet

R = TypeVar("R")  # what one result is: a model instance, a tuple or a value
M = TypeVar("M", bound="Model")
PARAM_TYPES = (uuid.UUID, str, int, datetime)
_SENTINEL_BASE = 0x5E_4715_E1  # "sentinel"
_IDLE = pq.TransactionStatus.IDLE
_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_AUTO = PyFormat.AUTO


def statement_cursor(connection: BaseDatabaseWrapper) -> Any:
    """A cursor whose statements the server prepares once per connection and reuses.

    PostgreSQL with DATABASE_PREPARED_STATEMENTS only (`_PreparedStatementCursor`);
    elsewhere Django's plain cursor. Statements run through it are still seen by execute
    wrappers and the debug query log, and their errors are Django's database errors.
    """
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:  # disabled on this connection
        return connection.cursor()
    return _PreparedStatementCursor(connection)


class _PreparedStatementCursor:
    """Runs statements as named prepared statements through libpq, for the hot paths.

    psycopg's cursor spends more Python per statement than the rest of the statement's
    client side (a query object, its conversion and dumping, the prepare bookkeeping, a
    result set): a fifth of the web workers' CPU on the task cycle. This cursor does what
    a prepared execution needs and no more, with psycopg's own parts: its transaction
    start, its dumpers and loaders (a `Transformer` per connection, with the connection's
    adapters, so values come back exactly as from a psycopg cursor: text results), its
    wait loop and its errors. A statement is prepared (`Parse`) on its first use on a
    connection with the parameter types of that use, under a name of its own; the
    server keeps it for the session, rollbacks included. Supports `execute()`,
    `fetchall()` and `rowcount`, which is all the callers of `statement_cursor()` use.
    """

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.db = connection
        self.rowcount = -1
        self._rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> _PreparedStatementCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._rows = []

    def execute(self, sql_text: str, params: list[Any]) -> None:
        db: Any = self.db
        run: Any = self._run
        for wrapper in reversed(db.execute_wrappers):
            run = functools.partial(wrapper, run)
        start = time.monotonic()
        try:
            run(sql_text, params, False, {"connection": db, "cursor": self})
        finally:
            if db.queries_logged:  # DEBUG, or a test capturing queries
                elapsed = f"{time.monotonic() - start:.3f}"
                db.queries_log.append({"sql": f"{sql_text} -- {params!r}", "time": elapsed})

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def _run(self, sql_text: str, params: list[Any], many: bool, context: Any) -> None:
        db: Any = self.db
        with db.wrap_database_errors:
            conn = db.connection
            with conn.lock:
                pgconn = conn.pgconn
                if not conn.autocommit and pgconn.transaction_status == _IDLE:
                    conn.wait(conn._start_query())  # BEGIN, as a psycopg cursor would
                state = _connection_state(conn)
                dumped = state.transformer.dump_sequence(params, [_AUTO] * len(params))
                key = (sql_text, state.transformer.types)
                name = state.names.get(key)
                if name is None:
                    name = f"canopy_{len(state.names)}".encode()
                    pgconn.send_prepare(
                        name, _numbered(sql_text), param_types=state.transformer.types
                    )
                    _result(conn)
                    state.names[key] = name
                pgconn.send_query_prepared(name, dumped, param_formats=state.transformer.formats)
                result = _result(conn)
                if result.status == _TUPLES_OK:
                    state.transformer.set_pgresult(result)
                    self._rows = state.transformer.load_rows(0, result.ntuples, tuple)
                    self.rowcount = result.ntuples
                else:
                    self._rows = []
                    self.rowcount = result.command_tuples or 0


@dataclass
class _ConnectionState:
    transformer: Any  # psycopg.adapt.Transformer of the connection
    names: dict[tuple[str, Any], bytes]  # (SQL, parameter types) -> prepared name


def _connection_state(conn: Any) -> _ConnectionState:
    state: _ConnectionState | None = getattr(conn, "_canopy_prepared", None)
    if state is None:
        state = _ConnectionState(Transformer(conn), {})
        conn._canopy_prepared = state
    return state


def _result(conn: Any) -> Any:
    """The result of what was sent, or psycopg's error for it."""
    result = conn.wait(generators.execute(conn.pgconn))[-1]
    if result.status not in (_TUPLES_OK, _COMMAND_OK):
        raise errors.error_from_result(result, encoding=conn.info.encoding)
    return result


@functools.cache
def _numbered(sql_text: str) -> bytes:
    """Django's `%s` placeholders as PostgreSQL's `$1`, `$2`, … (`%%` is a literal %)."""
    counter = 0
    numbered = []
    for piece in sql_text.split("%%"):
        parts = piece.split("%s")
        out = [parts[0]]
        for part in parts[1:]:
            counter += 1
            out.append(f"${counter}{part}")
        numbered.append("".join(out))
    return "%".join(numbered).encode()


def _sentinel(kind: type, index: int) -> Any:
    if kind is uuid.UUID:
        return uuid.UUID(int=(_SENTINEL_BASE << 64) | index)
    if kind is str:
        return f"\u27e8prepared:{index}\u27e9"
    if kind is int:
        return 7_300_000_000_000 + index
    if kind is datetime:
        return datetime(1971, 1, 1, tzinfo=UTC) + timedelta(seconds=index)
    raise TypeError(f"a prepared parameter is a UUID, str, int or datetime, not {kind}")


def value_forms(value: Any, connection: BaseDatabaseWrapper) -> dict[Any, str]:
    """The shapes a backend may give a value in a parameter list, each with its name."""
    if isinstance(value, uuid.UUID):
        return {value: "uuid", value.hex: "hex", str(value): "str"}
    if isinstance(value, datetime):
        return {value: "value", connection.ops.adapt_datetimefield_value(value): "adapted"}
    return {value: "value"}


def in_form(value: Any, form: str, connection: BaseDatabaseWrapper) -> Any:
    """`value` in the form `value_forms` named for a sentinel."""
    if value is None:
        # `= NULL` is never true, where the queryset would have said IS NULL.
        raise ValueError("None cannot be a prepared value")
    if form == "hex":
        return value.hex
    if form == "str":
        return str(value)
    if form == "adapted":
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _inlined(value: Any) -> tuple[str, ...]:
    """The texts by which a sentinel would show if it were inlined in SQL."""
    if isinstance(value, uuid.UUID):
        return value.hex, str(value)
    if isinstance(value, datetime):
        return ("1971-01-01",)
    return (str(value),)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str, str], ...]  # (index in params, parameter name, form)
    compiler: Any  # the compiler that made the SQL (select, klass_info)
    shape: str = "models"  # what a row becomes: "models", "tuples" or "flat" (one value)
    converters: Any = None  # the compiler's converters of the selected columns

    def bind(self, values: dict[str, Any], connection: BaseDatabaseWrapper) -> list[Any]:
        params = list(self.params)
        for index, name, form in self.slots:
            params[index] = in_form(values[name], form, connection)
        return params

    def results(self, values: dict[str, Any], alias: str) -> list[Any]:
        """Run with `values`: model instances, tuples, or values for a flat values_list()."""
        connection = connections[alias]
        with statement_cursor(connection) as cursor:
            cursor.execute(self.sql, self.bind(values, connection))
            rows: list[Any] = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        if self.shape == "flat":
            return [row[0] for row in rows]
        if self.shape == "tuples":
            return [tuple(row) for row in rows]
        return _instances(self.compiler, rows, alias)


def _instances(compiler: Any, rows: list[Any], alias: str) -> list[Any]:
    """Model instances as ModelIterable makes them, select_related objects included."""
    select, klass_info = compiler.select, compiler.klass_info
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)
    objects = []
    for row in rows:
        obj = model_cls.from_db(alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for attr_name, col_pos in (compiler.annotation_col_map or {}).items():
            setattr(obj, attr_name, row[col_pos])
        objects.append(obj)
    return objects


def locate_parameters(
    compiled_sql: str,
    params: tuple[Any, ...],
    sentinels: dict[str, Any],
    connection: Any,
    *,
    required: Collection[str] | None = None,
) -> tuple[tuple[int, str, str], ...]:
    """Where each named parameter's sentinel landed in `params`: (index, name, form).

    ValueError if a sentinel is inlined in the SQL text, or one of `required` (default:
    every name) is not a whole parameter.
    """
    by_form = {
        form_value: (name, form)
        for name, value in sentinels.items()
        for form_value, form in value_forms(value, connection).items()
    }
    slots: list[tuple[int, str, str]] = []
    for index, param in enumerate(params):
        found = by_form.get(param) if isinstance(param, PARAM_TYPES) else None
        if found is not None:
            slots.append((index, *found))
    placed = {name for _, name, _ in slots}
    needed = set(sentinels) if required is None else set(required)
    for name, value in sentinels.items():
        missing = name in needed and name not in placed
        if missing or any(text in compiled_sql for text in _inlined(value)):
            raise ValueError(f"parameter {name!r} is not a whole parameter of the statement")
    return tuple(slots)


class _Statement:
    """What select and update statements share: sentinels and the per-alias cache."""

    def __init__(self, build: Callable[..., Any], params: dict[str, type]) -> None:
        self.build = build
        self.sentinels = {name: _sentinel(kind, i) for i, (name, kind) in enumerate(params.items())}
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _get(self, alias: str) -> _Compiled:
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compile(alias)
                self._compiled[key] = compiled
        return compiled

    def _compile(self, alias: str) -> _Compiled:  # pragma: no cover - abstract
        raise NotImplementedError

    def clear(self) -> None:
        """Forget the compiled forms (tests that change what the SQL depends on)."""
        self._compiled.clear()


# The querysets that can be prepared, by their iterable class, and what a row becomes.
_SHAPES = {
    "ModelIterable": "models",
    "ValuesListIterable": "tuples",
    "FlatValuesListIterable": "flat",
}


class _Rows(_Statement, Generic[R]):
    """A statement that gives rows (what `_Compiled.results` makes of them)."""

    def rows(self, **values: Any) -> list[R]:
        """The results: model instances, tuples, or values for a flat values_list()."""
        results: list[R] = self._get(DEFAULT_DB_ALIAS).results(values, DEFAULT_DB_ALIAS)
        return results

    def first(self, **values: Any) -> R | None:
        """The first result, or None (give the queryset its order and `[:1]`)."""
        rows = self.rows(**values)
        return rows[0] if rows else None


class Prepared(_Rows[R]):
    """A select statement: `build(**params)` returns a queryset of model instances or a
    `values_list()` queryset; `rows()` gives what iterating it would give."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], **params: type) -> None:
        super().__init__(build, params)

    def _compile(self, alias: str) -> _Compiled:
        queryset = self.build(**self.sentinels)
        compiler = queryset.query.get_compiler(using=alias)
        sql_text, params = compiler.as_sql()
        slots = locate_parameters(sql_text, tuple(params), self.sentinels, connections[alias])
        shape = _SHAPES.get(queryset._iterable_class.__name__)
        if shape is None:
            raise ValueError("only model and values_list() querysets can be prepared")
        columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = compiler.get_converters(columns)
        return _Compiled(sql_text, tuple(params), slots, compiler, shape, converters)


class PreparedUpdate(_Statement):
    """An update: `build(**params)` returns `(queryset, {field: new value})`; `run()`
    returns the number of rows changed, as `QuerySet.update()` does. Single-table only."""

    def __init__(
        self, build: Callable[..., tuple[QuerySet[Any], dict[str, Any]]], **params: type
    ) -> None:
        super().__init__(build, params)

    def _compile(self, alias: str) -> _Compiled:
        queryset, changes = self.build(**self.sentinels)
        query = queryset.query.chain(sql.UpdateQuery)
        query.add_update_values(changes)
        query.annotations = {}
        if query.related_updates or query.count_active_tables() > 1:
            raise ValueError("only single-table updates can be prepared")
        compiler = query.get_compiler(using=alias)
        sql_text, params = compiler.as_sql()
        slots = locate_parameters(sql_text, tuple(params), self.sentinels, connections[alias])
        return _Compiled(sql_text, tuple(params), slots, compiler)

    def run(self, **values: Any) -> int:
        alias = DEFAULT_DB_ALIAS
        compiled = self._get(alias)
        connection = connections[alias]
        with statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, compiled.bind(values, connection))
            return int(cursor.rowcount)


class PreparedUpdateReturning(PreparedUpdate, _Rows[M]):
    """An update that also gives the changed rows (`UPDATE … RETURNING`), as model
    instances with the queryset's fields (all concrete fields, or those of `only()`): a
    conditional write and the read of what it wrote in one statement, e.g. to lock, check
    and change a row at once. The values are those after the update."""

    def _compile(self, alias: str) -> _Compiled:
        update = super()._compile(alias)
        queryset, _ = self.build(**self.sentinels)
        # A plain select of the model's loaded fields gives the columns in from_db order,
        # with their converters; RETURNING names the same columns.
        plain = queryset.model._base_manager.order_by()
        plain.query.deferred_loading = queryset.query.deferred_loading
        select = plain.query.get_compiler(using=alias)
        select.as_sql()
        columns = [s[0] for s in select.select[0 : select.col_count]]
        quote = connections[alias].ops.quote_name
        returning = ", ".join(quote(column.target.column) for column in columns)
        return _Compiled(
            f"{update.sql} RETURNING {returning}",
            update.params,
            update.slots,
            select,
            "models",
            select.get_converters(columns),
        )


class PreparedInsert(Generic[M]):
    """A one-row insert of `model`, every concrete field written, compiled once per alias.

    `create(**values)` inserts a row as `model.objects.create(**values)` would (a field
    without a value gets its default) and returns the instance. It sends no pre_save or
    post_save signal, so it refuses a model that has receivers for them, and it runs no
    `pre_save()` of a field, so it refuses auto_now fields; a value must be given by
    attribute name (`user_id`, not `user`).
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.generated]
        self.attnames = [f.attname for f in self.fields]
        self._sql: dict[tuple[str, str], str] = {}

    def _compile(self, alias: str) -> str:
        connection = connections[alias]
        key = (alias, connection.vendor)
        if key not in self._sql:
            for field in self.fields:
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    raise ValueError(f"{field} is set by pre_save(): insert it with the ORM")
            query = sql.InsertQuery(self.model)
            query.insert_values(self.fields, [self.model()])
            [(sql_text, _)] = query.get_compiler(using=alias).as_sql()
            self._sql[key] = sql_text
        return self._sql[key]

    def create(self, **values: Any) -> M:
        alias = DEFAULT_DB_ALIAS
        sql_text = self._compile(alias)
        if pre_save.has_listeners(self.model) or post_save.has_listeners(self.model):
            raise ValueError(f"{self.model.__name__} has save signal receivers: use the ORM")
        unknown = set(values) - set(self.attnames)
        if unknown:
            raise TypeError(f"{self.model.__name__} has no field {', '.join(sorted(unknown))}")
        row = [
            values[field.attname] if field.attname in values else field.get_default()
            for field in self.fields
        ]
        connection = connections[alias]
        params = [
            field.get_db_prep_save(value, connection=connection)
            for field, value in zip(self.fields, row, strict=True)
        ]
        with statement_cursor(connection) as cursor:
            cursor.execute(sql_text, params)
        return self.model.from_db(alias, self.attnames, row)
