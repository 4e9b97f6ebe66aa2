"""Admin building blocks shared by every app's admin module (STYLE practice 13).

`CanopyModelAdmin` adds exact id search; `ReadOnlyModelAdmin` is for rows that change
only through services (or never, like the journal); the helpers render previews, JSON
and links without loading related rows.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Model, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

_M = TypeVar("_M", bound=Model)

PREVIEW_LENGTH = 80


def as_uuid(term: str) -> uuid.UUID | None:
    """`term` as a UUID (with or without hyphens, optionally quoted), else None."""
    try:
        return uuid.UUID(term.strip().strip("'\""))
    except ValueError:
        return None


def preview(text: str | None, length: int = PREVIEW_LENGTH) -> str | None:
    """The first `length` characters of `text`, on one line, for a changelist column."""
    if text is None:
        return None
    return Truncator(" ".join(text.split())).chars(length)


def json_block(value: Any) -> str:
    """A JSON value pretty-printed in a <pre> block, for read-only detail pages."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


def change_link(model: type[Model], pk: Any, label: Any = None) -> str | None:
    """A link to the admin page of `model` row `pk`, built without loading the row."""
    if pk is None:
        return None
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, pk if label is None else label)


def changelist_link(model: type[Model], label: str, **filters: Any) -> str:
    """A link to the admin list of `model` filtered by `filters` (exact field lookups)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = urlencode({name: str(value) for name, value in filters.items()})
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


class CanopyModelAdmin(admin.ModelAdmin[_M]):
    """A model admin whose search also matches ids exactly.

    `search_fields` work as usual. When the search term is a UUID, rows whose
    `uuid_search_fields` equal it are found too, with plain (indexable) equality rather
    than a text cast of every id in the table.
    """

    uuid_search_fields: tuple[str, ...] = ()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[_M], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        value = as_uuid(search_term) if self.uuid_search_fields else None
        if value is None:
            return found, may_have_duplicates
        by_id = queryset.filter(
            Q.create([(name, value) for name in self.uuid_search_fields], connector=Q.OR)
        )
        return by_id | found, may_have_duplicates


class ReadOnlyModelAdmin(CanopyModelAdmin[_M]):
    """View-only: rows change only through services (or never, like the journal).

    Subclasses list what the detail page shows in `fields` or `fieldsets`.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: _M | None = None) -> tuple[str, ...]:
        if self.fieldsets:
            return tuple(flatten_fieldsets(self.fieldsets))
        if self.fields:
            return tuple(flatten_fieldsets([(None, {"fields": self.fields})]))
        return tuple(super().get_readonly_fields(request, obj))
