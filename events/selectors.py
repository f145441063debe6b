"""Reads that span several models: the timeline, an actor's relations and a record's history."""

import datetime
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import CharField, DateField, F, Func, IntegerField, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat

from . import keyset
from .api.filters import TimelineFilter
from .models import Actor, Citation, Event, EventParticipant, Pledge, Statement

TIMELINE_TYPES: dict[str, type] = {"event": Event, "pledge": Pledge, "statement": Statement}
TIMELINE_FIELDS = ("type", "slug", "date", "date_precision", "date_end", "title", "updated_at")


# The timeline's order: date (unknown dates last), then slug. Within one kind slug is unique, so this is a total
# order of each part; across the kinds the type breaks the remaining ties.
PART_ORDER = (F("date").asc(nulls_last=True), "slug")
TIMELINE_ORDER = (*PART_ORDER, "type")
TIMELINE_KEYS = (
    keyset.SortKey("date", descending=False, nulls_last=True, nullable=True),
    keyset.SortKey("slug", descending=False, nulls_last=True, nullable=False),
    keyset.SortKey("type", descending=False, nulls_last=True, nullable=False),
)

# A part with at most this many rows is read whole through its filters' indexes and sorted, rather than by walking
# its (date, slug) index until enough rows pass the filters. The planner cannot tell that an actor's pledges in
# 2020 all lie beyond the first 80,000 entries of that index (measured at 200k events: 238 ms walking against
# 16 ms filtering first), whereas sorting a few thousand rows costs a few milliseconds.
SMALL_PART_ROWS = 5000


class Timeline:
    """Events, pledges and statements matching a filter as one chronological sequence of row tuples (see
    TIMELINE_FIELDS), without counting or sorting their UNION as a whole.

    Django's Paginator takes it as it takes a queryset. ``count()`` counts each kind on its own and adds the counts
    up. A slice ``[a:b]`` takes the first ``b`` rows of each kind, in the timeline's order on that kind's
    ``(date, slug)`` index, then merges them and keeps ``[a:b]``: one statement on databases that allow ORDER BY
    and LIMIT inside a UNION (PostgreSQL); elsewhere (SQLite) the UNION is sorted whole. Iterating it, or
    ``chunk_after()`` for the exports, reads every row in order, a chunk at a time.
    """

    ordered = True  # for Paginator's check that the list has a stable order

    def __init__(self, kinds: dict[str, tuple[QuerySet, QuerySet]], *, date_after: datetime.date | None = None):
        # kind -> (its filtered queryset, the same as timeline rows)
        self.kinds = kinds
        self.date_after = date_after
        # Per kind, once counted: (rows, rows with a date, earliest date); the last two only with date_after.
        self.counts: dict[str, tuple[int, int | None, datetime.date | None]] | None = None

    def count(self) -> int:
        """One COUNT(*) per kind, sent together in one statement, and added up."""
        counting = []
        for kind, (filtered, _rows) in self.kinds.items():
            if self.date_after is not None:
                # date_after (date_end >= X) matches no row before a date that the planner cannot see, so a page
                # would walk the (date, slug) index from its very start: at 200k events 2.2 s for 20 rows. The
                # count finds that date for next to nothing, since without an index on date_end it reads every
                # matching row anyway.
                dated = Func(F("date"), function="COUNT", output_field=IntegerField())
                earliest = Func(F("date"), function="MIN", output_field=DateField())
            else:
                dated, earliest = Value(None, output_field=IntegerField()), Value(None, output_field=DateField())
            counting.append(
                filtered.order_by()
                .annotate(
                    kind=Value(kind, output_field=CharField()),
                    rows=Func(template="COUNT(*)", output_field=IntegerField()),
                    dated=dated,
                    earliest=earliest,
                )
                .values_list("kind", "rows", "dated", "earliest")
            )
        combined = counting[0].union(*counting[1:], all=True) if len(counting) > 1 else counting[0]
        self.counts = dict.fromkeys(self.kinds, (0, None, None)) | {kind: tuple(rest) for kind, *rest in combined}
        return sum(rows for rows, _dated, _earliest in self.counts.values())

    def __getitem__(self, key):
        if isinstance(key, int):
            if key < 0:
                raise ValueError("Negative indexing is not supported.")
            return self[key : key + 1][0]
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("Timeline indices must be integers or slices without a step.")
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0):
            raise ValueError("Negative indexing is not supported.")
        return self._ordered(stop)[start:stop]

    def __iter__(self):
        return iter(self._ordered(None))

    def iterator(self, chunk_size: int = 2000):
        for batch in keyset.chunks(self, chunk_size):
            yield from batch

    sort_keys = TIMELINE_KEYS

    def chunk(self, condition, size: int) -> list[tuple]:
        """The first ``size`` rows, in order, of those that meet ``condition`` (on TIMELINE_KEYS): exports read the
        timeline so, in keyset chunks (events/keyset.py). Where the database allows it, each kind contributes only
        its own first ``size`` rows, read along its (date, slug) index."""
        parts = [rows.filter(condition) for _filtered, rows in self.kinds.values()]
        if len(parts) > 1 and connections[parts[0].db].features.supports_slicing_ordering_in_compound:
            parts = [rows.order_by(*PART_ORDER)[:size] for rows in parts]
        merged = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        return list(merged.order_by(*TIMELINE_ORDER)[:size])

    @staticmethod
    def key_of(row: tuple) -> tuple:
        return tuple(row[TIMELINE_FIELDS.index(key.name)] for key in TIMELINE_KEYS)

    def _ordered(self, stop: int | None) -> QuerySet:
        """Every row in the timeline's order, shaped so that reading only the first ``stop`` of them is cheap."""
        parts = {kind: rows for kind, (_filtered, rows) in self.kinds.items()}
        empty = next(iter(parts.values())).none()
        if stop is not None and self.counts is not None:
            # The Paginator counts before it slices: what the counts tell narrows each part.
            parts = {kind: self._bounded(kind, rows, stop) for kind, rows in parts.items() if self.counts[kind][0]}
        if len(parts) <= 1:
            return next(iter(parts.values()), empty).order_by(*TIMELINE_ORDER)
        branches = list(parts.values())
        if stop is not None and connections[empty.db].features.supports_slicing_ordering_in_compound:
            # No row after a kind's first ``stop`` rows can be among the first ``stop`` of the merge.
            branches = [
                rows if self._small(kind, stop) else rows.order_by(*PART_ORDER)[:stop] for kind, rows in parts.items()
            ]
        return branches[0].union(*branches[1:], all=True).order_by(*TIMELINE_ORDER)

    def _small(self, kind: str, stop: int) -> bool:
        return self.counts is not None and self.counts[kind][0] <= max(stop, SMALL_PART_ROWS)

    def _bounded(self, kind: str, rows: QuerySet, stop: int) -> QuerySet:
        """The part's rows, with its earliest date as the start of the index walk when the first ``stop`` rows in
        order all have a date (unknown dates come last)."""
        _count, dated, earliest = self.counts[kind]
        if self._small(kind, stop) or earliest is None or dated < stop:
            return rows
        return rows.filter(date__gte=earliest)


def timeline(params: Mapping[str, str], *, checked: TimelineFilter | None = None) -> Timeline:
    """Events, pledges and statements matching ``params``, as a Timeline.

    ``checked`` is the caller's ``timeline_filter(params)``, already validated; with it, the actors named in
    ``params`` are looked up once rather than once per kind. Without it, invalid parameters are left out, as
    django-filter's ``qs`` does.
    """
    if checked is None:
        checked = timeline_filter(params)
        checked.is_valid()
    kinds = {}
    for name in _types(params):
        model = TIMELINE_TYPES[name]
        filtered = checked.filter_queryset(model.objects.all()).order_by()
        title = (
            Concat(F("speaker__name"), Value(": "), F("text"), output_field=TextField())
            if model is Statement
            else Cast("title", TextField())
        )
        rows = filtered.annotate(
            type=Value(name, output_field=CharField()),
            item_title=title,
        ).values_list("type", "slug", "date", "date_precision", "date_end", "item_title", "updated_at", named=False)
        kinds[name] = (filtered, rows)
    return Timeline(kinds, date_after=checked.form.cleaned_data.get("date_after"))


def timeline_undated(params: Mapping[str, str], *, checked: TimelineFilter) -> Timeline | None:
    """The items of each kind that the timeline's date filters left out for having no known date (see
    TimelineFilter.undated_excluded), as a Timeline to count; None when no date filter left any out."""
    kinds = {}
    for name in _types(params):
        undated = checked.undated_excluded(TIMELINE_TYPES[name].objects.all())
        if undated is None:
            return None
        kinds[name] = (undated, None)
    return Timeline(kinds)


def timeline_filter(params: Mapping[str, str]) -> TimelineFilter:
    return TimelineFilter(data=params, queryset=Event.objects.all())


def _types(params: Mapping[str, str]) -> list[str]:
    raw = params.get("type") or ""
    chosen = [part.strip() for part in raw.split(",") if part.strip()]
    return [name for name in TIMELINE_TYPES if not chosen or name in chosen]


def timeline_items(rows: Iterable[tuple]) -> list[dict]:
    """Turn timeline rows into items, adding the names and slugs of the actors each involves (one query per type)."""
    items = [dict(zip(TIMELINE_FIELDS, row, strict=True)) for row in rows]
    slugs: dict[str, list[str]] = defaultdict(list)
    for item in items:
        slugs[item["type"]].append(item["slug"])
    actors: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    if slugs["event"]:
        participants = EventParticipant.objects.filter(event__slug__in=slugs["event"]).order_by("role", "actor__slug")
        for slug, *actor in participants.values_list("event__slug", "actor__name", "actor__slug"):
            actors["event", slug].append(tuple(actor))
    if slugs["pledge"]:
        for slug, *named in Pledge.objects.filter(slug__in=slugs["pledge"]).values_list(
            "slug", "pledger__name", "pledger__slug", "beneficiary__name", "beneficiary__slug"
        ):
            actors["pledge", slug] += [actor for actor in (tuple(named[:2]), tuple(named[2:])) if actor[0]]
    if slugs["statement"]:
        for slug, *speaker in Statement.objects.filter(slug__in=slugs["statement"]).values_list(
            "slug", "speaker__name", "speaker__slug"
        ):
            actors["statement", slug].append(tuple(speaker))
    for item in items:
        involved = list(dict.fromkeys(actors[item["type"], item["slug"]]))
        item["actors"] = [name for name, _ in involved]
        item["actor_slugs"] = [slug for _, slug in involved]
    return items


def citation_rows(kind: str, records: QuerySet, *, chunk_size: int = 500) -> Iterator[dict]:
    """Every citation of ``records`` (of kind ``kind``: actor, event, pledge or statement), one row each, records in
    their queryset's order and each record's citations in the order it lists them, with their position there. The
    records are read in keyset chunks (events/keyset.py), one query for a chunk's records and one for their
    citations, so that an export of every citation streams in flat memory without a server-side cursor, which a
    transaction pooler would break."""

    def rows(batch: list) -> list[dict]:
        return list(_citation_rows(kind, [(record.pk, record.slug) for record in batch]))

    # Only the records' keys are read: what a serializer would prefetch for them is not needed here.
    for batch in keyset.chunks(records.prefetch_related(None), chunk_size, then=rows):
        yield from batch


def _citation_rows(kind: str, records: list[tuple[int, str]]) -> Iterator[dict]:
    cited: dict[int, list[tuple]] = defaultdict(list)
    rows = Citation.objects.filter(**{f"{kind}_id__in": [pk for pk, _ in records]}).order_by(f"{kind}_id", "id")
    for pk, *citation in rows.values_list(f"{kind}_id", "id", "source__slug", "excerpt"):
        cited[pk].append(citation)
    for pk, slug in records:
        for position, (citation_id, source, excerpt) in enumerate(cited[pk], start=1):
            yield {
                "resource": kind,
                "record": slug,
                "position": position,
                "source": source,
                "excerpt": excerpt,
                "id": citation_id,
            }


def actor_relations(*, actor: Actor, include_children: bool = False) -> dict:
    """Who the actor (and, optionally, its members) supports or opposes, who supports or opposes it, according to
    which statements, and the pledges it made or received."""
    ids = Actor.objects.with_descendants([actor.pk]) if include_children else {actor.pk}
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


def history_rows(model, slug: str):
    """The history of the slug: of every record that has had it, the live one and any deleted before it, in the
    order it happened (a record created again under a deleted one's slug carries on its versions). None if no
    record ever had the slug."""
    ids = model.history.filter(slug=slug).values("id")
    rows = model.history.filter(id__in=ids).select_related("history_user").order_by("history_date", "history_id")
    return rows if rows.exists() else None


def record_history(rows, *, show_usernames: bool) -> list[dict]:
    """Every version, newest first, each with the fields that changed from the version before (references by slug)
    and the relations added and removed. Editors see usernames; everyone else the editor's full name or nothing."""
    rows = list(rows)
    slugs = reference_slugs(rows)
    entries, previous = [], None
    for row in rows:
        entries.append(history_entry(row, previous, slugs=slugs, show_usernames=show_usernames))
        previous = row
    return entries[::-1]


def history_entry(row, previous, *, slugs: dict, show_usernames: bool) -> dict:
    """One version as /history/ and the change feed tell it: what changed from ``previous`` (None for a first
    version), and who, by the privacy rule above."""
    changes = []
    if previous is not None:
        # `about` is compared with the other relations, from the snapshots.
        excluded = ["version", "updated_at", "about", "reported_by"]
        delta = row.diff_against(previous, excluded_fields=excluded, foreign_keys_are_objs=False)
        changes = [_change(c.field, c.old, c.new, slugs) for c in delta.changes]
        changes += _relation_changes(previous.history_relations, row.history_relations)
    elif row.history_relations:
        changes = _relation_changes({}, row.history_relations)
    return {
        "history_id": row.history_id,
        "history_date": row.history_date,
        "history_type": HISTORY_TYPES[row.history_type],
        "history_user": history_user(row.history_user, show_usernames=show_usernames),
        "history_change_reason": row.history_change_reason
        if show_usernames
        else _without_account(row.history_change_reason),
        "version": row.version,
        "changes": changes,
    }


def history_user(user, *, show_usernames: bool) -> str | None:
    if user is None:
        return None
    return user.get_username() if show_usernames else user.get_full_name() or None


def _without_account(reason: str | None) -> str | None:
    """A command's origin names the system account that ran it ("command load_story (by root)"): not for anonymous
    readers."""
    return re.sub(r" \(by [^)]*\)$", "", reason) if reason else reason


def reference_slugs(rows) -> dict[tuple[str, object], str]:
    """The slug of every record the rows refer to by id (live records, or the last name a deleted one had)."""
    if not rows:
        return {}
    wanted: dict[str, set] = defaultdict(set)
    fields = {f.attname: f for f in rows[0].instance._meta.concrete_fields if f.is_relation}
    for row in rows:
        for attname in fields:
            value = getattr(row, attname)
            if value is not None:
                wanted[attname].add(value)
    slugs: dict[tuple[str, object], str] = {}
    for attname, ids in wanted.items():
        related = fields[attname].related_model
        found = dict(related.objects.filter(pk__in=ids).values_list("pk", "slug"))
        gone = related.history.filter(id__in=ids - found.keys()).order_by("id", "history_id")
        # One query for every deleted record, whatever their number: the last slug each had.
        last = dict(gone.values_list("id", "slug"))
        found.update({pk: last.get(pk, str(pk)) for pk in ids - found.keys()})
        slugs.update({(attname, pk): slug for pk, slug in found.items()})
    return slugs


def _change(field: str, old, new, slugs) -> dict:
    attname = f"{field}_id"
    if (attname, old) in slugs or (attname, new) in slugs:
        old, new = slugs.get((attname, old), old), slugs.get((attname, new), new)
    return {"field": field, "old": _plain(old), "new": _plain(new)}


def _relation_changes(before: dict | None, after: dict | None) -> list[dict]:
    """What a version added to and removed from each relation (citations, aliases, participants, `about`)."""
    if after is None:
        return []
    before = before or {}
    changes = []
    for name, items in after.items():
        old = before.get(name, [])
        added = [item for item in items if item not in old]
        removed = [item for item in old if item not in items]
        if added or removed:
            changes.append({"field": name, "old": old, "new": items, "added": added, "removed": removed})
    return changes


def _plain(value):
    """A history value as JSON: dates as ISO strings, decimals and countries as text, related rows as ids."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))
