"""Writes that carry rules. The admin, the API and the management commands all go through these functions.

Each function is keyword-only, validates with ``full_clean()`` before saving, and runs in one transaction, so a
failure leaves nothing half-written.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from .dates import implied_precision, resolve_span
from .generation import data_changed
from .history import quietly, write_version
from .models import Actor, ActorAlias, Citation, Event, EventParticipant, Pledge, PledgeStatusChange, Source, Statement

Outcome = Literal["created", "updated", "unchanged", "kept"]


@dataclass(frozen=True)
class CitationData:
    source: str
    excerpt: str


@dataclass(frozen=True)
class ParticipantData:
    actor: str
    role: str


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
    citation = _citation_create(record=record, source=source, excerpt=excerpt)
    _finish(record, "unchanged", related_changed=True, claimed=True)
    return citation


@transaction.atomic
def citation_remove(*, citation: Citation, expected_version: int) -> None:
    """Remove one citation from its record; an event, pledge or statement keeps at least one."""
    record = citation.record
    _lock(record, expected_version)
    if not isinstance(record, Actor) and record.citations.count() == 1:
        raise ValidationError({"citations": [f"{_label(record)} needs at least one citation; add another first."]})
    if citation.status_changes.exists():
        raise ValidationError(
            {"citations": [f"This citation is the evidence of a step in {_label(record)}'s status timeline."]}
        )
    citation.delete()
    _finish(record, "unchanged", related_changed=True, claimed=True)


def _citation_create(*, record: Event | Pledge | Statement | Actor, source: Source, excerpt: str) -> Citation:
    citation = Citation(source=source, excerpt=excerpt, **{_citation_target(record): record})
    citation.full_clean()
    citation.save()
    return citation


def citations_set(*, record: Event | Pledge | Statement | Actor, citations: Iterable[CitationData]) -> bool:
    """Make the record's citations exactly ``citations``; return whether anything changed."""
    wanted = list(dict.fromkeys(citations))
    if not wanted and not isinstance(record, Actor):
        raise ValidationError({"citations": f"{_label(record)} needs at least one citation."})
    existing = {(c.source.slug, c.excerpt): c for c in record.citations.select_related("source")}
    wanted_keys = {(c.source, c.excerpt) for c in wanted}
    changed = False
    for key, citation in existing.items():
        if key not in wanted_keys:
            citation.delete()
            changed = True
    sources = _resolve(Source, {c.source for c in wanted}, f"citation of {_label(record)}")
    for item in wanted:
        if (item.source, item.excerpt) not in existing:
            try:
                _citation_create(record=record, source=sources[item.source], excerpt=item.excerpt)
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
    # update() sends no signal: say that searches may now count differently (see generation.data_changed).
    data_changed()
    record.search_text = text
    return True


# Records -----------------------------------------------------------------------------------------------------


@transaction.atomic
def source_upsert(
    *,
    slug: str,
    title: str,
    text: str,
    publisher: str = "",
    byline: str = "",
    url: str = "",
    seed_file: str | None = None,
    date: datetime.date | None = None,
    date_precision: str | None = None,
    date_end: datetime.date | None = None,
    date_note: str = "",
    overwrite: bool = True,
    expected_version: int | None = None,
) -> tuple[Source, Outcome]:
    """Create or update a source. Changing the text of a source that is cited is refused if an excerpt would break."""
    source, outcome = _upsert(
        Source,
        slug=slug,
        overwrite=overwrite,
        expected_version=expected_version,
        fields={
            "title": title,
            # Browsers send a textarea's line breaks as CRLF: the article's own LF is what is stored, so that saving
            # a form with no edit changes nothing.
            "text": text.replace("\r\n", "\n"),
            "publisher": publisher,
            "byline": byline,
            "url": url,
            "seed_file": seed_file,
            "date": date,
            "date_precision": date_precision or implied_precision(date),
            "date_end": date_end,
            "date_note": date_note,
        },
    )
    if outcome == "updated":
        broken = [c for c in source.citations.all() if c.excerpt not in source.text]
        if broken:
            raise ValidationError(
                {"text": f"The new text would break {len(broken)} citation(s) of source “{slug}”, e.g. “{broken[0]}”."}
            )
    if outcome != "kept":
        outcome = _finish(source, outcome, related_changed=False, claimed=expected_version is not None)
    return source, outcome


@transaction.atomic
def actor_upsert(
    *,
    slug: str,
    name: str,
    kind: str,
    aliases: Sequence[str] = (),
    country_code: str = "",
    title: str = "",
    parent: str | None = None,
    description: str = "",
    citations: Sequence[CitationData] = (),
    overwrite: bool = True,
    expected_version: int | None = None,
) -> tuple[Actor, Outcome]:
    """Create or update an actor with its aliases and citations."""
    parent_actor = _resolve_one(Actor, parent, f"parent of actor “{slug}”")
    actor, outcome = _upsert(
        Actor,
        slug=slug,
        overwrite=overwrite,
        expected_version=expected_version,
        fields={
            "name": name,
            "kind": kind,
            "country": country_code,
            "title": title,
            "parent": parent_actor,
            "description": description,
        },
    )
    if outcome == "kept":
        return actor, outcome
    related_changed = _aliases_set(actor=actor, aliases=aliases)
    related_changed |= citations_set(record=actor, citations=citations)
    return actor, _finish(actor, outcome, related_changed, claimed=expected_version is not None)


@transaction.atomic
def event_upsert(
    *,
    slug: str,
    title: str,
    event_type: str,
    citations: Sequence[CitationData],
    description: str = "",
    status: str = Event.Status.OCCURRED,
    date: datetime.date | None = None,
    date_precision: str | None = None,
    date_end: datetime.date | None = None,
    date_note: str = "",
    location: str = "",
    country_code: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    participants: Sequence[ParticipantData] = (),
    overwrite: bool = True,
    expected_version: int | None = None,
) -> tuple[Event, Outcome]:
    """Create or update an event with its participants and citations."""
    event, outcome = _upsert(
        Event,
        slug=slug,
        overwrite=overwrite,
        expected_version=expected_version,
        fields={
            "title": title,
            "description": description,
            "event_type": event_type,
            "status": status,
            "date": date,
            "date_precision": date_precision or implied_precision(date),
            "date_end": date_end,
            "date_note": date_note,
            "location": location,
            "country": country_code,
            "latitude": latitude,
            "longitude": longitude,
        },
    )
    if outcome == "kept":
        return event, outcome
    related_changed = _participants_set(event=event, participants=participants)
    related_changed |= citations_set(record=event, citations=citations)
    return event, _finish(event, outcome, related_changed, claimed=expected_version is not None)


@transaction.atomic
def statement_upsert(
    *,
    slug: str,
    speaker: str,
    text: str,
    quote_type: str,
    citations: Sequence[CitationData],
    speaker_role: str = "",
    medium: str = Statement.Medium.UNSPECIFIED,
    date: datetime.date | None = None,
    date_precision: str | None = None,
    date_end: datetime.date | None = None,
    date_note: str = "",
    about: Sequence[str] = (),
    stance: str = "",
    stance_target: str | None = None,
    stance_topic: str = "",
    event: str | None = None,
    overwrite: bool = True,
    expected_version: int | None = None,
) -> tuple[Statement, Outcome]:
    """Create or update a statement. A direct quotation must stand verbatim in one of its excerpts."""
    where = f"statement “{slug}”"
    statement, outcome = _upsert(
        Statement,
        slug=slug,
        overwrite=overwrite,
        expected_version=expected_version,
        fields={
            "speaker": _resolve_one(Actor, speaker, f"speaker of {where}"),
            "speaker_role": speaker_role,
            "text": text,
            "quote_type": quote_type,
            "medium": medium,
            "date": date,
            "date_precision": date_precision or implied_precision(date),
            "date_end": date_end,
            "date_note": date_note,
            "stance": stance,
            "stance_target": _resolve_one(Actor, stance_target, f"stance target of {where}"),
            "stance_topic": stance_topic,
            "event": _resolve_one(Event, event, f"event of {where}"),
        },
    )
    if outcome == "kept":
        return statement, outcome
    if quote_type == Statement.QuoteType.DIRECT and not any(text in c.excerpt for c in citations):
        raise ValidationError({"text": f"The direct quotation of {where} does not stand in any of its excerpts."})
    about_actors = _resolve(Actor, set(about), f"“about” of {where}")
    with quietly(statement):
        related_changed = _m2m_set(statement.about, [about_actors[s] for s in about])
    related_changed |= citations_set(record=statement, citations=citations)
    return statement, _finish(statement, outcome, related_changed, claimed=expected_version is not None)


@transaction.atomic
def pledge_upsert(
    *,
    slug: str,
    title: str,
    category: str,
    pledger: str,
    citations: Sequence[CitationData],
    description: str = "",
    beneficiary: str | None = None,
    quantity: int | None = None,
    quantity_delivered: int | None = None,
    quantity_approximate: bool = False,
    unit: str = "",
    conditions: str = "",
    date: datetime.date | None = None,
    date_precision: str | None = None,
    date_end: datetime.date | None = None,
    date_note: str = "",
    target_date: datetime.date | None = None,
    target_date_precision: str | None = None,
    target_date_end: datetime.date | None = None,
    target_date_note: str = "",
    status: str = Pledge.Status.ANNOUNCED,
    status_date: datetime.date | None = None,
    status_note: str = "",
    event: str | None = None,
    announced_by: str | None = None,
    overwrite: bool = True,
    expected_version: int | None = None,
) -> tuple[Pledge, Outcome]:
    """Create or update a pledge with its citations."""
    where = f"pledge “{slug}”"
    pledge, outcome = _upsert(
        Pledge,
        slug=slug,
        overwrite=overwrite,
        expected_version=expected_version,
        fields={
            "title": title,
            "description": description,
            "category": category,
            "pledger": _resolve_one(Actor, pledger, f"pledger of {where}"),
            "beneficiary": _resolve_one(Actor, beneficiary, f"beneficiary of {where}"),
            "quantity": quantity,
            "quantity_delivered": quantity_delivered,
            "quantity_approximate": quantity_approximate,
            "unit": unit,
            "conditions": conditions,
            "date": date,
            "date_precision": date_precision or implied_precision(date),
            "date_end": date_end,
            "date_note": date_note,
            "target_date": target_date,
            "target_date_precision": target_date_precision or implied_precision(target_date),
            "target_date_end": target_date_end,
            "target_date_note": target_date_note,
            "status": status,
            "status_date": status_date,
            "status_note": status_note,
            "event": _resolve_one(Event, event, f"event of {where}"),
            "announced_by": _resolve_one(Statement, announced_by, f"announcing statement of {where}"),
        },
    )
    if outcome == "kept":
        return pledge, outcome
    related_changed = citations_set(record=pledge, citations=citations)
    if outcome == "created":
        _initial_status(pledge)
    return pledge, _finish(pledge, outcome, related_changed, claimed=expected_version is not None)


_UPSERTS = {
    Source: source_upsert,
    Actor: actor_upsert,
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
    """The new record looks like one that exists; the editor may insist (force) if it really is another."""

    def __init__(self, message: str, *, existing: models.Model) -> None:
        super().__init__(message)
        self.existing = existing


def actor_duplicates(*, name: str, aliases: Sequence[str] = (), exclude: Actor | None = None) -> list[Actor]:
    """Actors whose name or alias equals the given name or any of the aliases, ignoring case."""
    names = {n.strip().lower() for n in (name, *aliases) if n and n.strip()}
    matches = Actor.objects.annotate(name_l=Lower("name")).filter(
        Q(name_l__in=names) | Q(pk__in=ActorAlias.objects.annotate(l=Lower("name")).filter(l__in=names).values("actor"))
    )
    if exclude is not None:
        matches = matches.exclude(pk=exclude.pk)
    return list(matches.order_by("slug"))


@transaction.atomic
def record_create(*, model: type[models.Model], **fields: Any) -> models.Model:
    """Create a record through its upsert service, never updating one that exists under the same slug."""
    record, outcome = _UPSERTS[model](**fields, overwrite=False)
    if outcome == "kept":
        raise AlreadyExists(f"A {model._meta.verbose_name} with slug “{fields['slug']}” already exists.")
    return record


@transaction.atomic
def actor_create(*, force: bool = False, **fields: Any) -> Actor:
    """Create an actor, refusing one whose name or alias is already an existing actor's, unless ``force``."""
    if not force:
        duplicates = actor_duplicates(name=fields["name"], aliases=fields.get("aliases", ()))
        if duplicates:
            existing = duplicates[0]
            raise DuplicateRecord(
                f"“{fields['name']}” matches the name or an alias of existing actor “{existing.slug}” "
                f"({existing.name}). Use that actor, or send force=true if this really is another actor.",
                existing=existing,
            )
    return record_create(model=Actor, **fields)


def pledge_duplicate(
    *, pledger: str, category: str, beneficiary: str | None, quantity: int | None, unit: str, title: str
) -> Pledge | None:
    """An existing pledge recording the same commitment: same pledger, beneficiary, category and quantity (or,
    without a quantity, the same title). Status is deliberately not part of the fingerprint."""
    candidates = Pledge.objects.filter(
        pledger__slug=pledger, category=category, quantity=quantity, unit=unit, beneficiary__slug=beneficiary
    )
    if beneficiary is None:
        candidates = Pledge.objects.filter(
            pledger__slug=pledger, category=category, quantity=quantity, unit=unit, beneficiary__isnull=True
        )
    if quantity is None:
        candidates = candidates.annotate(title_l=Lower("title")).filter(title_l=title.strip().lower())
    return candidates.order_by("slug").first()


@transaction.atomic
def pledge_create(*, force: bool = False, **fields: Any) -> tuple[Pledge, Literal["created", "merged"]]:
    """Create a pledge; if it already exists (another article reporting the same commitment), add the new
    citations to the existing pledge instead of creating a duplicate, unless ``force``."""
    existing = None
    if not force:
        existing = pledge_duplicate(
            pledger=fields["pledger"],
            category=fields["category"],
            beneficiary=fields.get("beneficiary"),
            quantity=fields.get("quantity"),
            unit=fields.get("unit", ""),
            title=fields["title"],
        )
    if existing is None:
        return record_create(model=Pledge, **fields), "created"
    _lock(existing)
    known = {(c.source.slug, c.excerpt) for c in existing.citations.select_related("source")}
    sources = _resolve(Source, {c.source for c in fields["citations"]}, f"citation of {_label(existing)}")
    added = False
    for item in fields["citations"]:
        if (item.source, item.excerpt) not in known:
            _citation_create(record=existing, source=sources[item.source], excerpt=item.excerpt)
            added = True
    _finish(existing, "unchanged", related_changed=added, claimed=False)
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
    _finish(pledge, "updated", related_changed=True, claimed=True)
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
    """Apply ``changes`` (keyword arguments of the record's upsert) to a record its editor saw at
    ``expected_version``; what is not named keeps its current value."""
    return _UPSERTS[type(record)](**{**record_fields(record), **changes}, expected_version=expected_version)


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
        fields = record_fields(row.instance, relations=row.history_relations)
    except models.ObjectDoesNotExist as error:
        raise ValidationError(f"Version {row.version} refers to a record that no longer exists.") from error
    if isinstance(record, Pledge):
        for name in ("status", "status_date", "status_note", "quantity_delivered"):
            fields[name] = getattr(record, name)
    fields["slug"] = record.slug
    return _UPSERTS[type(record)](**fields, expected_version=expected_version)


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
        about = list(record.statements_about.order_by("slug")[:5])
        if about:
            raise DependentRecords(
                f"{_label(record)} is named in the `about` of statement(s) "
                f"{', '.join(s.slug for s in about)}; remove it there first.",
                dependents=about,
            )
    # A pledge's status timeline goes with it: its steps RESTRICT their citations, which the pledge's cascade deletes
    # together with them.
    record.delete()


def record_fields(
    record: Source | Actor | Event | Statement | Pledge, *, relations: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The record as keyword arguments of its upsert service: the base a partial update is applied to. With
    ``relations`` (a history row's snapshot), its relations are those instead of the current ones."""
    fields = {f.name: getattr(record, f.name) for f in record._meta.concrete_fields if f.editable and not f.is_relation}
    fields.pop("id", None)
    for name in ("country",):
        if name in fields:
            fields[f"{name}_code"] = str(fields.pop(name) or "")
    for f in record._meta.concrete_fields:
        if f.is_relation and f.editable:
            related = getattr(record, f.name)
            fields[f.name] = related.slug if related is not None else None
    snapshot = relations_snapshot(record) if relations is None else relations
    if not isinstance(record, Source):
        fields["citations"] = [CitationData(**c) for c in snapshot.get("citations", [])]
    if isinstance(record, Actor):
        fields["aliases"] = list(snapshot.get("aliases", []))
    if isinstance(record, Event):
        fields["participants"] = [ParticipantData(**p) for p in snapshot.get("participants", [])]
    if isinstance(record, Statement):
        fields["about"] = list(snapshot.get("about", []))
    for name in ("created_at", "updated_at", "version", "search_text", "sha256"):
        fields.pop(name, None)
    return fields


# Helpers -----------------------------------------------------------------------------------------------------


def _upsert(
    model: type[models.Model],
    *,
    slug: str,
    fields: Mapping[str, Any],
    overwrite: bool,
    expected_version: int | None = None,
):
    """Create the record, or apply ``fields`` to the existing one, locked, without saving it yet: ``_finish``
    saves it once, with its new version and its history row, after its relations are set."""
    fields = _with_derived_spans(model, slug, fields)
    instance = model.objects.select_for_update().filter(slug=slug).first()
    if instance is None:
        if expected_version is not None:
            raise StaleVersion(f"{model._meta.verbose_name} “{slug}” no longer exists.")
        instance = model(slug=slug, **fields)
        _validate(instance)
        with quietly(instance):
            instance.save()
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
    """Fill in the derived end of each partial date, so that comparing with the stored row is exact."""
    fields = dict(fields)
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


def _validate(instance: models.Model) -> None:
    try:
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
    instance.save()


def _finish(instance: models.Model, outcome: Outcome, related_changed: bool, *, claimed: bool = False) -> Outcome:
    """Complete a change: save the record once with its next version, write that version's one history row (with
    its relations), and refresh its search document. A change that changed nothing writes nothing.

    ``claimed`` is kept for the callers' sake: every path now locks the record before it changes it.
    """
    if outcome == "created":
        write_version(instance, history_type="+", relations=relations_snapshot(instance))
    elif outcome == "updated" or related_changed:
        instance.version += 1
        with quietly(instance):
            instance.save()
        write_version(instance, history_type="~", relations=relations_snapshot(instance))
        outcome = "updated"
    if outcome in ("created", "updated"):
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
    if not isinstance(record, Source):
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
    actors = _resolve(Actor, {p.actor for p in participants}, f"participant of event “{event.slug}”")
    wanted = {(p.actor, p.role) for p in participants}
    existing = {(p.actor.slug, p.role): p for p in event.participants.select_related("actor")}
    changed = False
    for key, participant in existing.items():
        if key not in wanted:
            participant.delete()
            changed = True
    for actor_slug, role in dict.fromkeys((p.actor, p.role) for p in participants):
        if (actor_slug, role) not in existing:
            _validate_and_save(EventParticipant(event=event, actor=actors[actor_slug], role=role))
            changed = True
    return changed


def _m2m_set(manager, objects: Sequence[models.Model]) -> bool:
    if {o.pk for o in manager.all()} == {o.pk for o in objects}:
        return False
    manager.set(objects)
    return True


def _resolve(model: type[models.Model], slugs: set[str], where: str) -> dict[str, Any]:
    found = model.objects.in_bulk(list(slugs), field_name="slug")
    missing = sorted(slugs - found.keys())
    if missing:
        raise ValidationError(f"Unknown {model._meta.verbose_name} slug(s) {', '.join(missing)} ({where}).")
    return found


def _resolve_one(model: type[models.Model], slug: str | models.Model | None, where: str):
    if slug is None or isinstance(slug, model):
        return slug
    return _resolve(model, {slug}, where)[slug]


def _citation_target(record: models.Model) -> str:
    return {Event: "event", Pledge: "pledge", Statement: "statement", Actor: "actor"}[type(record)]


def _label(instance: models.Model) -> str:
    return f"{instance._meta.verbose_name} “{getattr(instance, 'slug', instance)}”"


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
