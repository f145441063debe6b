"""Fixtures and factories shared by the whole suite."""

import datetime

import factory
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from events.models import Actor, ActorAlias, Citation, Event, EventParticipant, Pledge, Source, Statement
from events.services import story_load

ARTICLE = (
    "Ministers met in Brussels on Thursday. “We support the mission,” the minister said. "
    "France stands ready to deploy approximately 100 gendarmes. Hamas rejected disarmament."
)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    publisher = "Example News"
    text = ARTICLE
    date = datetime.date(2025, 11, 20)
    date_precision = "day"


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    slug = factory.Sequence(lambda n: f"actor-{n:04d}")
    name = factory.Sequence(lambda n: f"Actor {n:04d}")
    kind = Actor.Kind.STATE


class ActorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActorAlias

    actor = factory.SubFactory(ActorFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n:04d}")
    title = factory.Sequence(lambda n: f"Event {n:04d}")
    event_type = Event.Type.DIPLOMATIC_MEETING
    date = datetime.date(2025, 11, 20)
    date_precision = "day"


class EventParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventParticipant

    event = factory.SubFactory(EventFactory)
    actor = factory.SubFactory(ActorFactory)
    role = EventParticipant.Role.PARTICIPANT


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    slug = factory.Sequence(lambda n: f"statement-{n:04d}")
    speaker = factory.SubFactory(ActorFactory, kind=Actor.Kind.PERSON)
    text = "We support the mission,"
    quote_type = Statement.QuoteType.DIRECT
    medium = Statement.Medium.VIDEO_STATEMENT
    date = datetime.date(2025, 11, 20)
    date_precision = "day"


class PledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pledge

    slug = factory.Sequence(lambda n: f"pledge-{n:04d}")
    title = factory.Sequence(lambda n: f"Pledge {n:04d}")
    category = Pledge.Category.POLICE_TRAINING
    pledger = factory.SubFactory(ActorFactory)
    date = datetime.date(2025, 11, 20)
    date_precision = "day"


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory, slug="source-article")
    excerpt = "Ministers met in Brussels on Thursday."


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def source(db) -> Source:
    return SourceFactory(slug="source-article")


@pytest.fixture
def story(db) -> dict:
    """The real data set: both articles and every record derived from them."""
    return story_load(seeds_dir=settings.TRACKER_SEEDS_DIR, fixtures_dir=settings.TRACKER_FIXTURES_DIR)
