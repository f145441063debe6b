"""The engine's inputs from the database, and its answer cached per source and data generation.

Reading an article costs CPU (every name of every actor against the text), so proposals are computed once per
source and data generation: any write advances the generation (events.generation), after which they are computed
afresh, since a new actor or record changes what the text is proposed as.
"""

import dataclasses
import hashlib
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from ..generation import current_generation
from ..models import Actor, ActorAlias, Citation, Event, EventParticipant, Pledge, Source, Statement
from .actors import KnownActor
from .engine import RESOURCES, Proposal, mentioned_actors, propose
from .records import KnownCitation, KnownEvent, KnownPledge, KnownStatement, Records, SourceDoc

# A new engine version changes the proposals for the same data: part of the cache key.
ENGINE_VERSION = "2"


def known_actors() -> list[KnownActor]:
    aliases = defaultdict(list)
    for slug, name in ActorAlias.objects.order_by("actor__slug", "name").values_list("actor__slug", "name"):
        aliases[slug].append(name)
    return [
        KnownActor(
            slug=slug,
            name=name,
            kind=kind,
            title=title,
            parent=parent,
            aliases=tuple(aliases[slug]),
            country=str(country or ""),
        )
        for slug, name, kind, title, parent, country in Actor.objects.order_by("slug").values_list(
            "slug", "name", "kind", "title", "parent__slug", "country"
        )
    ]


def source_doc(source: Source) -> SourceDoc:
    return SourceDoc(
        slug=source.slug,
        text=source.text,
        date=source.date,
        date_precision=source.date_precision,
        date_end=source.date_end,
        title=source.title,
    )


def _citations(field: str, ids: list[int]) -> dict[int, tuple[KnownCitation, ...]]:
    found = defaultdict(list)
    rows = Citation.objects.filter(**{f"{field}__in": ids}).order_by("id")
    for owner, source, excerpt in rows.values_list(field, "source__slug", "excerpt"):
        found[owner].append(KnownCitation(source=source, excerpt=excerpt))
    return {owner: tuple(items) for owner, items in found.items()}


def known_records(source: Source, actors: list[KnownActor]) -> Records:
    """The records the rules may match: those of the actors the text names (and the states they belong to), and
    those that already cite this source. Not the whole database: the text can only corroborate what it names."""
    by_slug = {a.slug: a for a in actors}
    named = mentioned_actors(source_doc(source), actors)
    for slug in list(named):
        parent = by_slug[slug].parent
        while parent and parent not in named and parent in by_slug:
            named.add(parent)
            parent = by_slug[parent].parent
    cited = Q(citations__source=source)
    statements = list(
        Statement.objects.filter(Q(speaker__slug__in=named) | cited)
        .distinct()
        .values_list("pk", "slug", "speaker__slug", "text", "quote_type")
    )
    pledges = list(
        Pledge.objects.filter(Q(pledger__slug__in=named) | cited)
        .distinct()
        .values_list("pk", "slug", "pledger__slug", "category", "title", "quantity", "unit", "quantity_approximate")
    )
    event_ids = set(EventParticipant.objects.filter(actor__slug__in=named).values_list("event_id", flat=True))
    event_ids |= set(Event.objects.filter(cited).values_list("pk", flat=True))
    events = list(
        Event.objects.filter(pk__in=event_ids).values_list("pk", "slug", "title", "event_type", "date", "date_end")
    )
    participants = defaultdict(list)
    for event, actor in EventParticipant.objects.filter(event_id__in=event_ids).values_list("event_id", "actor__slug"):
        participants[event].append(actor)
    statement_citations = _citations("statement", [row[0] for row in statements])
    pledge_citations = _citations("pledge", [row[0] for row in pledges])
    event_citations = _citations("event", [row[0] for row in events])
    return Records(
        statements=tuple(
            KnownStatement(slug, speaker, text, quote_type, statement_citations.get(pk, ()))
            for pk, slug, speaker, text, quote_type in statements
        ),
        pledges=tuple(
            KnownPledge(slug, pledger, category, title, quantity, unit, approximate, pledge_citations.get(pk, ()))
            for pk, slug, pledger, category, title, quantity, unit, approximate in pledges
        ),
        events=tuple(
            KnownEvent(slug, title, kind, date, date_end, tuple(participants[pk]), event_citations.get(pk, ()))
            for pk, slug, title, kind, date, date_end in events
        ),
    )


MODELS = {"actors": Actor, "statements": Statement, "pledges": Pledge, "events": Event}


def source_proposals(source: Source) -> list[Proposal]:
    """The proposals for a source, with slugs no record holds yet (a proposal that would take one is given
    another, and the records proposed with it follow)."""
    actors = known_actors()
    records = known_records(source, actors)
    doc = source_doc(source)
    proposals = propose(doc, actors, records)
    wanted = defaultdict(set)
    for proposal in proposals:
        if proposal.body and "slug" in proposal.body:
            wanted[proposal.resource].add(proposal.body["slug"])
    taken = {
        resource: frozenset(MODELS[resource].objects.filter(slug__in=slugs).values_list("slug", flat=True))
        for resource, slugs in wanted.items()
    }
    if any(taken.values()):
        proposals = propose(doc, actors, dataclasses.replace(records, taken=taken))
    return proposals


def cached_proposals(source: Source) -> list[dict]:
    """``source_proposals`` as plain values, from the cache when nothing has been written since."""
    seconds = settings.TRACKER_PROPOSALS_CACHE_SECONDS
    generation = current_generation()
    digest = hashlib.sha256(source.text.encode()).hexdigest()[:16]
    key = f"tracker:proposals:{ENGINE_VERSION}:{generation}:{source.pk}:{source.version}:{digest}"
    found = cache.get(key) if seconds else None
    if found is None:
        found = [plain(p) for p in source_proposals(source)]
        if seconds:
            cache.set(key, found, timeout=seconds)
    return found


def plain(proposal: Proposal) -> dict:
    return {
        "id": proposal.id,
        "kind": proposal.kind,
        "action": proposal.action,
        "rule": proposal.rule,
        "reason": proposal.reason,
        "start": proposal.start,
        "end": proposal.end,
        "excerpt": proposal.excerpt,
        "resource": proposal.resource,
        "body": proposal.body,
        "cite_on": proposal.cite_on,
        "recorded_on": proposal.recorded_on,
        "requires": list(proposal.requires),
        "details": proposal.details,
    }


__all__ = ["RESOURCES", "cached_proposals", "known_actors", "known_records", "source_doc", "source_proposals"]
