"""Query logic that the filters, the selectors and the views share, on the models' QuerySets (as openstates-core
keeps it): naming actors by reference, an actor's descendants, and which records involve which actors.

``Actor.objects.ids_by_reference(["Washington"])``, ``Actor.objects.with_descendants(ids)``,
``Statement.objects.involving(ids)``, ``Event.objects.related_to("citations__source", ids)``.
"""

import datetime
import hashlib
import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Expression,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    ASin,
    Cast,
    Coalesce,
    Cos,
    ExtractYear,
    Least,
    Lower,
    NullIf,
    Power,
    Radians,
    Sin,
    Sqrt,
    TruncMonth,
)
from django.db.models.lookups import Exact

from tracker import replicas

from . import dates
from .generation import current_generation

# Mean radius of the Earth (IUGG), for great-circle distances.
EARTH_RADIUS_KM = 6371.0088
# Kilometres per degree of latitude, the least of them (at the equator), so that a band of latitudes computed from it
# never cuts off a place that the exact distance keeps.
KM_PER_DEGREE_LATITUDE = 110.57

# Aggregates ---------------------------------------------------------------------------------------------------

# A partial date falls in a month (a year) when it is known to that month (year) or finer and its whole span lies in
# it: a week straddling two months, an approximate date or an unknown one falls in no month.
MONTH_PRECISIONS = ("day", "week", "month")
YEAR_PRECISIONS = (*MONTH_PRECISIONS, "year")
UNKNOWN_PERIOD = "unknown"


@dataclass(frozen=True)
class GroupKey:
    """One key that records can be grouped by (`group_by=`): an actor, a coded value, a period or a state.

    ``kind`` says how a group's value reads: ``actor`` (the actor's slug and name; null when the record names
    none), ``value`` (a code or null), ``month`` (YYYY-MM or "unknown"), ``year`` (YYYY or "unknown"), ``bool``.
    ``path`` is the field or relation it reads.
    """

    name: str
    kind: str
    path: str
    description: str

    def columns(self) -> dict[str, Expression]:
        """The SQL expressions of the key, by the names its values take in a row of ``grouped()``."""
        column = f"key_{self.name}"
        if self.kind == "actor":
            return {f"{column}_slug": F(f"{self.path}__slug"), f"{column}_name": F(f"{self.path}__name")}
        if self.kind == "value":
            # A blank code (no stance, no unit, no country) is no value: one null group, not "" beside null.
            return {column: NullIf(F(self.path), Value(""))}
        if self.kind == "month":
            within = Q(Exact(TruncMonth("date"), TruncMonth("date_end")), date_precision__in=MONTH_PRECISIONS)
            return {column: Case(When(within, then=TruncMonth("date")), default=None, output_field=DateField())}
        if self.kind == "year":
            within = Q(Exact(ExtractYear("date"), ExtractYear("date_end")), date_precision__in=YEAR_PRECISIONS)
            return {column: Case(When(within, then=ExtractYear("date")), default=None, output_field=IntegerField())}
        if self.kind == "overdue":
            return {
                column: Case(
                    When(overdue_condition(dates.today_utc()), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                )
            }
        raise ValueError(f"Unknown kind of group key: {self.kind}.")

    def value(self, row: dict):
        """The key's value in a row of ``grouped()``, as the API gives it."""
        column = f"key_{self.name}"
        if self.kind == "actor":
            slug = row[f"{column}_slug"]
            return None if slug is None else {"slug": slug, "name": row[f"{column}_name"]}
        value = row[column]
        if self.kind == "month":
            return UNKNOWN_PERIOD if value is None else f"{value:%Y-%m}"
        if self.kind == "year":
            return UNKNOWN_PERIOD if value is None else f"{int(value):04d}"
        if self.kind == "overdue":
            return bool(value)
        return value


def _actor_key(name: str, path: str, what: str) -> GroupKey:
    return GroupKey(name, "actor", path, f"{what}: the actor's slug and name (null when there is none).")


def _value_key(name: str, path: str, what: str) -> GroupKey:
    return GroupKey(name, "value", path, what)


MONTH_KEY = GroupKey(
    "month",
    "month",
    "date",
    "The month of the record's date (YYYY-MM) when it is known to the day, week or month and lies within one "
    "month; otherwise `unknown`.",
)
YEAR_KEY = GroupKey(
    "year",
    "year",
    "date",
    "The year of the record's date (YYYY) when it is known to the year or finer and lies within one year; "
    "otherwise `unknown`.",
)


def _dated_keys(*keys: GroupKey) -> dict[str, GroupKey]:
    """A record's own keys by name, then the month and year of its date."""
    return {key.name: key for key in (*keys, MONTH_KEY, YEAR_KEY)}


class RecordQuerySet(models.QuerySet):
    """Records found by slug, and by the actors they involve; and counted in groups."""

    # Which relations make a record "involve" an actor: the meaning of `actor=`.
    actor_lookups: tuple[str, ...] = ()
    # What `group_by=` takes, by name.
    group_keys: dict[str, GroupKey] = {}
    # A key through a to-many relation (an event's participants) puts a record in several groups.
    overlapping_keys: frozenset[str] = frozenset()

    def group_measures(self) -> dict[str, Expression]:
        """What each group adds up besides its count (pledges: quantities per unit)."""
        return {}

    def groups_from(self, rows: Iterable[dict], names: Iterable[str]) -> list[dict]:
        """Rows of ``grouped(names)`` as groups: each key's value as the API gives it, and ``count``."""
        keys = [self.group_keys[name] for name in names]
        return [{**{key.name: key.value(row) for key in keys}, "count": row["count"]} for row in rows]

    def grouped(self, names: Iterable[str]) -> QuerySet:
        """This queryset's records counted in groups by the keys ``names`` (see ``group_keys``): one row per group,
        as a dict with each key's columns, ``count`` and ``group_measures()``; most records first, then by the keys.

        The records are selected by primary key, so that a filter through a relation (an event's participants)
        never narrows the groups read through that same relation: events with France group by every participant.
        """
        columns: dict[str, Expression] = {}
        for name in names:
            columns |= self.group_keys[name].columns()
        records = self.model._base_manager.filter(pk__in=self.order_by().values("pk"))
        return (
            records.annotate(**columns)
            .values(*columns)
            .annotate(count=Count("pk", distinct=True), **self.group_measures())
            .order_by("-count", *(F(column).asc(nulls_last=True) for column in columns))
        )

    def related_to(self, lookup: str, ids: Iterable[int]) -> QuerySet:
        """Records related through ``lookup`` to any of the rows ``ids``, without joining this model again.

        A foreign key is compared on its own column. A many-to-many relation (``about``) or a reverse one followed
        by a foreign key (``participants__actor``, ``citations__source``) becomes ``pk IN (SELECT <key> FROM <the
        other table> WHERE <its foreign key> IN ids)``, which the other table's foreign-key index answers.
        """
        column, rows = _relation(self.model, lookup, ids)
        return self.filter(Q(**{f"{column}__in": ids}) if rows is None else Q(pk__in=rows))

    def involving(self, actor_ids: Iterable[int], lookups: tuple[str, ...] | None = None) -> QuerySet:
        """Records involving any of the actors, through ``lookups`` (default: all of ``actor_lookups``)."""
        actor_ids = sorted(actor_ids)
        relations = [_relation(self.model, lookup, actor_ids) for lookup in lookups or self.actor_lookups]
        if len(relations) == 1 or all(rows is None for _, rows in relations):
            # One relation, or own columns only: PostgreSQL ORs their foreign-key indexes in one bitmap.
            return self.filter(
                reduce(
                    operator.or_,
                    (
                        Q(**{f"{column}__in": actor_ids}) if rows is None else Q(pk__in=rows)
                        for column, rows in relations
                    ),
                )
            )
        # An OR of a column and an `IN (subquery)` cannot use the indexes and reads the whole table; a UNION of the
        # keys each relation's own index finds does not (a statement's speaker, stance target and subjects).
        parts = [
            self.model._base_manager.filter(**{f"{column}__in": actor_ids}).order_by().values("pk")
            if rows is None
            else rows
            for column, rows in relations
        ]
        return self.filter(pk__in=parts[0].union(*parts[1:], all=True))


class ActorQuerySet(RecordQuerySet):
    actor_lookups = ("id",)

    def ids_by_reference(self, names: Iterable[str]) -> dict[str, set[int]]:
        """Map each lower-cased name to the ids of actors whose slug, name or alias it is.

        Each comparison is on an indexed lower() expression (actor_slug_lower_idx, actor_name_lower_idx,
        actor_alias_lower_idx), so that naming an actor never scans the actors. Slugs are lower-case
        (slug_lowercase constraints) and are compared through lower() too, so that one condition serves slugs and
        names alike.
        """
        from .models import ActorAlias

        lowered = {name.lower() for name in names}
        matches: dict[str, set[int]] = {}
        own = self.annotate(slug_l=Lower("slug"), name_l=Lower("name")).filter(
            Q(slug_l__in=lowered) | Q(name_l__in=lowered)
        )
        for pk, slug, name in own.values_list("pk", "slug_l", "name_l"):
            for key in {slug, name} & lowered:
                matches.setdefault(key, set()).add(pk)
        aliases = ActorAlias.objects.annotate(name_l=Lower("name")).filter(name_l__in=lowered)
        for actor_id, name in aliases.values_list("actor_id", "name_l"):
            matches.setdefault(name, set()).add(actor_id)
        return matches

    def with_descendants(self, ids: Iterable[int]) -> set[int]:
        """The actors and every actor below them, one query per level of the hierarchy."""
        found, frontier = set(ids), set(ids)
        while frontier:
            frontier = set(self.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found

    def resolved_references(self, names: Iterable[str]) -> dict[str, set[int]]:
        """``ids_by_reference``, each name's answer kept in the shared cache for the current data generation.

        Every list filtered by actor names them again, and the names change only by a write: any write (an actor
        renamed, an alias added or removed) advances the generation, after which the names are looked up afresh.
        An unknown name is kept too (as no ids), so that repeating a mistake costs no query either.
        """
        lowered = list(dict.fromkeys(name.lower() for name in names))
        if self.query.has_filters():
            return self.ids_by_reference(lowered)
        found = _by_generation(
            f"actor-reference:{self.db}",
            {name: name for name in lowered},
            lambda missing: {name: sorted(ids) for name, ids in self.ids_by_reference(missing).items()},
        )
        return {name: set(ids) for name, ids in found.items() if ids}

    def resolved_descendants(self, ids: Iterable[int]) -> set[int]:
        """``with_descendants``, kept in the shared cache for the current data generation (a parent changed is a
        write, which advances it)."""
        ids = sorted(set(ids))
        if self.query.has_filters():
            return self.with_descendants(ids)
        key = ",".join(map(str, ids))
        found = _by_generation(
            f"actor-descendants:{self.db}", {key: key}, lambda missing: {key: sorted(self.with_descendants(ids))}
        )
        return set(found[key])


def _by_generation(namespace: str, keys: dict[str, str], compute: Callable[[list[str]], dict]) -> dict:
    """Values for ``keys`` (what each is computed from, by its text for the cache key) from the shared cache under
    the current data generation, computing the missing ones with ``compute(missing keys)`` and storing them.

    Stored as counts are (events/api/pagination.py): for at most TRACKER_COUNT_CACHE_SECONDS, which bounds a write
    that bypasses the signals, and only when read where the newest write is visible (tracker.replicas).
    """
    seconds = settings.TRACKER_COUNT_CACHE_SECONDS
    if not seconds:
        return compute(list(keys))
    generation = current_generation()
    names = {
        key: f"tracker:{namespace}:{generation}:{hashlib.sha256(text.encode()).hexdigest()}"
        for key, text in keys.items()
    }
    cached = cache.get_many(list(names.values()))
    found = {key: cached[name] for key, name in names.items() if name in cached}
    missing = [key for key in keys if key not in found]
    if missing:
        computed = compute(missing)
        fresh = {key: computed.get(key, []) for key in missing}
        found |= fresh
        if replicas.cache_may_store():
            cache.set_many({names[key]: value for key, value in fresh.items()}, timeout=seconds)
    return found


class PlacedQuerySet(RecordQuerySet):
    """Records with a place: found by a box of coordinates or by distance, in SQL on both databases.

    A record's effective place is the first of ``place_paths`` that is set: a statement's or a pledge's own place,
    else its event's. Distances are great-circle (haversine) distances on a sphere of the Earth's mean radius,
    computed by the database: PostgreSQL has the trigonometric functions, and Django registers them on every
    SQLite connection, so the filters are the same query on both and pagination counts what it shows.
    """

    place_paths: tuple[str, ...] = ("place",)

    def coordinate(self, axis: str) -> Expression:
        """The effective place's ``latitude`` or ``longitude``, as a float (null without a place)."""
        columns = [Cast(F(f"{path}__{axis}"), FloatField()) for path in self.place_paths]
        return columns[0] if len(columns) == 1 else Coalesce(*columns, output_field=FloatField())

    def with_place(self) -> QuerySet:
        """Records that have an effective place."""
        return self.filter(reduce(operator.or_, (Q(**{f"{path}__isnull": False}) for path in self.place_paths)))

    def within_box(self, *, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> QuerySet:
        """Records whose effective place lies in the box; a box whose west edge lies east of its east edge crosses
        the antimeridian (170,-20,-170,20 is the Pacific around Fiji)."""
        queryset = self.alias(place_lat=self.coordinate("latitude"), place_lon=self.coordinate("longitude"))
        queryset = queryset.filter(place_lat__gte=min_lat, place_lat__lte=max_lat)
        if min_lon <= max_lon:
            return queryset.filter(place_lon__gte=min_lon, place_lon__lte=max_lon)
        return queryset.filter(Q(place_lon__gte=min_lon) | Q(place_lon__lte=max_lon))

    def near(self, *, latitude: float, longitude: float, km: float) -> QuerySet:
        """Records whose effective place lies within ``km`` kilometres of the point, by great-circle distance."""
        lat, lon = self.coordinate("latitude"), self.coordinate("longitude")
        band = km / KM_PER_DEGREE_LATITUDE
        # haversine: a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2); d = 2R · asin(√a), with a kept at most 1
        # against rounding.
        half_dlat = (Radians(lat) - math.radians(latitude)) / 2
        half_dlon = (Radians(lon) - math.radians(longitude)) / 2
        a = Power(Sin(half_dlat), 2) + math.cos(math.radians(latitude)) * Cos(Radians(lat)) * Power(Sin(half_dlon), 2)
        distance = 2 * EARTH_RADIUS_KM * ASin(Sqrt(Least(a, 1.0, output_field=FloatField())))
        return (
            self.alias(place_lat=lat, place_distance=distance)
            # The band of latitudes first: a range that the coordinates index can answer before any trigonometry.
            .filter(place_lat__gte=latitude - band, place_lat__lte=latitude + band)
            .filter(place_distance__lte=km)
        )


class PlaceQuerySet(PlacedQuerySet):
    """Places themselves, by their own coordinates."""

    def coordinate(self, axis: str) -> Expression:
        return Cast(F(axis), FloatField())


class EventQuerySet(PlacedQuerySet):
    actor_lookups = ("participants__actor",)
    group_keys = _dated_keys(
        _actor_key("participant", "participants__actor", "Each actor taking part, in any role"),
        _value_key("event_type", "event_type", "The event's type."),
        _value_key("status", "status", "The event's status."),
        _value_key("country", "country", "The event's country (ISO 3166-1 alpha-2), or null."),
    )
    overlapping_keys = frozenset({"participant"})


class StatementQuerySet(PlacedQuerySet):
    actor_lookups = ("speaker", "about", "stance_target")
    place_paths = ("place", "event__place")
    group_keys = _dated_keys(
        _actor_key("speaker", "speaker", "Who made the statement"),
        _actor_key("stance_target", "stance_target", "Whom the stance is towards"),
        _value_key("stance", "stance", "supports, opposes, or null when the statement takes no stance."),
        _value_key("quote_type", "quote_type", "direct or reported."),
        _value_key("country", "speaker__country", "The speaker's country (ISO 3166-1 alpha-2), or null."),
    )


# The statuses of a pledge still expected to be delivered: past its target date it is overdue. Fulfilled, broken,
# withdrawn and rejected pledges are settled, whatever their target date said.
OPEN_PLEDGE_STATUSES = ("announced", "in_progress", "partially_fulfilled", "stalled")


def overdue_condition(today: datetime.date) -> Q:
    """A pledge whose target date has entirely passed (its last possible day is before ``today``) while it is open."""
    return Q(target_date_end__lt=today, status__in=OPEN_PLEDGE_STATUSES)


class PledgeQuerySet(PlacedQuerySet):
    actor_lookups = ("pledger", "beneficiary")
    place_paths = ("place", "event__place")
    group_keys = _dated_keys(
        _actor_key("pledger", "pledger", "Who made the pledge"),
        _actor_key("beneficiary", "beneficiary", "To or for whom"),
        _value_key("category", "category", "The pledge's category."),
        _value_key("status", "status", "The pledge's status."),
        _value_key("unit", "unit", "The unit of the quantity, or null for pledges without one."),
        _value_key("country", "pledger__country", "The pledger's country (ISO 3166-1 alpha-2), or null."),
        GroupKey("overdue", "overdue", "target_date_end", "Whether the pledge is overdue today (UTC)."),
    )

    def group_measures(self) -> dict[str, Expression]:
        """Per unit, the sum of the quantities, how many pledges have one, and how many of those are approximate:
        quantities in different units are never added together."""
        from .models import Pledge

        measures: dict[str, Expression] = {}
        for unit in Pledge.Unit.values:
            measures[f"sum_{unit}"] = Sum("quantity", filter=Q(unit=unit))
            measures[f"quantified_{unit}"] = Count("pk", filter=Q(unit=unit, quantity__isnull=False))
            measures[f"approximate_{unit}"] = Count("pk", filter=Q(unit=unit, quantity_approximate=True))
        return measures

    def groups_from(self, rows: Iterable[dict], names: Iterable[str]) -> list[dict]:
        rows = list(rows)
        groups = super().groups_from(rows, names)
        for group, row in zip(groups, rows, strict=True):
            group["quantity_sums"] = self.quantity_sums(row)
        return groups

    @staticmethod
    def quantity_sums(row: dict) -> list[dict]:
        """A group's quantities per unit from its row in ``grouped()``, in the codebook's order of units."""
        from .models import Pledge

        return [
            {
                "unit": unit,
                # int(): PostgreSQL sums a bigint column as numeric, which arrives as a Decimal.
                "sum": int(row[f"sum_{unit}"]),
                "count": row[f"quantified_{unit}"],
                "approximate": row[f"approximate_{unit}"] > 0,
            }
            for unit in Pledge.Unit.values
            if row[f"quantified_{unit}"]
        ]

    def overdue(self, value: bool = True) -> QuerySet:
        """Pledges overdue today (UTC, ``dates.today_utc``), or with ``value=False`` those that are not."""
        condition = overdue_condition(dates.today_utc())
        return self.filter(condition) if value else self.exclude(condition)


class SlugManager(models.Manager):
    """Looks records up by their slug, the natural key that fixtures, dumps and URLs use."""

    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


def _relation(model: type[models.Model], lookup: str, ids: Iterable[int]) -> tuple[str, QuerySet | None]:
    """(column, None) when ``model``'s own column holds the related key; else ("pk", the other table's keys)."""
    name, _, rest = lookup.partition("__")
    field = model._meta.get_field(name)
    if getattr(field, "primary_key", False) and not rest:
        return "pk", None
    if field.many_to_one and field.concrete and not rest:
        return field.attname, None
    if field.many_to_many and field.concrete and not rest:
        rows = field.remote_field.through.objects.filter(**{f"{field.m2m_reverse_field_name()}_id__in": ids})
        return "pk", rows.order_by().values(f"{field.m2m_field_name()}_id")
    if field.one_to_many and rest and "__" not in rest:
        other = field.related_model
        rows = other.objects.filter(**{f"{other._meta.get_field(rest).attname}__in": ids})
        return "pk", rows.order_by().values(field.field.attname)
    raise ValueError(f"Cannot filter {model.__name__} by {lookup}.")
