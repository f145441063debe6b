"""Query parameters for every list: explicit FilterSets, one per resource, sharing the common ones.

Conventions, the same on every list:
- several values are comma-separated and OR'ed (`status=announced,in_progress`);
- a date range matches a record when the record's span overlaps it, so a date known only to the month matches any
  range that touches that month; records with an unknown date match no range;
- actors are named by slug or any alias, case-insensitively, and `include_children=true` adds every actor below them;
- an invalid value is a 400 that names the parameter, never an empty 200.
"""

import copy
import datetime
import operator
from functools import cached_property, reduce

from django import forms
from django.db.models import BooleanField, Case, F, Func, IntegerField, Q, QuerySet, Subquery, When
from django_countries import countries
from django_filters import rest_framework as filters
from django_filters.fields import ChoiceField, IsoDateTimeField
from django_filters.filters import FilterMethod
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from .. import search
from ..models import Actor, DeletedRecord, Event, EventParticipant, Place, Pledge, Source, Statement
from . import serializers, sparse
from .choices import LISTED_AT_MOST, invalid_choice_message

MAX_LIST_VALUES = 100

# Form fields -------------------------------------------------------------------------------------------------


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is an error rather than silently ignored."""

    TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        lowered = str(value).strip().lower()
        if lowered in self.TRUE:
            return True
        if lowered in self.FALSE:
            return False
        raise forms.ValidationError("Must be true or false.")


class ActorReferenceField(forms.CharField):
    """Comma-separated actor slugs or aliases (case-insensitive), cleaned to the matching actors' ids."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        names = _split(value)
        matches = Actor.objects.resolved_references(names)
        unknown = [name for name in names if not matches.get(name.lower())]
        if unknown:
            # The names go in as params: django-filter %-formats the message, and a name may hold a %.
            raise forms.ValidationError(
                "Unknown actor: %(names)s. Use an actor's slug, name or alias (see /api/v1/actors/).",
                params={"names": ", ".join(unknown)},
            )
        return sorted({pk for name in names for pk in matches[name.lower()]})


class SlugListField(forms.CharField):
    """Comma-separated slugs of one model, cleaned to the matching ids; an unknown slug is an error."""

    def __init__(self, *args, model=None, **kwargs):
        self.model = model
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        slugs = _split(value)
        found = dict(self.model.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise forms.ValidationError(
                "Unknown %(model)s: %(slugs)s.",
                params={"model": self.model._meta.verbose_name, "slugs": ", ".join(unknown)},
            )
        return sorted(found.values())


def _split(value: str) -> list[str]:
    names = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if len(names) > MAX_LIST_VALUES:
        raise forms.ValidationError(f"At most {MAX_LIST_VALUES} values.")
    return names


class InSubquery(Func):
    """``value IN (subquery)``, written ``value = ANY(ARRAY(subquery))`` on PostgreSQL, for a short subquery.

    With IN, PostgreSQL plans a semi-join and, for a page in date order, walks the (date, slug) index probing each
    event: it assumes the matches lie evenly along the dates. An actor's events in a period all lie in that period,
    so it walked years of events (1.2 s at 200k events for the busiest actor's year). ARRAY() runs the subquery
    first, once, and fetches exactly its rows by primary key (20 ms).
    """

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler, connection, template=None, **extra_context):
        value, value_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return f"{value} IN {subquery}", (*value_params, *subquery_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        value, value_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return f"{value} = ANY(ARRAY{subquery})", (*value_params, *subquery_params)


NUMBER = r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
# The shapes the schema declares for bbox and near (events/api/schema.py reads these).
BBOX_PATTERN = rf"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"
NEAR_PATTERN = rf"^{NUMBER},{NUMBER},{NUMBER}$"
# Farther than half the Earth's circumference matches everything: a typo, not a question.
MAX_NEAR_KM = 20038


class CoordinatesField(forms.CharField):
    """Comma-separated decimal numbers, each checked against its range: ``bbox`` and ``near``."""

    def __init__(self, *args, parts: tuple[tuple[str, float, float], ...] = (), **kwargs):
        self.parts = parts
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        names = ", ".join(name for name, _, _ in self.parts)
        items = [item.strip() for item in value.split(",")]
        if len(items) != len(self.parts):
            raise forms.ValidationError(
                "Give %(count)s comma-separated numbers: %(names)s.", params={"count": len(self.parts), "names": names}
            )
        numbers = []
        for item, (name, low, high) in zip(items, self.parts, strict=True):
            try:
                number = float(item)
            except ValueError:
                raise forms.ValidationError("%(name)s is not a number.", params={"name": name}) from None
            if not low <= number <= high:  # also refuses nan
                raise forms.ValidationError(
                    "%(name)s must be between %(low)s and %(high)s.", params={"name": name, "low": low, "high": high}
                )
            numbers.append(number)
        return numbers


class BoxField(CoordinatesField):
    def clean(self, value):
        numbers = super().clean(value)
        if numbers is not None and numbers[1] > numbers[3]:
            raise forms.ValidationError("min_lat must not be above max_lat.")
        return numbers


@extend_schema_field({"type": "string", "pattern": BBOX_PATTERN})
class BoxFilter(filters.Filter):
    field_class = BoxField

    def __init__(self, *args, **kwargs):
        parts = (("min_lon", -180, 180), ("min_lat", -90, 90), ("max_lon", -180, 180), ("max_lat", -90, 90))
        super().__init__(*args, parts=parts, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        min_lon, min_lat, max_lon, max_lat = value
        return qs.within_box(min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


@extend_schema_field({"type": "string", "pattern": NEAR_PATTERN})
class NearFilter(filters.Filter):
    field_class = CoordinatesField

    def __init__(self, *args, **kwargs):
        parts = (("lat", -90, 90), ("lon", -180, 180), ("km", 0, MAX_NEAR_KM))
        super().__init__(*args, parts=parts, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        latitude, longitude, km = value
        return qs.near(latitude=latitude, longitude=longitude, km=km)


def _bbox(what: str) -> BoxFilter:
    return BoxFilter(
        field_name="bbox",
        help_text=f"Only {what} whose place lies in this box: `min_lon,min_lat,max_lon,max_lat` in WGS 84 degrees "
        "(the GeoJSON order), e.g. `2.5,49.5,6.4,51.5` for Belgium. A west edge east of the east edge crosses the "
        "antimeridian. Records without a place never match.",
    )


def _near(what: str) -> NearFilter:
    return NearFilter(
        field_name="near",
        help_text=f"Only {what} whose place lies within a distance of a point: `lat,lon,km`, great-circle "
        f"kilometres (at most {MAX_NEAR_KM}), e.g. `50.85045,4.34878,500` for 500 km around Brussels. Records "
        "without a place never match.",
    )


# Filters -----------------------------------------------------------------------------------------------------


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC before it reaches the database (PostgreSQL refuses offsets past ±16 h)."""

    def clean(self, value):
        value = super().clean(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError as error:
            raise forms.ValidationError("Enter a date/time between the years 1 and 9999 in UTC.") from error


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IntegerFilter(filters.NumberFilter):
    """Whole numbers only, as the quantities they compare with."""

    field_class = forms.IntegerField


class SharedChoices(tuple):
    """Choices that are never changed per request, so that copying a filter or form field shares them: every request
    deep-copies its FilterSet's filters and form fields, and copying 250 countries cost more than the rest of a
    filtered list request."""

    def __deepcopy__(self, memo):
        return self


class SharedChoiceField(ChoiceField):
    def __deepcopy__(self, memo):
        # Field.__deepcopy__ without ChoiceField's copy of the choices (see SharedChoices).
        return forms.Field.__deepcopy__(self, memo)

    def validate(self, value):
        # The valid values, and the closest to a near miss ("did you mean `police_training`?").
        if value not in self.empty_values and not self.valid_value(value):
            valid = [str(key) for key, _ in self.choices if key not in self.empty_values]
            message = invalid_choice_message(value, valid, what="value" if len(valid) <= LISTED_AT_MOST else "code")
            # As params: django-filter %-formats the message, and a value may hold a %.
            raise forms.ValidationError("%(message)s", code="invalid_choice", params={"message": message})
        super().validate(value)


class UpperChoiceField(SharedChoiceField):
    def to_python(self, value):
        return super().to_python(value).upper()


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    """Comma-separated choices, OR'ed; each is checked against the allowed values."""

    field_class = SharedChoiceField

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, choices=SharedChoices(tuple(choice) for choice in choices), **kwargs)


class CountryInFilter(ChoiceInFilter):
    """Comma-separated ISO 3166-1 alpha-2 codes, in either case."""

    field_class = UpperChoiceField

    def __init__(self, *args, **kwargs):
        choices = SharedChoices((code, str(name)) for code, name in countries)
        super().__init__(*args, choices=choices, **kwargs)


class SlugInFilter(filters.Filter):
    field_class = SlugListField

    def __init__(self, *args, model, **kwargs):
        super().__init__(*args, model=model, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.related_to(self.field_name, value)


class ActorInvolvedFilter(filters.CharFilter):
    """Records involving any of the named actors through `lookups`; honours include_children."""

    field_class = ActorReferenceField

    def __init__(self, *args, lookups: tuple[str, ...] | None = None, **kwargs):
        self.lookups = lookups
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        if self.parent.form.cleaned_data.get("include_children"):
            value = Actor.objects.resolved_descendants(value)
        return qs.involving(value, self.lookups)


class TrackerOrderingFilter(filters.OrderingFilter):
    """Whitelisted orderings; unknown dates sort last either way and slug breaks ties, so pages are stable."""

    field_class = SharedChoiceField

    def get_ordering_value(self, param, model=None):
        descending = param.startswith("-")
        name = self.param_map[param.lstrip("-")]
        field = F(name)
        # NULLS LAST only where there can be nulls: the same order, and a plain DESC can walk an index built with
        # fields=["-updated_at", "slug"] (SQLite has no NULLS LAST in an index).
        nulls_last = True if model is None else model._meta.get_field(name).null
        if descending:
            return field.desc(nulls_last=True) if nulls_last else field.desc()
        return field.asc(nulls_last=True) if nulls_last else field.asc()

    def filter(self, qs, value):
        if value in (None, [], ""):
            return qs
        return qs.order_by(*(self.get_ordering_value(param, qs.model) for param in value), "slug")


# Forms and FilterSets ----------------------------------------------------------------------------------------

RANGES = (
    ("date_after", "date_before"),
    ("created_after", "created_before"),
    ("updated_after", "updated_before"),
    ("target_after", "target_before"),
    ("quantity_min", "quantity_max"),
)


class TrackerFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for low, high in RANGES:
            if cleaned.get(low) is not None and cleaned.get(high) is not None and cleaned[low] > cleaned[high]:
                self.add_error(high, f"{high} must not be before {low}.")
        return cleaned


def _date_range(field: str, what: str) -> tuple[filters.DateFilter, filters.DateFilter]:
    return (
        filters.DateFilter(
            method=f"filter_{field}_after",
            help_text=f"Only records whose {what} can fall on or after this day (YYYY-MM-DD); partial dates match "
            "when their span overlaps.",
        ),
        filters.DateFilter(
            method=f"filter_{field}_before",
            help_text=f"Only records whose {what} can fall on or before this day (YYYY-MM-DD).",
        ),
    )


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget turns an unknown value into None (no filter); pass it through to the field.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


def _include_children() -> filters.Filter:
    return StrictBooleanFilter(
        method="filter_nothing",
        help_text="With an actor parameter: also match every actor below the named ones (a state's ministers, an "
        "army's units). true or false; default false.",
    )


def _include_undated() -> filters.Filter:
    return StrictBooleanFilter(
        method="filter_nothing",
        help_text="With a date filter (date_after, date_before, and on pledges target_after, target_before): also "
        "list the records whose date in question is unknown, after the dated ones. Without it they are left out, "
        "and the page's `undated_excluded` (an export's `X-Undated-Excluded` header) says how many. true or false; "
        "default false.",
    )


def _sparse_fields(serializer_class) -> ChoiceInFilter:
    """`fields=`: the top-level fields of the resource's records to keep (events/api/sparse.py)."""
    names = list(serializer_class().fields)
    return ChoiceInFilter(choices=[(name, name) for name in names], method="filter_nothing", help_text=sparse.HELP)


def _ordering(*fields: str) -> TrackerOrderingFilter:
    names = {field: field for field in fields}
    return TrackerOrderingFilter(
        fields=names,
        help_text="Sort by these fields, comma-separated, `-` for descending: "
        + ", ".join(fields)
        + ". Ties are broken by slug. Default: date, then slug.",
    )


class StaticFormFilterSet(filters.FilterSet):
    """A FilterSet whose form class is built once per FilterSet class instead of once per request.

    django-filter builds a new form class, with a new field for every filter, on each instantiation: 2.5 ms of a
    list request. Our filters' fields depend on the filters' declarations only (no request, no queryset), so the
    class built the first time serves every request; each request still gets its own form instance and fields.
    """

    def __init__(self, *args, **kwargs):
        if not isinstance(type(self).__dict__.get("base_filters"), SharedFilters):
            type(self).base_filters = SharedFilters(type(self).base_filters)
        super().__init__(*args, **kwargs)

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = SharedFields(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class


class SharedFilters(dict):
    """A FilterSet class's filters, copied one level deep for each FilterSet instead of deep-copied (django-filter's
    default, which copies every filter's arguments, choices and form field again on each request).

    Each FilterSet gets filters of its own, since a filter points to its FilterSet (``parent``, and a ``method``'s
    FilterMethod to its filter); what they hold besides (arguments, the form field) is set when the class is
    declared and only read afterwards.
    """

    def __deepcopy__(self, memo):
        copies = {}
        for name, declared in self.items():
            copied = copy.copy(declared)
            if isinstance(copied.__dict__.get("filter"), FilterMethod):
                copied.filter = FilterMethod(copied)
            copies[name] = copied
        return copies


class SharedFields(dict):
    """A form class's fields, which its forms share instead of each deep-copying them (Django's default, for forms
    that change their fields per instance). A filter form never changes its fields: cleaning reads them, and the
    browsable API's rendering copies what it changes (widget attributes)."""

    def __deepcopy__(self, memo):
        return dict(self)


# Which date each date filter reads: a record whose date there is unknown matches no range.
UNDATED_BY = {
    "date_after": "date",
    "date_before": "date",
    "target_after": "target_date",
    "target_before": "target_date",
}


class UndatedMixin:
    """Date ranges that never drop an undated record silently: ``include_undated`` adds the records whose date in
    question is unknown (sorted after the others), and ``undated_excluded()`` counts those left out without it."""

    def or_undated(self, condition: Q, field: str) -> Q:
        if self.form.cleaned_data.get("include_undated"):
            return condition | Q(**{f"{field}__isnull": True})
        return condition

    def undated_fields(self) -> list[str]:
        """The dates that the given date filters read, in a stable order."""
        data = self.form.cleaned_data
        return sorted({UNDATED_BY[name] for name in UNDATED_BY if data.get(name) is not None})

    def undated_last(self, queryset: QuerySet) -> QuerySet:
        """With include_undated, records lacking a filtered date after the others, whatever the order.

        In the default order (date, unknown dates last) a record without a date already comes last, and the list
        keeps its cursor links; an explicit ordering, a ranked search or a target-date filter gets a leading key.
        """
        fields = self.undated_fields()
        if not fields or not self.form.cleaned_data.get("include_undated"):
            return queryset
        if fields == ["date"] and not queryset.query.order_by:
            return queryset
        last = Case(When(_lacking(fields), then=1), default=0, output_field=IntegerField())
        return queryset.order_by(last, *(queryset.query.order_by or queryset.model._meta.ordering))

    def undated_excluded(self, queryset: QuerySet | None = None) -> QuerySet | None:
        """The records of ``queryset`` (default: the FilterSet's) that the date filters left out for having no known
        date but that match every other filter (what include_undated=true would add); None when no date filter left
        any out."""
        data = self.form.cleaned_data
        fields = self.undated_fields()
        if not fields or data.get("include_undated"):
            return None
        self.form.cleaned_data = {**data, "include_undated": True}
        try:
            widened = self.filter_queryset(self.queryset.all() if queryset is None else queryset)
        finally:
            self.form.cleaned_data = data
        return widened.filter(_lacking(fields))

    def undated_count(self) -> "UndatedCount | None":
        """``undated_excluded()``, built only when counted: a list's count of it is usually in the cache already."""
        if not self.undated_fields() or self.form.cleaned_data.get("include_undated"):
            return None
        return UndatedCount(self.undated_excluded)


class UndatedCount:
    """What a FilterSet's date filters left out, as something to count (what the views do with it), whose queryset
    is built on the first count: building it filters the records a second time."""

    def __init__(self, build):
        self.build = build

    @cached_property
    def queryset(self) -> QuerySet:
        return self.build()

    def count(self) -> int:
        return self.queryset.count()


def _lacking(fields: list[str]) -> Q:
    """Records with no value in any of the date ``fields``."""
    return reduce(operator.or_, (Q(**{f"{field}__isnull": True}) for field in fields))


class CommonFilter(StaticFormFilterSet):
    """Parameters every list shares: change feed, search, date ranges on timestamps."""

    search = filters.CharFilter(
        method="filter_search",
        max_length=search.MAX_TERM_LENGTH,
        help_text="Full-text search over names, aliases, titles, descriptions, statement text and excerpts, with "
        "English stemming on either database. Results are ranked by relevance unless `ordering` is given. Every "
        'word must match; `"quoted phrases"`, `-excluded` words and `or` between alternatives work; common English '
        "words are ignored. Ranking costs time in proportion to the matches: for a very common term, "
        "`ordering=date` answers fastest.",
    )
    updated_since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only records created or changed at or after this ISO 8601 time (the change feed).",
    )
    created_after = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Only records created at or after this ISO 8601 time."
    )
    created_before = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="lte", help_text="Only records created at or before this ISO 8601 time."
    )
    updated_after = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Only records last changed at or after this time."
    )
    updated_before = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="lte", help_text="Only records last changed at or before this time."
    )

    class Meta:
        form = TrackerFilterForm

    def filter_nothing(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # For parameters that modify others (include_children reads as part of the actor filters; type picks
        # which models a timeline draws from) rather than filtering by themselves.
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search.search(queryset, value, ranked=not self.form.cleaned_data.get("ordering"))


class DatedFilter(UndatedMixin, CommonFilter):
    """Adds the record's own date range, the actors it involves, and the sources it cites."""

    date_after, date_before = _date_range("date", "date")
    include_undated = _include_undated()
    actor = ActorInvolvedFilter(
        help_text="Only records involving these actors (comma-separated slugs, names or aliases, case-insensitive).",
    )
    include_children = _include_children()
    source = SlugInFilter(
        field_name="citations__source", model=Source, help_text="Only records citing these sources (slugs)."
    )
    # A statement's or pledge's place is its own, else its event's (querysets.PlacedQuerySet).
    bbox = _bbox("records")
    near = _near("records")

    def filter_date_after(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(self.or_undated(Q(date_end__gte=value), "date"))

    def filter_date_before(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(self.or_undated(Q(date__lte=value), "date"))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        data = self.form.cleaned_data
        done: set[str] = set()
        if queryset.model is Event and (data.get("actor") is not None or data.get("role")):
            queryset, done = self.filter_participants(queryset)
        for name, value in data.items():
            if name not in done:
                queryset = self.filters[name].filter(queryset, value)
        return self.undated_last(queryset)

    def filter_participants(self, queryset: QuerySet) -> tuple[QuerySet, set[str]]:
        """Events by their participants: `actor` and `role` together, and with `actor`, the date range too.

        One subquery on the participants table answers them all. With an actor, the date bounds are checked on
        the copies of the event's dates that each participant row carries, so that participant_actor_dates_idx
        finds an actor's events in a period without visiting the events (the busiest actor takes part in 5% of
        them). Returns the filtered events and the parameters it applied.
        """
        data = self.form.cleaned_data
        actors, roles = data.get("actor"), data.get("role")
        rows = EventParticipant.objects.order_by()
        done = {"actor", "role"}
        if actors is not None:
            if data.get("include_children"):
                actors = Actor.objects.resolved_descendants(actors)
            rows = rows.filter(actor_id__in=sorted(actors))
            if data.get("date_after") is not None:
                rows = rows.filter(self.or_undated(Q(event_date_end__gte=data["date_after"]), "event_date"))
            if data.get("date_before") is not None:
                rows = rows.filter(self.or_undated(Q(event_date__lte=data["date_before"]), "event_date"))
            done |= {"date_after", "date_before"}
        if roles:
            rows = rows.filter(role__in=roles)
        if actors is not None and (data.get("date_after") is not None or data.get("date_before") is not None):
            return queryset.filter(InSubquery(F("pk"), Subquery(rows.values("event_id")))), done
        return queryset.filter(pk__in=rows.values("event_id")), done


class SourceFilter(UndatedMixin, CommonFilter):
    date_after, date_before = _date_range("date", "publication date")
    include_undated = _include_undated()
    publisher = filters.CharFilter(
        lookup_expr="iexact", help_text="Only sources from this publisher (case-insensitive)."
    )
    ordering = _ordering("date", "title", "slug", "updated_at")
    fields = _sparse_fields(serializers.SourceDetailSerializer)

    class Meta(CommonFilter.Meta):
        model = Source
        fields = ()

    filter_date_after = DatedFilter.filter_date_after
    filter_date_before = DatedFilter.filter_date_before

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return self.undated_last(super().filter_queryset(queryset))


class ActorFilter(CommonFilter):
    actor = ActorInvolvedFilter(
        help_text="These actors (comma-separated slugs, names or aliases); with include_children, their members too."
    )
    include_children = _include_children()
    kind = ChoiceInFilter(choices=Actor.Kind.choices, help_text="Only actors of these kinds (comma-separated).")
    country = CountryInFilter(help_text="Only actors of these countries (ISO 3166-1 alpha-2, comma-separated).")
    parent = ActorInvolvedFilter(
        lookups=("parent",), help_text="Only actors directly under these actors (slugs, names or aliases)."
    )
    ordering = _ordering("name", "slug", "kind", "updated_at")
    fields = _sparse_fields(serializers.ActorSerializer)

    class Meta(CommonFilter.Meta):
        model = Actor
        fields = ()


class EventFilter(DatedFilter):
    event_type = ChoiceInFilter(choices=Event.Type.choices, help_text="Only events of these types.")
    status = ChoiceInFilter(choices=Event.Status.choices, help_text="Only events with these statuses.")
    country = CountryInFilter(help_text="Only events in these countries (ISO 3166-1 alpha-2, comma-separated).")
    role = ChoiceInFilter(
        choices=EventParticipant.Role.choices,
        method="filter_role",
        help_text="Only events where an actor has these roles; with `actor`, where those actors have them.",
    )
    ordering = _ordering("date", "slug", "title", "event_type", "updated_at")
    fields = _sparse_fields(serializers.EventSerializer)

    class Meta(DatedFilter.Meta):
        model = Event
        fields = ()

    def filter_role(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        # Applied, with `actor` and the dates, by filter_participants(); this is only its entry in the FilterSet.
        return self.filter_participants(queryset)[0]


class StatementFilter(DatedFilter):
    speaker = ActorInvolvedFilter(lookups=("speaker",), help_text="Only statements by these actors.")
    stance_target = ActorInvolvedFilter(
        lookups=("stance_target",), help_text="Only statements taking a stance towards these actors."
    )
    stance = ChoiceInFilter(choices=Statement.Stance.choices, help_text="Only statements with these stances.")
    quote_type = ChoiceInFilter(choices=Statement.QuoteType.choices, help_text="direct and/or reported.")
    medium = ChoiceInFilter(choices=Statement.Medium.choices, help_text="Only statements made through these media.")
    event = SlugInFilter(field_name="event", model=Event, help_text="Only statements belonging to these events.")
    ordering = _ordering("date", "slug", "updated_at")
    fields = _sparse_fields(serializers.StatementSerializer)

    class Meta(DatedFilter.Meta):
        model = Statement
        fields = ()


class PledgeFilter(DatedFilter):
    pledger = ActorInvolvedFilter(lookups=("pledger",), help_text="Only pledges made by these actors.")
    beneficiary = ActorInvolvedFilter(lookups=("beneficiary",), help_text="Only pledges made to these actors.")
    category = ChoiceInFilter(choices=Pledge.Category.choices, help_text="Only pledges in these categories.")
    status = ChoiceInFilter(choices=Pledge.Status.choices, help_text="Only pledges with these statuses.")
    unit = ChoiceInFilter(choices=Pledge.Unit.choices, help_text="Only pledges counted in these units.")
    quantity_min = IntegerFilter(
        field_name="quantity", lookup_expr="gte", min_value=0, max_value=2**63 - 1, help_text="Smallest quantity."
    )
    quantity_max = IntegerFilter(
        field_name="quantity", lookup_expr="lte", min_value=0, max_value=2**63 - 1, help_text="Largest quantity."
    )
    target_after, target_before = _date_range("target", "target date")
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        help_text="true: only pledges overdue today (UTC): their target date has passed while they are announced, "
        "in_progress, partially_fulfilled or stalled. false: only the others (including those with no target date).",
    )
    event = SlugInFilter(field_name="event", model=Event, help_text="Only pledges made at these events.")
    ordering = _ordering("date", "slug", "status", "quantity", "target_date", "updated_at")
    fields = _sparse_fields(serializers.PledgeSerializer)

    class Meta(DatedFilter.Meta):
        model = Pledge
        fields = ()

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset if value is None else queryset.overdue(value)

    def filter_target_after(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(self.or_undated(Q(target_date_end__gte=value), "target_date"))

    def filter_target_before(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(self.or_undated(Q(target_date__lte=value), "target_date"))


class TimelineFilter(DatedFilter):
    """The parameters of the timeline; applied to events, pledges and statements alike."""

    type = ChoiceInFilter(
        choices=(("event", "Event"), ("pledge", "Pledge"), ("statement", "Statement")),
        method="filter_nothing",
        help_text="Only these kinds of item (event, pledge, statement; comma-separated). Default: all three.",
    )
    fields = _sparse_fields(serializers.TimelineItemSerializer)

    class Meta(DatedFilter.Meta):
        model = Event
        fields = ()


class PlaceFilter(StaticFormFilterSet):
    search = filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Places whose name, slug or note contains these words (case-insensitive).",
    )
    country = CountryInFilter(help_text="Only places in these countries (ISO 3166-1 alpha-2, comma-separated).")
    precision = ChoiceInFilter(choices=Place.Precision.choices, help_text="Only places of these precisions.")
    bbox = _bbox("places")
    near = _near("places")

    class Meta:
        form = TrackerFilterForm
        model = Place
        fields = ()

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(slug__icontains=word) | Q(note__icontains=word))
        return queryset


class DeletedRecordFilter(StaticFormFilterSet):
    kind = ChoiceInFilter(choices=DeletedRecord.Kind.choices, help_text="Only deletions of these kinds of record.")
    deleted_since = UtcDateTimeFilter(
        field_name="deleted_at", lookup_expr="gte", help_text="Only deletions at or after this ISO 8601 time."
    )
    fields = _sparse_fields(serializers.DeletedRecordSerializer)

    class Meta:
        model = DeletedRecord
        fields = ()

    filter_nothing = CommonFilter.filter_nothing


# Backend -----------------------------------------------------------------------------------------------------

ALWAYS_ALLOWED = frozenset({"page", "page_size", "cursor", "format"})
# What an operation without pages (a record, a record's citations) takes besides its own parameters.
UNPAGED = frozenset({"format"})
# Exports take the list's filters and these options of the file itself.
EXPORT_OPTIONS = frozenset({"bom"})
# The actions that apply a list's filters: the list, its export and the export of its records' citations.
FILTERED_ACTIONS = ("list", "export", "citations_export")


def takes_several(declared: filters.Filter) -> bool:
    """Whether a filter takes several values (OR'ed, or several orderings): comma-separated or a repeated key."""
    return isinstance(declared, filters.BaseCSVFilter | SlugInFilter | ActorInvolvedFilter)


def several_valued(filterset_class) -> frozenset[str]:
    return frozenset(name for name, declared in filterset_class.base_filters.items() if takes_several(declared))


class StrictFilterBackend(filters.DjangoFilterBackend):
    """DjangoFilterBackend that refuses parameters it does not know, so a mistyped filter is not silently ignored,
    and reads a repeated key of a several-valued filter as its comma-separated list (what generated clients send
    for an array parameter with explode: true)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        action = getattr(view, "action", "list")
        if filterset_class is not None and action in FILTERED_ACTIONS:
            options = EXPORT_OPTIONS if action != "list" else frozenset()
            names = set(filterset_class.base_filters) | options
            check_parameters(request.query_params, names, several_valued(filterset_class))
        if (ALWAYS_ALLOWED | EXPORT_OPTIONS).issuperset(request.query_params):
            # No filter given: the FilterSet would return the queryset unchanged, after building its form.
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise form_errors(filterset.form)
        if isinstance(filterset, UndatedMixin):
            # What the date filters left out for having no date, for the view to count (undated_excluded).
            view.undated_queryset = filterset.undated_count()
        return filterset.qs

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["data"] = joined(kwargs["data"], several_valued(self.get_filterset_class(view, queryset)))
        return kwargs


def form_errors(form: forms.Form) -> ValidationError:
    """A filter form's errors as a 400, formatted as Django formats them.

    django-filter's own translation applies ``message % params`` to every message, with or without params, so a
    message quoting the client's value (``Unknown actor: %``) raised a TypeError: a 500 for ``?actor=%25``.
    """
    return ValidationError({name: list(messages) for name, messages in form.errors.items()})


def check_parameters(
    params, names: set[str], several: frozenset[str] = frozenset(), *, always: frozenset[str] = ALWAYS_ALLOWED
) -> None:
    """Refuse query parameters outside ``names`` and ``always`` (page, page_size, cursor and format, unless the
    operation has no pages) with a 400 naming each; refuse a repeated key of a one-valued parameter (keeping only one
    of its values would drop the others silently), and an empty item in a list of values."""
    known = always | names
    errors = {
        name: [f"Unknown parameter. Known parameters: {', '.join(sorted(known))}."]
        for name in sorted(set(params) - known)
    }
    for name in sorted(set(params) & known):
        values = params.getlist(name)
        # An empty or blank value (or only the commas between values) is a mistake, not "no filter": say so rather
        # than silently return everything.
        if all(not value.replace(",", "").strip() for value in values):
            errors[name] = ["This parameter is empty or blank: give it a value or leave it out."]
        elif name not in several and len(values) > 1:
            errors[name] = [f"This parameter takes one value; it was given {len(values)} times."]
        elif name in several and any(not part.strip() for value in values for part in value.split(",")):
            errors[name] = ["An item of this list is empty: remove the extra comma or repeated key."]
    if errors:
        raise ValidationError(errors)


def joined(params, several: frozenset[str]):
    """``params`` with each repeated several-valued key joined into one comma-separated value, as the filters read
    it (``status=a&status=b`` is ``status=a,b``)."""
    repeated = [name for name in several if len(params.getlist(name)) > 1]
    if not repeated:
        return params
    params = params.copy()
    for name in repeated:
        params.setlist(name, [",".join(params.getlist(name))])
    return params
