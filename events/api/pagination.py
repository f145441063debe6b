"""Pagination: page numbers for random access, cursors for walking a list, and a cached count.

Every list is a page of ``results`` with ``count``, ``next`` and ``previous``. When a list is in its default order
(no ``ordering``, no ranked ``search``), ``next`` and ``previous`` are cursor links: a cursor names the last row
seen by its ordering key, so the following page is an index range scan that costs the same at the millionth row
as at the first, where ``?page=N`` must skip (N - 1) × page_size rows. ``page`` keeps working everywhere, for the
first pages and for jumping.

``count`` is exact. At a million rows it is the dearest part of a page, so it is kept in the shared cache, keyed
by the count's SQL and a data generation that every write advances (see ``events.generation.data_changed``); the setting
``TRACKER_COUNT_CACHE_SECONDS`` bounds how long an entry lives in case a write bypasses the signals.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import F, Model, OrderBy, Q, QuerySet
from django.db.models.query import ModelIterable
from django.template import loader
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from tracker import replicas

from ..generation import current_generation

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class CachedCountPaginator(Paginator):
    """Django's Paginator with the count of a QuerySet kept in the cache (anything else is counted as usual).

    ``key`` names what is counted; by default the count query's SQL and parameters. The API passes the request's
    path and filter parameters instead, which determine the list's queryset and cost nothing to compile.
    """

    def __init__(self, *args, key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key

    @cached_property
    def count(self) -> int:
        seconds = settings.TRACKER_COUNT_CACHE_SECONDS
        what = self.key
        if what is None and isinstance(self.object_list, QuerySet):
            sql, params = self.object_list.query.sql_with_params()
            what = repr((self.object_list.db, sql, params))
        if not seconds or what is None:
            return super().count
        generation = current_generation()
        key = f"tracker:count:{generation}:{hashlib.sha256(what.encode()).hexdigest()}"
        cached = cache.get(key)
        if cached is None:
            count = super().count
            # What a list learns while counting (selectors.Timeline's per-kind counts) is kept with the count; not
            # a count from a read replica that may not have replayed the write that made this generation.
            if replicas.cache_may_store():
                cache.set(key, (count, getattr(self.object_list, "counts", None)), timeout=seconds)
            return count
        count, details = cached
        if details is not None:
            self.object_list.counts = details
        return count


@dataclass(frozen=True)
class KeyField:
    name: str
    nullable: bool  # sorted last, as in the models' F("date").asc(nulls_last=True)


def keyset_of(queryset) -> tuple[KeyField, ...] | None:
    """The ordering key of a queryset of model instances in its model's default order, or None.

    Cursors need a total, ascending order whose last field is unique; only the first field may be null (sorted
    last). Meta.ordering of every list model has that shape (date, slug / slug / deleted_at, id).
    """
    if not isinstance(queryset, QuerySet) or queryset._iterable_class is not ModelIterable:
        return None
    query = queryset.query
    if query.order_by or query.extra_order_by or query.combinator or not query.default_ordering:
        return None
    meta = queryset.model._meta
    fields = []
    for position, item in enumerate(meta.ordering):
        if isinstance(item, str) and not item.startswith("-") and "__" not in item:
            name, nulls_last = item, False
        elif isinstance(item, OrderBy) and isinstance(item.expression, F) and not item.descending:
            name, nulls_last = item.expression.name, bool(item.nulls_last)
        else:
            return None
        field = meta.get_field(name)
        if field.null and not (position == 0 and nulls_last):
            return None
        fields.append(KeyField(field.attname, field.null))
    if not fields or not meta.get_field(fields[-1].name).unique and fields[-1].name != meta.pk.attname:
        return None
    return tuple(fields)


def _after(fields: tuple[KeyField, ...], values: list) -> Q:
    """Rows strictly after ``values`` among non-null keys, lexicographically (ascending)."""
    first, value = fields[0], values[0]
    strictly = Q(**{f"{first.name}__gt": value})
    if len(fields) == 1:
        return strictly
    tie = Q(**{first.name: value}) & _after(fields[1:], values[1:])
    # The redundant >= bound lets the database start its index range scan at the cursor.
    return Q(**{f"{first.name}__gte": value}) & (strictly | tie)


def _before(fields: tuple[KeyField, ...], values: list) -> Q:
    first, value = fields[0], values[0]
    strictly = Q(**{f"{first.name}__lt": value})
    if len(fields) == 1:
        return strictly
    tie = Q(**{first.name: value}) & _before(fields[1:], values[1:])
    return Q(**{f"{first.name}__lte": value}) & (strictly | tie)


def _ascending(fields: tuple[KeyField, ...]) -> list:
    return [F(f.name).asc(nulls_last=True) if f.nullable else F(f.name).asc() for f in fields]


def _descending(fields: tuple[KeyField, ...]) -> list:
    return [F(f.name).desc(nulls_first=True) if f.nullable else F(f.name).desc() for f in fields]


def keyset_phases(fields: tuple[KeyField, ...], values: list, *, reverse: bool) -> list[tuple[Q, list]]:
    """The (condition, ordering) range scans that, read in turn, give the rows after (or, reversed, before) the
    key ``values``. A nullable first field needs two: the rows with a value, then the rows without one."""
    head, tail = fields[0], fields[1:]
    order = _descending(fields) if reverse else _ascending(fields)
    null_head = Q(**{f"{head.name}__isnull": True})
    if not reverse:
        if values[0] is None:
            return [(null_head & _after(tail, values[1:]), order)]
        phases = [(_after(fields, values), order)]
        return [*phases, (null_head, order)] if head.nullable else phases
    if values[0] is None:
        return [(null_head & _before(tail, values[1:]), order), (Q(**{f"{head.name}__isnull": False}), order)]
    return [(_before(fields, values), order)]


class TrackerPagination(PageNumberPagination):
    """Page numbers and cursors, with a page size chosen by the client up to a documented maximum.

    An out-of-range or non-numeric page_size is a 400, not a silent clamp, so that a client never believes it got
    more rows per page than it did; so is a malformed cursor, or a cursor on a list that is not in its default
    order.
    """

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    page_query_description = "Page number, starting at 1. For walking a whole list, follow `next` instead."
    page_size_query_description = (
        f"Number of results per page, from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
    )
    cursor_query_description = (
        "An opaque position in the list, as found in the `next` and `previous` links of a list in its default order "
        "(no `ordering`, no ranked `search`). Pages reached by cursor cost the same at any depth."
    )
    cursor_template = "rest_framework/pagination/previous_and_next.html"

    def django_paginator_class(self, queryset, size):
        return CachedCountPaginator(queryset, size, key=self._count_key)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        # The queryset of a list is a function of its path and filter parameters (and the user's permissions, which
        # never narrow a read): they name its count. Page position and format do not change it.
        params = sorted(
            (name, values)
            for name, values in request.query_params.lists()
            if name not in (self.page_query_param, self.page_size_query_param, self.cursor_query_param, "format")
        )
        self._count_key = f"{queryset.db if isinstance(queryset, QuerySet) else ''}{request.path}?{params!r}"
        self.keyset = keyset_of(queryset)
        self.cursor = None
        self.first_key = self.last_key = None
        self.more_after = self.more_before = False
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            rows = super().paginate_queryset(queryset, request, view)
            if self.keyset and rows:
                self.first_key, self.last_key = self._key(rows[0]), self._key(rows[-1])
                self.more_after, self.more_before = self.page.has_next(), self.page.has_previous()
            return rows
        if self.page_query_param in request.query_params:
            raise ValidationError({self.cursor_query_param: ["Give either page or cursor, not both."]})
        if self.keyset is None:
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        "This list is not in its default order (ordering or search was given), so it pages by "
                        "number: use page."
                    ]
                }
            )
        self.cursor = self._decode(raw, queryset.model)
        return self._cursor_page(queryset, self.get_page_size(request))

    def _cursor_page(self, queryset: QuerySet, size: int) -> list[Model]:
        reverse, values = self.cursor
        names = [f.name for f in self.keyset]
        keys: list[tuple] = []
        for condition, order in keyset_phases(self.keyset, values, reverse=reverse):
            # Keys first, on the ordering index; the page's rows after, by primary key.
            wanted = size + 1 - len(keys)
            keys += queryset.filter(condition).order_by(*order).values_list("pk", *names)[:wanted]
            if len(keys) > size:
                break
        more = len(keys) > size
        keys = keys[:size]
        if reverse:
            keys.reverse()
            self.more_before, self.more_after = more, True
        else:
            self.more_after, self.more_before = more, True
        # Only for the count: a cursor page is not a page number.
        self.cursor_paginator = self.django_paginator_class(queryset, size)
        rows = queryset.in_bulk([key[0] for key in keys]) if keys else {}
        page = [rows[key[0]] for key in keys if key[0] in rows]
        if page:
            self.first_key, self.last_key = self._key(page[0]), self._key(page[-1])
        self.display_page_controls = self.more_after or self.more_before
        return page

    def _key(self, row: Model) -> list:
        return [getattr(row, f.name) for f in self.keyset]

    # Cursors ------------------------------------------------------------------------------------------------

    def _encode(self, values: list, *, reverse: bool) -> str:
        payload = {"k": [None if v is None else str(v) for v in values]}
        if reverse:
            payload["r"] = 1
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, raw: str, model: type[Model]) -> tuple[bool, list]:
        invalid = ValidationError({self.cursor_query_param: ["Invalid cursor: use a next or previous link as given."]})
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            reverse, strings = bool(payload.get("r", 0)), payload["k"]
            if not isinstance(strings, list) or len(strings) != len(self.keyset):
                raise invalid
            values = []
            for key, string in zip(self.keyset, strings, strict=True):
                if string is None and not key.nullable:
                    raise invalid
                if string is not None and (not isinstance(string, str) or "\x00" in string):
                    raise invalid
                field = model._meta.get_field(key.name)
                values.append(None if string is None else field.to_python(string))
        # RecursionError: json.loads of a cursor holding deeply nested JSON, which no link ever holds.
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, binascii.Error, DjangoValidationError):
            raise invalid from None
        return reverse, values

    def _cursor_link(self, values: list, *, reverse: bool) -> str:
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, self._encode(values, reverse=reverse))

    # Links and response ---------------------------------------------------------------------------------------

    def get_next_link(self):
        if self.keyset is None:
            return super().get_next_link()
        if not self.more_after or self.last_key is None:
            return None
        return self._cursor_link(self.last_key, reverse=False)

    def get_previous_link(self):
        if self.keyset is None:
            return super().get_previous_link()
        if not self.more_before or self.first_key is None:
            return None
        return self._cursor_link(self.first_key, reverse=True)

    def get_paginated_response(self, data):
        count = self.cursor_paginator.count if self.cursor is not None else self.page.paginator.count
        return Response(
            {"count": count, "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_html_context(self):
        if self.cursor is None:
            return super().get_html_context()
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link()}

    def to_html(self):
        if self.cursor is None:
            return super().to_html()
        return loader.get_template(self.cursor_template).render(self.get_html_context())

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Must be a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    # Schema ---------------------------------------------------------------------------------------------------

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size, "default": self.page_size})
            elif parameter["name"] == self.page_query_param:
                # No default: a generated client sends a parameter's default on every call, and a page number with
                # the cursor of a `next` link is a contradiction (400).
                parameter["schema"].update({"minimum": 1})
        if getattr(view, "action", None) == "list":
            parameters.append(
                {
                    "name": self.cursor_query_param,
                    "required": False,
                    "in": "query",
                    "description": self.cursor_query_description,
                    "schema": {"type": "string"},
                }
            )
        return parameters

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"]["description"] = "Total number of results across all pages."
        for link in ("next", "previous"):
            # OpenAPI 3.1 (OAS_VERSION): null is a type; DRF still writes 3.0's `nullable`, which 3.1 ignores.
            if properties[link].pop("nullable", False):
                properties[link]["type"] = [properties[link]["type"], "null"]
        properties["next"].update(
            description="URL of the next page, or null on the last page. In a list's default order it carries a "
            "cursor; follow it rather than building page numbers.",
            example="http://127.0.0.1:8000/api/v1/events/?cursor=eyJrIjpbIjIwMjUtMTEtMjAiLCJldmVudC0xIl19",
        )
        properties["previous"].update(
            description="URL of the previous page, or null on the first page.",
            example="http://127.0.0.1:8000/api/v1/events/?cursor=eyJrIjpbIjIwMjUtMTEtMjAiLCJldmVudC0yIl0sInIiOjF9",
        )
        properties["results"]["description"] = "The records on this page, in the list's documented order."
        return response


class DatedPagination(TrackerPagination):
    """The pages of a list filtered by date, which say how many records the date filters left out for having no
    known date (``undated_excluded``): a date range never drops a record silently."""

    undated_description = (
        "How many records matching every other filter the date filters (date_after, date_before, target_after, "
        "target_before) left out because the date in question is unknown; include_undated=true lists them. 0 "
        "without a date filter."
    )

    def count_undated(self, undated) -> int:
        """The number of records in ``undated`` (a queryset, or anything with count()), or 0 for None: cached as a
        list's count is, under the list's own key. Call after paginate_queryset()."""
        self.undated_excluded = (
            0 if undated is None else CachedCountPaginator(undated, 1, key=f"{self._count_key}#undated").count
        )
        return self.undated_excluded

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        page = response.data
        response.data = {"count": page["count"], "undated_excluded": getattr(self, "undated_excluded", 0), **page}
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        response["properties"] = {
            "count": properties.pop("count"),
            "undated_excluded": {"type": "integer", "minimum": 0, "description": self.undated_description},
            **properties,
        }
        response["required"] = [*response.get("required", []), "undated_excluded"]
        return response
