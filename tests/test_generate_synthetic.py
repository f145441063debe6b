"""manage.py generate_synthetic: deterministic, realistic, verbatim, and never mixed into the real data set."""

import datetime
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

from events.dates import resolve_span
from events.models import (
    Actor,
    ActorAlias,
    Citation,
    DeletedRecord,
    Event,
    EventParticipant,
    Pledge,
    PledgeStatusChange,
    Source,
    Statement,
)
from events.services import search_text_refresh

PREFIX = "syn-"
BASE_TIME = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
StatementAbout = Statement.about.through
MODELS = (Source, Actor, ActorAlias, Event, EventParticipant, Statement, StatementAbout, Pledge, Citation)


def generate(*args: str) -> None:
    call_command("generate_synthetic", "--no-progress", *args)


def dump() -> dict[str, list[tuple]]:
    """Every synthetic row, without primary keys, with references as slugs: comparable across databases."""
    rows = {}
    for model in (*MODELS, PledgeStatusChange):
        names = []
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            if field.is_relation:
                related = field.related_model
                key = "slug" if any(f.name == "slug" for f in related._meta.fields) else "excerpt"
                names.append(f"{field.name}__{key}")
            else:
                names.append(field.name)
        rows[model._meta.label] = sorted(model.objects.values_list(*names), key=repr)
    return rows


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows():
    generate("--events", "40", "--actors", "80", "--seed", "3")
    first = dump()
    generate("--events", "40", "--actors", "80", "--seed", "3", "--clear")
    assert dump() == first
    generate("--events", "40", "--actors", "80", "--seed", "4", "--clear")
    assert dump() != first


@pytest.mark.django_db
def test_proportions_on_a_small_run():
    generate("--events", "200", "--seed", "5")

    assert Event.objects.count() == 200
    assert Actor.objects.count() == 10_000
    assert Statement.objects.count() == 400
    assert Pledge.objects.count() == 200
    assert Source.objects.count() == 20
    participants = EventParticipant.objects.count() / 200
    assert 2.5 <= participants <= 3.5
    assert ActorAlias.objects.count() > 500
    # Parents down to three levels: a state, its ministry, a minister.
    grandchildren = Actor.objects.filter(parent__parent__isnull=False, parent__parent__parent__isnull=True)
    assert grandchildren.exists()
    assert not Actor.objects.filter(parent__parent__parent__isnull=False).exists()
    assert set(Actor.objects.values_list("kind", flat=True)) == set(Actor.Kind.values)

    # Ten years of dates, mixed precisions, several kinds of event, statuses and categories.
    dates = Event.objects.filter(date__isnull=False).aggregate(low=models.Min("date"), high=models.Max("date"))
    assert (dates["high"] - dates["low"]).days > 365 * 8
    precisions = Counter(Event.objects.values_list("date_precision", flat=True))
    assert {"day", "month", "week", "year", "approximate", "unknown"} <= set(precisions)
    assert precisions["day"] > precisions["month"] > precisions["unknown"]
    assert len(set(Event.objects.values_list("event_type", flat=True))) >= 10
    assert set(Event.objects.values_list("status", flat=True)) <= set(Event.Status.values)
    assert len(set(Pledge.objects.values_list("status", flat=True))) >= 5
    assert len(set(Pledge.objects.values_list("category", flat=True))) >= 8
    assert set(Statement.objects.values_list("quote_type", flat=True)) == {"direct", "reported"}

    # Every event, pledge and statement has evidence; citations come to about two per record at least.
    for model in (Event, Pledge, Statement):
        assert not model.objects.filter(citations__isnull=True).exists()
    assert Citation.objects.count() >= 800


@pytest.mark.django_db
def test_records_are_filled_as_the_services_would():
    generate("--events", "60", "--actors", "120", "--seed", "6")

    for model in (Source, Actor, Event, Statement, Pledge):
        for record in model.objects.all():
            # search_text_refresh() returns whether it had to change the document: it must not.
            assert not search_text_refresh(record=record), f"{model.__name__} {record.slug}"
            assert record.version == 1
            assert record.created_at >= BASE_TIME
            assert record.updated_at >= record.created_at
            if model is not Actor:
                assert record.date_end == resolve_span(
                    record.date,
                    record.date_precision,
                    record.date_end if record.date_precision == "approximate" else None,
                )
            record.full_clean()
    for source in Source.objects.all():
        assert source.sha256 == Source.digest(source.text)
        assert source.seed_file is None
    for pledge in Pledge.objects.exclude(target_date_precision="unknown"):
        assert pledge.target_date_end >= pledge.target_date


@pytest.mark.django_db
def test_participants_carry_their_events_dates():
    """Each synthetic participant row holds its event's date span, as EventParticipant.save() would copy it,
    unknown dates included; and the event filter finds an actor's events in a period through them."""
    generate("--events", "80", "--actors", "100", "--seed", "9")

    rows = list(EventParticipant.objects.values_list("event_date", "event_date_end", "event__date", "event__date_end"))
    assert len(rows) >= 160
    assert [row for row in rows if row[:2] != row[2:]] == []
    assert any(row[0] is None for row in rows)
    assert any(row[0] is not None and row[0] != row[1] for row in rows)
    for participant in EventParticipant.objects.select_related("event")[:50]:
        participant.full_clean()


@pytest.mark.django_db
def test_every_citation_is_verbatim():
    generate("--events", "120", "--actors", "150", "--seed", "7")

    citations = list(Citation.objects.select_related("source"))
    assert citations
    for citation in citations:
        assert citation.excerpt in citation.source.text
        assert 1 <= len(citation.excerpt) <= 1000
    for statement in Statement.objects.filter(quote_type="direct").prefetch_related("citations"):
        assert any(statement.text in c.excerpt for c in statement.citations.all()), statement.slug
    for change in PledgeStatusChange.objects.select_related("citation"):
        assert change.citation.pledge_id == change.pledge_id


@pytest.mark.django_db
def test_cached_counts_do_not_outlive_a_load_or_a_clear(api_client):
    """COPY and plain-SQL deletes send no signal; the command advances the data generation itself, so a count
    cached before it is not served after it."""
    assert api_client.get("/api/v1/events/").json()["count"] == 0
    generate("--events", "12", "--actors", "40", "--seed", "5")
    assert api_client.get("/api/v1/events/").json()["count"] == 12
    generate("--clear")
    assert api_client.get("/api/v1/events/").json()["count"] == 0


@pytest.mark.django_db
def test_the_api_serves_synthetic_data(api_client):
    generate("--events", "30", "--actors", "60", "--seed", "8")

    listing = api_client.get("/api/v1/events/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 30
    first = listing.json()["results"][0]
    assert first["participants"]
    assert first["citations"]
    assert api_client.get(first["api_url"]).status_code == 200
    word = max(first["title"].split(), key=len)
    assert api_client.get("/api/v1/events/", {"search": word}).json()["count"] >= 1


@pytest.mark.django_db
def test_refuses_a_database_with_the_article_fixtures(story):
    real_events = Event.objects.count()
    with pytest.raises(CommandError, match="--force"):
        generate("--events", "10", "--actors", "40")
    assert not Event.objects.filter(slug__startswith=PREFIX).exists()
    assert not Actor.objects.filter(slug__startswith=PREFIX).exists()

    generate("--events", "10", "--actors", "40", "--force")
    assert Event.objects.filter(slug__startswith=PREFIX).count() == 10
    assert Event.objects.exclude(slug__startswith=PREFIX).count() == real_events


@pytest.mark.django_db
def test_refuses_the_real_source_slugs_even_without_seed_file(source):
    source.slug = "isf-deploy-very-soon-trump"
    source.save()
    with pytest.raises(CommandError, match="real article fixtures"):
        generate("--events", "5", "--actors", "40")


@pytest.mark.django_db
def test_clear_deletes_only_synthetic_rows(story):
    before = {model: model.objects.count() for model in MODELS}
    generate("--events", "15", "--actors", "40", "--force")
    with pytest.raises(CommandError, match="--clear"):
        generate("--events", "15", "--actors", "40", "--force")

    generate("--clear")
    assert {model: model.objects.count() for model in MODELS} == before
    assert not DeletedRecord.objects.filter(slug__startswith=PREFIX).exists()


@pytest.mark.django_db
def test_needs_a_number_of_events():
    with pytest.raises(CommandError, match="--events"):
        generate()
