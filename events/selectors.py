"""Reads that span several models: the timeline, an actor's relations and a record's history."""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import CharField, F, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat

from .filters import TimelineFilter, with_descendants
from .models import Actor, Event, EventParticipant, Pledge, Statement

TIMELINE_TYPES: dict[str, type] = {"event": Event, "pledge": Pledge, "statement": Statement}
TIMELINE_FIELDS = ("type", "slug", "date", "date_precision", "date_end", "title", "updated_at")


def timeline(params: Mapping[str, str]) -> QuerySet:
    """Events, pledges and statements matching ``params`` as one chronological queryset of dicts.

    Raises django_filters' validation through ``TimelineFilter`` (its ``errors``) when a parameter is invalid;
    the caller checks ``is_valid`` first via ``timeline_filter``.
    """
    wanted = _types(params)
    parts = []
    for name in wanted:
        model = TIMELINE_TYPES[name]
        filtered = TimelineFilter(data=params, queryset=model.objects.all()).qs.order_by()
        title = (
            Concat(F("speaker__name"), Value(": "), F("text"), output_field=TextField())
            if model is Statement
            else Cast("title", TextField())
        )
        parts.append(
            filtered.annotate(
                type=Value(name, output_field=CharField()),
                item_title=title,
            ).values_list("type", "slug", "date", "date_precision", "date_end", "item_title", "updated_at", named=False)
        )
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    # Positional ordering works for a single queryset and for a UNION alike: date (unknown last), slug, type.
    return combined.order_by(F("date").asc(nulls_last=True), "slug", "type")


def timeline_filter(params: Mapping[str, str]) -> TimelineFilter:
    return TimelineFilter(data=params, queryset=Event.objects.all())


def _types(params: Mapping[str, str]) -> list[str]:
    raw = params.get("type") or ""
    chosen = [part.strip() for part in raw.split(",") if part.strip()]
    return [name for name in TIMELINE_TYPES if not chosen or name in chosen]


def timeline_items(rows: Iterable[tuple]) -> list[dict]:
    """Turn timeline rows into items, adding the names of the actors each involves (one query per type)."""
    items = [dict(zip(TIMELINE_FIELDS, row, strict=True)) for row in rows]
    slugs: dict[str, list[str]] = defaultdict(list)
    for item in items:
        slugs[item["type"]].append(item["slug"])
    actors: dict[tuple[str, str], list[str]] = defaultdict(list)
    if slugs["event"]:
        participants = EventParticipant.objects.filter(event__slug__in=slugs["event"]).order_by("role", "actor__slug")
        for slug, name in participants.values_list("event__slug", "actor__name"):
            actors["event", slug].append(name)
    if slugs["pledge"]:
        for slug, pledger, beneficiary in Pledge.objects.filter(slug__in=slugs["pledge"]).values_list(
            "slug", "pledger__name", "beneficiary__name"
        ):
            actors["pledge", slug] += [name for name in (pledger, beneficiary) if name]
    if slugs["statement"]:
        for slug, speaker in Statement.objects.filter(slug__in=slugs["statement"]).values_list("slug", "speaker__name"):
            actors["statement", slug].append(speaker)
    for item in items:
        item["actors"] = list(dict.fromkeys(actors[item["type"], item["slug"]]))
    return items


def actor_relations(*, actor: Actor, include_children: bool = False) -> dict:
    """Who the actor (and, optionally, its members) supports or opposes, who supports or opposes it, according to
    which statements, and the pledges it made or received."""
    ids = with_descendants([actor.pk]) if include_children else {actor.pk}
    given = (
        Statement.objects.filter(speaker_id__in=ids, stance_target__isnull=False)
        .select_related("stance_target")
        .order_by("stance_target__slug", F("date").asc(nulls_last=True), "slug")
    )
    received = (
        Statement.objects.filter(stance_target_id__in=ids)
        .exclude(stance="")
        .select_related("speaker")
        .order_by("speaker__slug", F("date").asc(nulls_last=True), "slug")
    )
    pledges = list(
        Pledge.objects.filter(Q(pledger_id__in=ids) | Q(beneficiary_id__in=ids)).select_related(
            "pledger", "beneficiary"
        )
    )
    return {
        "actor": actor,
        "supports": _group(given, "stance_target", Statement.Stance.SUPPORTS),
        "opposes": _group(given, "stance_target", Statement.Stance.OPPOSES),
        "supported_by": _group(received, "speaker", Statement.Stance.SUPPORTS),
        "opposed_by": _group(received, "speaker", Statement.Stance.OPPOSES),
        "pledges_made": [p for p in pledges if p.pledger_id in ids],
        "pledges_received": [p for p in pledges if p.beneficiary_id in ids],
    }


def _group(statements: Iterable[Statement], other: str, stance: str) -> list[dict]:
    groups: dict[int, dict] = {}
    for statement in statements:
        if statement.stance != stance:
            continue
        counterpart = getattr(statement, other)
        group = groups.setdefault(counterpart.pk, {"actor": counterpart, "statements": []})
        group["statements"].append(statement)
    return list(groups.values())


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def record_history(record) -> list[dict]:
    """Every version of ``record``, newest first, each with the fields that changed from the version before."""
    rows = list(record.history.select_related("history_user").order_by("history_date", "history_id"))
    entries, previous = [], None
    for row in rows:
        changes = []
        if previous is not None:
            delta = row.diff_against(previous, excluded_fields=["version", "updated_at"], foreign_keys_are_objs=False)
            changes = [{"field": c.field, "old": _plain(c.old), "new": _plain(c.new)} for c in delta.changes]
        entries.append(
            {
                "history_id": row.history_id,
                "history_date": row.history_date,
                "history_type": HISTORY_TYPES[row.history_type],
                "history_user": row.history_user.get_username() if row.history_user else None,
                "history_change_reason": row.history_change_reason,
                "version": row.version,
                "changes": changes,
            }
        )
        previous = row
    return entries[::-1]


def _plain(value):
    """A history value as JSON: dates as ISO strings, decimals and countries as text, related rows as ids."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))
