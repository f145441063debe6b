"""The change feed: every version of every source, actor, event, statement and pledge, created, changed or deleted,
in one sequence across the six history tables (models.Change), told as each record's /history/ tells it; the
rows of one bulk load as one entry.

**The sequence is never read past a commit still to come.** Sequence numbers are taken when a row is written, not
when its transaction commits: a long transaction (a load) can take 10, then a short edit 11 and commit first. A
reader that served 11 and resumed after it would never see 10. So the feed serves only *settled* entries, and
stops at the first one that is not:

- every row records when it was written (``recorded_at``; PostgreSQL's own clock there);
- the *horizon* is the start of the oldest transaction still running that has written anything (PostgreSQL's
  ``pg_stat_activity``), or now, whichever is earlier, less a settle window of ``TRACKER_CHANGES_SETTLE_SECONDS``;
- an entry is settled when every one of its rows was written before the horizon. A row not yet committed was
  written after its transaction began, so at or after the horizon; any row with a later sequence number was
  written later still. Hence nothing settled can ever have an unsettled entry before it, and ``since_id`` resumes
  exactly. The window covers the microseconds between taking a number and reading the clock, and clocks.

SQLite has one writer at a time, so numbers are taken in commit order there; the window applies all the same.
On PostgreSQL the database role must see its own other sessions in ``pg_stat_activity`` (it does when every app
server connects as the same role; otherwise grant it ``pg_read_all_stats``).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from .models import Actor, Change, Event, Place, Pledge, Source, Statement
from .selectors import history_entry, reference_slugs

MODELS = {
    "source": Source,
    "actor": Actor,
    "event": Event,
    "statement": Statement,
    "pledge": Pledge,
    "place": Place,
}


@dataclass(frozen=True)
class FeedPage:
    entries: list[dict]
    last: int  # the sequence to resume after: the last entry's, or where the page started when it is empty
    more: bool  # whether more settled entries were waiting
    horizon: datetime.datetime


def horizon(using: str = "default") -> datetime.datetime:
    """The time before which every entry is settled (see the module's docstring)."""
    window = datetime.timedelta(seconds=settings.TRACKER_CHANGES_SETTLE_SECONDS)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return timezone.now() - window
    with connection.cursor() as cursor:
        # backend_xid: only transactions that have written something can still commit rows of the feed; a
        # transaction that has not yet will write them after this moment.
        cursor.execute(
            "SELECT clock_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid())"
        )
        now, oldest = cursor.fetchone()
    return min(now, oldest or now) - window


def start_after(since: datetime.datetime, settled: datetime.datetime) -> int:
    """The sequence to resume after so as to begin with the first settled entry written at or after ``since`` (a
    load still writing then included whole); when nothing settled was written since then, the last settled one."""
    recent = Change.objects.filter(recorded_at__gte=since, recorded_at__lt=settled)
    first = recent.aggregate(single=Min("id", filter=Q(load_id__isnull=True)), load=Min("load_id"))
    sequences = [sequence for sequence in first.values() if sequence is not None]
    if sequences:
        return min(sequences) - 1
    last = Change.objects.filter(recorded_at__lt=settled).order_by("-id").values_list("id", flat=True).first()
    return last or 0


def feed_page(*, after: int, size: int, show_usernames: bool, settled: datetime.datetime) -> FeedPage:
    """Up to ``size`` entries settled before ``settled`` (``horizon()``) with a sequence after ``after``, in
    sequence order: one query for the bound, two for the page's entries and one for its loads' rows, and per
    resource on the page those of ``_versions``."""
    # An entry's sequence is its row's number, or its load's first row's: the first unsettled one bounds the page.
    unsettled = Change.objects.filter(recorded_at__gte=settled).aggregate(row=Min("id"), load=Min("load_id"))
    bound = min((sequence for sequence in unsettled.values() if sequence is not None), default=None)
    singles = Change.objects.filter(load_id__isnull=True, id__gt=after)
    loads = Change.objects.filter(load_id__gt=after)
    if bound is not None:
        singles, loads = singles.filter(id__lt=bound), loads.filter(load_id__lt=bound)
    single_rows = {row.id: row for row in singles.order_by("id")[: size + 1]}
    load_ids = list(loads.order_by("load_id").values_list("load_id", flat=True).distinct()[: size + 1])
    sequences = sorted({*single_rows, *load_ids})
    more = len(sequences) > size
    sequences = sequences[:size]
    loaded: dict[int, list[Change]] = defaultdict(list)
    in_loads = [sequence for sequence in sequences if sequence not in single_rows]
    if in_loads:
        for row in Change.objects.filter(load_id__in=in_loads).order_by("id"):
            loaded[row.load_id].append(row)
    rows = [single_rows[s] for s in sequences if s in single_rows] + [row for load in loaded.values() for row in load]
    versions = _versions(rows, show_usernames=show_usernames)
    entries = [
        _entry(single_rows[sequence], versions)
        if sequence in single_rows
        else _load(sequence, loaded[sequence], versions)
        for sequence in sequences
    ]
    return FeedPage(entries=entries, last=sequences[-1] if sequences else after, more=more, horizon=settled)


def _versions(rows: list[Change], *, show_usernames: bool) -> dict[tuple[str, int], tuple]:
    """Each row's version, keyed by (resource, history_id): the history row and its /history/ entry. Per resource,
    one query for the rows (with the id of the version before each, as /history/ orders them), one for those
    previous versions, and those of ``reference_slugs`` for the slugs they refer to."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        wanted[row.resource].append(row.history_id)
    told: dict[tuple[str, int], tuple] = {}
    for resource, history_ids in wanted.items():
        history = MODELS[resource].history
        before = history.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        versions = list(
            history.filter(history_id__in=history_ids)
            .select_related("history_user")
            .annotate(previous_id=Subquery(before.order_by("-history_date", "-history_id").values("history_id")[:1]))
        )
        wanted_before = [version.previous_id for version in versions if version.previous_id is not None]
        previous = (
            {row.history_id: row for row in history.filter(history_id__in=wanted_before)} if wanted_before else {}
        )
        slugs = reference_slugs([*versions, *previous.values()])
        for version in versions:
            entry = history_entry(
                version, previous.get(version.previous_id), slugs=slugs, show_usernames=show_usernames
            )
            told[resource, version.history_id] = (version, entry)
    return told


def _entry(row: Change, versions: dict) -> dict:
    version, told = versions[row.resource, row.history_id]
    return {
        "sequence": row.id,
        "time": told["history_date"],
        "type": told["history_type"],
        "resource": row.resource,
        "slug": version.slug,
        "version": told["version"],
        "user": told["history_user"],
        "origin": told["history_change_reason"],
        "changes": told["changes"],
        "records": [],
    }


def _load(sequence: int, rows: list[Change], versions: dict) -> dict:
    """A bulk load as one entry: when it ended, who ran it, and each record it created, changed or deleted."""
    told = [versions[row.resource, row.history_id] for row in rows]
    last = told[-1][1]
    return {
        "sequence": sequence,
        "time": max(entry["history_date"] for _, entry in told),
        "type": "loaded",
        "resource": None,
        "slug": None,
        "version": None,
        "user": last["history_user"],
        "origin": last["history_change_reason"],
        "changes": [],
        "records": [
            {"resource": row.resource, "slug": version.slug, "type": entry["history_type"], "version": entry["version"]}
            for row, (version, entry) in zip(rows, told, strict=True)
        ],
    }
