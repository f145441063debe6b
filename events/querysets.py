"""Query logic that the filters, the selectors and the views share, on the models' QuerySets (as openstates-core
keeps it): naming actors by reference, an actor's descendants, and which records involve which actors.

``Actor.objects.ids_by_reference(["Washington"])``, ``Actor.objects.with_descendants(ids)``,
``Statement.objects.involving(ids)``, ``Event.objects.related_to("citations__source", ids)``.
"""

import datetime
import operator
from collections.abc import Iterable
from functools import reduce

from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from . import dates


class RecordQuerySet(models.QuerySet):
    """Records found by slug, and by the actors they involve."""

    # Which relations make a record "involve" an actor: the meaning of `actor=`.
    actor_lookups: tuple[str, ...] = ()

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


class EventQuerySet(RecordQuerySet):
    actor_lookups = ("participants__actor",)


class StatementQuerySet(RecordQuerySet):
    actor_lookups = ("speaker", "about", "stance_target")


# The statuses of a pledge still expected to be delivered: past its target date it is overdue. Fulfilled, broken,
# withdrawn and rejected pledges are settled, whatever their target date said.
OPEN_PLEDGE_STATUSES = ("announced", "in_progress", "partially_fulfilled", "stalled")


def overdue_condition(today: datetime.date) -> Q:
    """A pledge whose target date has entirely passed (its last possible day is before ``today``) while it is open."""
    return Q(target_date_end__lt=today, status__in=OPEN_PLEDGE_STATUSES)


class PledgeQuerySet(RecordQuerySet):
    actor_lookups = ("pledger", "beneficiary")

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
