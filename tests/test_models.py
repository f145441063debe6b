"""Invariants that live in the database: each named constraint fires on both SQLite and PostgreSQL."""

import contextlib
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from conftest import (
    ActorAliasFactory,
    ActorFactory,
    CitationFactory,
    EventFactory,
    EventParticipantFactory,
    PledgeFactory,
    SourceFactory,
    StatementFactory,
)
from events.models import Actor, Citation, Event, EventParticipant, Pledge, Source, Statement

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def _violates(constraint: str, *columns: str):
    """Expect an IntegrityError naming the constraint (SQLite names a table-level unique by its columns)."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        yield
    message = str(error.value)
    assert constraint in message or (columns and all(column in message for column in columns)), message


def test_source_date_span_constraint():
    """An approximate date whose end precedes its start is refused by the database."""
    with _violates("source_date_span"):
        SourceFactory(
            date=datetime.date(2025, 11, 20), date_precision="approximate", date_end=datetime.date(2025, 1, 1)
        )


def test_unknown_date_with_a_date_violates_span_constraint():
    """An unknown date cannot carry a day."""
    event = EventFactory()
    with _violates("event_date_span"):
        Event.objects.filter(pk=event.pk).update(date_precision="unknown")


def test_source_sha256_constraint():
    """A source's digest must be a full SHA-256 hex digest."""
    source = SourceFactory()
    with _violates("source_sha256_is_hex_digest"):
        Source.objects.filter(pk=source.pk).update(sha256="abc")


def test_source_text_constraint():
    """A source cannot have an empty text."""
    with _violates("source_text_not_empty"):
        SourceFactory(text="")


def test_source_slug_unique():
    """Two sources cannot share a slug."""
    SourceFactory(slug="same")
    with _violates("slug", "events_source.slug"):
        Source.objects.create(slug="same", title="Other", text="x", date=datetime.date(2025, 1, 1))


def test_actor_title_only_for_persons():
    """Only a person may have a title."""
    with _violates("actor_title_only_for_persons"):
        ActorFactory(kind=Actor.Kind.STATE, title="Prime Minister")


def test_actor_not_own_parent():
    """An actor cannot be its own parent."""
    actor = ActorFactory()
    with _violates("actor_not_own_parent"):
        Actor.objects.filter(pk=actor.pk).update(parent=actor)


def test_actor_name_not_empty():
    """An actor needs a name."""
    with _violates("actor_name_not_empty"):
        ActorFactory(name="")


def test_actor_alias_unique_case_insensitively():
    """The same alias cannot be given twice to one actor, whatever its case."""
    alias = ActorAliasFactory(name="Washington")
    with _violates("actor_alias_unique_ci"):
        ActorAliasFactory(actor=alias.actor, name="WASHINGTON")


def test_actor_alias_not_empty():
    """An alias cannot be empty."""
    with _violates("actor_alias_not_empty"):
        ActorAliasFactory(name="")


def test_event_participant_unique_role():
    """An actor holds a given role in an event only once."""
    participant = EventParticipantFactory()
    with _violates("event_participant_unique_role", "event_id", "actor_id", "role"):
        EventParticipantFactory(event=participant.event, actor=participant.actor, role=participant.role)


@pytest.mark.parametrize(
    ("event_date", "event_date_end"),
    [
        (datetime.date(2025, 11, 20), datetime.date(2025, 11, 19)),
        (datetime.date(2025, 11, 20), None),
        (None, datetime.date(2025, 11, 20)),
    ],
)
def test_event_participant_date_span(event_date, event_date_end):
    """A participant's copy of its event's dates has both ends, the end no earlier than the start, or neither."""
    participant = EventParticipantFactory()
    with _violates("event_participant_date_span"):
        EventParticipant.objects.filter(pk=participant.pk).update(event_date=event_date, event_date_end=event_date_end)


def _copies(event: Event) -> list[tuple]:
    return list(event.participants.order_by("pk").values_list("event_date", "event_date_end"))


def test_participants_copy_their_event_dates_on_every_save():
    """Saving a participant copies its event's span; saving an event with new dates moves every participant's copy
    (the admin and history reverts save both directly), and an unknown date is copied as unknown."""
    event = EventFactory(date=datetime.date(2025, 9, 1), date_precision="month")
    EventParticipantFactory(event=event)
    EventParticipantFactory(event=event)
    assert _copies(event) == [(datetime.date(2025, 9, 1), datetime.date(2025, 9, 30))] * 2

    event = Event.objects.get(pk=event.pk)
    event.date, event.date_precision, event.date_end = (
        datetime.date(2026, 1, 1),
        "approximate",
        datetime.date(2026, 4, 30),
    )
    event.save()
    assert _copies(event) == [(datetime.date(2026, 1, 1), datetime.date(2026, 4, 30))] * 2

    event.date, event.date_precision, event.date_end = None, "unknown", None
    event.save()
    assert _copies(event) == [(None, None)] * 2


def test_event_save_without_a_date_change_leaves_participants_alone(django_assert_num_queries):
    """Only a change of dates costs an UPDATE of the participants' copies (besides the event's, and its history row
    with the snapshot of its participants and citations that a save outside the services reads: 2 queries, and the
    history row's entry in the change feed: 1)."""
    participant = EventParticipantFactory()
    event = Event.objects.get(pk=participant.event_id)
    event.title = "Renamed"
    with django_assert_num_queries(5):
        event.save()
    event.date = datetime.date(2025, 11, 21)
    with django_assert_num_queries(6):
        event.save()
    assert _copies(event) == [(datetime.date(2025, 11, 21), datetime.date(2025, 11, 21))]


def test_statement_target_needs_stance():
    """A stance target without a stance is refused."""
    with _violates("statement_target_needs_stance"):
        StatementFactory(stance="", stance_target=ActorFactory())


def test_statement_text_not_empty():
    """A statement needs text."""
    with _violates("statement_text_not_empty"):
        StatementFactory(text="")


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"quantity": 100, "unit": ""}, "pledge_quantity_has_unit"),
        ({"quantity": None, "unit": "troops"}, "pledge_quantity_has_unit"),
        ({"quantity": None, "quantity_approximate": True}, "pledge_approximate_needs_quantity"),
    ],
)
def test_pledge_quantity_constraints(fields, constraint):
    """A quantity and its unit go together, and only a quantity can be approximate."""
    with _violates(constraint):
        PledgeFactory(**fields)


def test_pledge_beneficiary_not_pledger():
    """An actor cannot pledge to itself."""
    actor = ActorFactory()
    with _violates("pledge_beneficiary_not_pledger"):
        PledgeFactory(pledger=actor, beneficiary=actor)


def test_pledge_target_date_span():
    """A known target date needs both ends, in order."""
    with _violates("pledge_target_date_span"):
        PledgeFactory(
            target_date=datetime.date(2026, 4, 30),
            target_date_precision="approximate",
            target_date_end=datetime.date(2026, 1, 1),
        )


def test_citation_exactly_one_record():
    """A citation supports exactly one record: neither none nor two."""
    with _violates("citation_exactly_one_record"):
        CitationFactory()
    with _violates("citation_exactly_one_record"):
        CitationFactory(event=EventFactory(), actor=ActorFactory())


def test_citation_excerpt_length():
    """An excerpt cannot be empty."""
    with _violates("citation_excerpt_length"):
        CitationFactory(event=EventFactory(), excerpt="")


@pytest.mark.parametrize("target", ["event", "pledge", "statement", "actor"])
def test_citation_unique_per_record(target):
    """A record cites the same excerpt of the same source only once."""
    factories = {"event": EventFactory, "pledge": PledgeFactory, "statement": StatementFactory, "actor": ActorFactory}
    record = factories[target]()
    CitationFactory(**{target: record})
    with _violates(f"citation_unique_per_{target}", f"{target}_id", "source_id", "excerpt"):
        CitationFactory(**{target: record})


def test_citation_clean_rejects_non_verbatim_excerpt(source):
    """Model validation refuses an excerpt that is not in the source's text, naming the source."""
    citation = Citation(source=source, event=EventFactory(), excerpt="Ministers met in Paris on Thursday.")
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert error.value.message_dict == {
        "excerpt": [
            "This excerpt is not verbatim in source “source-article”. Copy it exactly from the article text, "
            "including quotation marks, apostrophes and dashes.",
            "The article has “Brussels” at character 18 of the excerpt; you sent “Paris”.",
            "The article's version: Ministers met in Brussels on Thursday.",
        ]
    }


def test_constraint_message_reaches_full_clean():
    """Python-side validation reports a constraint's own message, before the database is touched."""
    pledge = PledgeFactory.build(pledger=ActorFactory(), quantity=5, unit="")
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "A quantity needs a unit, and a unit needs a quantity." in str(error.value)


def test_actor_parent_cycle_is_refused():
    """An actor cannot become its own ancestor."""
    state = ActorFactory()
    ministry = ActorFactory(kind=Actor.Kind.GOVERNMENT, parent=state)
    state.parent = ministry
    with pytest.raises(ValidationError) as error:
        state.full_clean()
    assert error.value.message_dict == {"parent": ["This parent would make the actor its own ancestor."]}


def test_derived_date_end_follows_precision():
    """Saving a month-precision date stores the month's last day as its end."""
    event = EventFactory(date=datetime.date(2025, 9, 1), date_precision="month")
    event.refresh_from_db()
    assert event.date_end == datetime.date(2025, 9, 30)


def test_source_digest_is_sha256_of_text():
    """A source's sha256 is computed from its text on save."""
    source = SourceFactory(text="abc")
    assert source.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    "make_dependant",
    [
        lambda actor: StatementFactory(speaker=actor),
        lambda actor: PledgeFactory(pledger=actor),
        lambda actor: EventParticipantFactory(actor=actor),
        lambda actor: ActorFactory(parent=actor),
    ],
)
def test_actor_with_evidence_cannot_be_deleted(make_dependant):
    """Deleting an actor that statements, pledges, events or members depend on is refused."""
    actor = ActorFactory()
    make_dependant(actor)
    with pytest.raises(ProtectedError):
        actor.delete()
    assert Actor.objects.filter(pk=actor.pk).exists()


def test_cited_source_cannot_be_deleted():
    """A source that records cite cannot be deleted."""
    citation = CitationFactory(event=EventFactory())
    with pytest.raises(ProtectedError):
        citation.source.delete()


def test_str_and_ordering():
    """Records print readably, and lists are ordered by date (unknown last), then slug."""
    late = EventFactory(slug="b-late", title="Late", date=datetime.date(2025, 12, 1))
    undated = EventFactory(slug="a-undated", date=None, date_precision="unknown")
    early_b = EventFactory(slug="b-early", date=datetime.date(2025, 1, 1))
    early_a = EventFactory(slug="a-early", date=datetime.date(2025, 1, 1))
    assert list(Event.objects.all()) == [early_a, early_b, late, undated]
    assert str(late) == "Late"
    speaker = ActorFactory(name="Barrot", kind=Actor.Kind.PERSON)
    assert str(StatementFactory(speaker=speaker, text="We support the mission,")) == "Barrot: We support the mission,"
    assert str(PledgeFactory(title="100 gendarmes")) == "100 gendarmes"
    assert str(Pledge.objects.get(title="100 gendarmes")) == "100 gendarmes"
    assert Statement._meta.ordering
    assert Pledge._meta.ordering
    assert Source._meta.ordering
