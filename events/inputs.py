"""What a write says about a record: one frozen dataclass per kind of record, declared once.

The services take these (``event_upsert(data=EventInput(...))``), with references as the records themselves, not
slugs: the API's serializers and the admin's forms have already found them. ``input_for`` builds one from plain
values, finding the records a slug names (one query per reference), for the loader, history snapshots and tests.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models

from .dates import implied_precision
from .models import Actor, Event, Place, Pledge, Source, Statement


@dataclass(frozen=True, kw_only=True)
class CitationData:
    source: Source
    excerpt: str


@dataclass(frozen=True, kw_only=True)
class ParticipantData:
    actor: Actor
    role: str


# The relations a record's input carries beside its own fields: set by the services after the record is saved.
RELATIONS = ("aliases", "citations", "participants", "about", "reported_by")


@dataclass(frozen=True, kw_only=True)
class RecordInput:
    model: ClassVar[type[models.Model]]

    # Empty on a creation that leaves the slug to the services (services.slug_new); a record's slug never changes.
    slug: str = ""

    def model_fields(self) -> dict[str, Any]:
        """The record's own columns as the model names them (``country_code`` is the ``country`` column)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in RELATIONS}
        values.pop("slug")
        for prefix in ("date", "target_date"):
            if f"{prefix}_precision" in values and values[f"{prefix}_precision"] is None:
                values[f"{prefix}_precision"] = implied_precision(values[prefix])
        if "country_code" in values:
            values["country"] = values.pop("country_code")
        return values


@dataclass(frozen=True, kw_only=True)
class DatedInput(RecordInput):
    date: datetime.date | None = None
    # None: implied by the date (a day when there is one, unknown when there is none; see dates.implied_precision).
    date_precision: str | None = None
    date_end: datetime.date | None = None
    date_note: str = ""


@dataclass(frozen=True, kw_only=True)
class SourceInput(DatedInput):
    model = Source

    title: str
    text: str
    publisher: str = ""
    byline: str = ""
    url: str = ""
    seed_file: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActorInput(RecordInput):
    model = Actor

    name: str
    kind: str
    country_code: str = ""
    title: str = ""
    parent: Actor | None = None
    description: str = ""
    aliases: Sequence[str] = ()
    citations: Sequence[CitationData] = ()


@dataclass(frozen=True, kw_only=True)
class PlaceInput(RecordInput):
    model = Place

    name: str
    latitude: float
    longitude: float
    precision: str
    country_code: str = ""
    geonames_id: int | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class EventInput(DatedInput):
    model = Event

    title: str
    event_type: str
    description: str = ""
    status: str = Event.Status.OCCURRED
    location: str = ""
    country_code: str = ""
    place: Place | None = None
    coding_note: str = ""
    participants: Sequence[ParticipantData] = ()
    citations: Sequence[CitationData] = ()


@dataclass(frozen=True, kw_only=True)
class StatementInput(DatedInput):
    model = Statement

    speaker: Actor
    text: str
    quote_type: str
    speaker_role: str = ""
    medium: str = Statement.Medium.UNSPECIFIED
    stance: str = ""
    stance_target: Actor | None = None
    stance_topic: str = ""
    event: Event | None = None
    place: Place | None = None
    coding_note: str = ""
    about: Sequence[Actor] = ()
    reported_by: Sequence[Actor] = ()
    citations: Sequence[CitationData] = ()


@dataclass(frozen=True, kw_only=True)
class PledgeInput(DatedInput):
    model = Pledge

    title: str
    category: str
    pledger: Actor
    description: str = ""
    beneficiary: Actor | None = None
    quantity: int | None = None
    quantity_delivered: int | None = None
    quantity_approximate: bool = False
    unit: str = ""
    conditions: str = ""
    target_date: datetime.date | None = None
    target_date_precision: str | None = None
    target_date_end: datetime.date | None = None
    target_date_note: str = ""
    status: str = Pledge.Status.ANNOUNCED
    status_date: datetime.date | None = None
    status_note: str = ""
    event: Event | None = None
    place: Place | None = None
    announced_by: Statement | None = None
    coding_note: str = ""
    citations: Sequence[CitationData] = ()


INPUTS: dict[type[models.Model], type[RecordInput]] = {
    cls.model: cls for cls in (SourceInput, ActorInput, PlaceInput, EventInput, StatementInput, PledgeInput)
}


def input_for(model: type[models.Model], **values: Any) -> RecordInput:
    """The input of a ``model`` record from plain values: references may be slugs (or the records), citations and
    participants dicts. An unknown field or slug is a ValidationError that names it."""
    cls = INPUTS[model]
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    where = f"{model._meta.verbose_name} “{values.get('slug')}”"
    if unknown:
        raise ValidationError(f"{where}: unknown field(s) {', '.join(unknown)}.")
    resolved = {name: _resolved(hints[name], value, f"{name} of {where}") for name, value in values.items()}
    try:
        return cls(**resolved)
    except TypeError as error:
        raise ValidationError(f"{where}: {error}") from error


def _resolved(hint: Any, value: Any, where: str) -> Any:
    if value is None:
        return None
    referenced = _model_in(hint)
    if referenced is not None:
        return _record(referenced, value, where)
    origin = typing.get_origin(hint)
    if origin is not None and issubclass(origin, Sequence) and not isinstance(value, str):
        (item,) = typing.get_args(hint)
        return tuple(_resolved(item, v, where) for v in value)
    if hint is CitationData:
        value = _as_dict(value, ("source", "excerpt"))
        return CitationData(source=_record(Source, value["source"], where), excerpt=value["excerpt"])
    if hint is ParticipantData:
        value = _as_dict(value, ("actor", "role"))
        return ParticipantData(actor=_record(Actor, value["actor"], where), role=value["role"])
    return value


def _model_in(hint: Any) -> type[models.Model] | None:
    """The model a reference hint names: ``Actor`` or ``Actor | None``."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return next((o for o in options if isinstance(o, type) and issubclass(o, models.Model)), None)


def _record(model: type[models.Model], value: Any, where: str) -> models.Model:
    if isinstance(value, model):
        return value
    found = model.objects.filter(slug=value).first()
    if found is None:
        raise ValidationError(f"Unknown {model._meta.verbose_name} slug {value} ({where}).")
    return found


def _as_dict(value: Any, names: tuple[str, ...]) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {name: getattr(value, name) for name in names}
