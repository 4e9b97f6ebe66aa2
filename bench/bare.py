"""A bare DRF view doing five small queries: the yardstick of bench/baseline.py.

Served by the production web server with the benchmark settings (bench.settings: the same
middleware, database connection and JSON renderer as the task API), but with this module
as the only URL configuration: `POST /bare/` reads five rows by primary key with the ORM
(a user, an identity, a message, a tree state and a task of the seeded database) and
answers their ids as JSON; `POST /bare/sql/` reads the same rows with five plain SQL
statements on a cursor (no query building). No authentication, no writes, no transaction.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # the settings module is chosen first

django.setup()

from typing import TYPE_CHECKING, Any  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from tasks.models import Task  # noqa: E402
from trees.models import Message, MessageTreeState  # noqa: E402
from users.models import User, UserIdentity  # noqa: E402

if TYPE_CHECKING:
    from rest_framework.request import Request

MODELS = (User, UserIdentity, Message, MessageTreeState, Task)
_keys: list[Any] = []  # one primary key per model, read once per worker


def _primary_keys() -> list[Any]:
    if not _keys:
        _keys.extend(model.objects.values_list("pk", flat=True).first() for model in MODELS)
    return _keys


class BareQueries(APIView):
    """`POST /bare/`: five ORM lookups by primary key."""

    authentication_classes = ()
    permission_classes = ()

    def post(self, request: Request) -> Response:
        keys = _primary_keys()
        rows = [
            model.objects.filter(pk=key).first() for model, key in zip(MODELS, keys, strict=True)
        ]
        return Response({"ids": [str(row.pk) for row in rows if row is not None]})


class BareSqlQueries(APIView):
    """`POST /bare/sql/`: the same five rows, each by one SQL statement on a cursor."""

    authentication_classes = ()
    permission_classes = ()

    def post(self, request: Request) -> Response:
        ids = []
        with connection.cursor() as cursor:
            for model, key in zip(MODELS, _primary_keys(), strict=True):
                table, pk = model._meta.db_table, model._meta.pk.column
                cursor.execute(f'SELECT * FROM "{table}" WHERE "{pk}" = %s', [key])  # noqa: S608
                row = cursor.fetchone()
                if row is not None:
                    ids.append(str(key))
        return Response({"ids": ids})


urlpatterns = [path("bare/", BareQueries.as_view()), path("bare/sql/", BareSqlQueries.as_view())]
settings.ROOT_URLCONF = __name__
application = get_wsgi_application()
