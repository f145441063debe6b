"""Fixtures and factories shared by the whole suite."""

import datetime

import factory
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from events.loading import story_load
from events.models import Actor, ActorAlias, Citation, Event, EventParticipant, Pledge, Source, Statement
from events.services import actor_name_keys_sync, search_text_refresh

D = datetime.date

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

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # Factories save models directly; keep the name keys as the services would, so that dedupe sees them.
        if create:
            actor_name_keys_sync(actor=instance)


class ActorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActorAlias

    actor = factory.SubFactory(ActorFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            actor_name_keys_sync(actor=instance.actor)


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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: a rolled-back test's writes never advance the data generation back,
    so its cached counts (and throttle counters) must not reach the next test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def editor(db) -> APIClient:
    """A client signed in by token as a member of the editors group."""
    from django.contrib.auth.models import Group, User

    from tests.tokens import token_for

    user = User.objects.create_user("editor", password="pw-editor-1")
    user.groups.add(Group.objects.get(name="editors"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def source(db) -> Source:
    return SourceFactory(slug="source-article")


@pytest.fixture
def world(source):
    """France with a ministry and its minister, the US, Turkey and Hamas; events across partial dates; statements
    and pledges between them; two sources."""
    france = ActorFactory(slug="france", name="France", kind="state", country="FR")
    ministry = ActorFactory(
        slug="french-foreign-ministry", name="French foreign ministry", kind="government", country="FR", parent=france
    )
    barrot = ActorFactory(slug="barrot", name="Jean-Noël Barrot", kind="person", country="FR", parent=ministry)
    us = ActorFactory(slug="united-states", name="United States", kind="state", country="US")
    ActorAliasFactory(actor=us, name="Washington")
    turkey = ActorFactory(slug="turkey", name="Turkey", kind="state", country="TR")
    ActorAliasFactory(actor=turkey, name="Ankara")
    hamas = ActorFactory(slug="hamas", name="Hamas", kind="armed_group")
    other = SourceFactory(slug="other-article", text="Hamas rejected disarmament. Troops will deploy.")

    september = EventFactory(
        slug="september-press-conference",
        title="Press conference",
        event_type="press_conference",
        date=D(2025, 9, 1),
        date_precision="month",
    )
    EventParticipantFactory(event=september, actor=us, role="host")
    meeting = EventFactory(
        slug="brussels-meeting",
        title="Brussels meeting",
        event_type="diplomatic_meeting",
        date=D(2025, 11, 20),
        country="BE",
    )
    EventParticipantFactory(event=meeting, actor=barrot, role="participant")
    EventParticipantFactory(event=meeting, actor=us, role="participant")
    deployment = EventFactory(
        slug="isf-deployment",
        title="ISF deployment",
        event_type="deployment",
        status="scheduled",
        date=D(2026, 1, 1),
        date_precision="approximate",
        date_end=D(2026, 4, 30),
    )
    EventParticipantFactory(event=deployment, actor=us, role="initiator")
    plan = EventFactory(
        slug="peace-plan", title="Peace plan", event_type="agreement", date=None, date_precision="unknown"
    )
    for event in (september, meeting, deployment, plan):
        CitationFactory(event=event, source=source)
    CitationFactory(event=deployment, source=other, excerpt="Troops will deploy.")

    barrot_says = StatementFactory(
        slug="barrot-supports-mission",
        speaker=barrot,
        stance="supports",
        stance_target=us,
        event=meeting,
        quote_type="direct",
        medium="video_statement",
    )
    us_opposes = StatementFactory(
        slug="us-opposes-turkish-troops",
        speaker=us,
        text="No Turkish troops.",
        quote_type="reported",
        medium="unspecified",
        stance="opposes",
        stance_target=turkey,
        date=D(2025, 11, 6),
    )
    hamas_says = StatementFactory(
        slug="hamas-rejects-disarmament",
        speaker=hamas,
        text="No disarmament.",
        quote_type="reported",
        medium="news_report",
        stance="opposes",
        date=None,
        date_precision="unknown",
    )
    hamas_says.about.set([hamas])
    CitationFactory(statement=barrot_says, source=source, excerpt="“We support the mission,” the minister said.")
    CitationFactory(statement=us_opposes, source=source)
    CitationFactory(statement=hamas_says, source=other, excerpt="Hamas rejected disarmament.")

    gendarmes = PledgeFactory(
        slug="france-100-gendarmes",
        title="100 gendarmes",
        pledger=france,
        quantity=100,
        unit="gendarmes",
        quantity_approximate=True,
        category="police_training",
        event=meeting,
        announced_by=barrot_says,
        target_date=D(2026, 1, 1),
        target_date_precision="month",
    )
    turkish_troops = PledgeFactory(
        slug="turkey-troops",
        title="Turkish troops",
        pledger=turkey,
        category="troops",
        status="rejected",
        date=D(2025, 10, 1),
        date_precision="month",
    )
    isf = PledgeFactory(
        slug="us-isf-troops",
        title="20,000-strong force",
        pledger=us,
        beneficiary=hamas,
        quantity=20000,
        unit="troops",
        category="troops",
        status="in_progress",
        date=D(2025, 11, 7),
    )
    CitationFactory(
        pledge=gendarmes, source=source, excerpt="France stands ready to deploy approximately 100 gendarmes."
    )
    CitationFactory(pledge=turkish_troops, source=other, excerpt="Troops will deploy.")
    CitationFactory(pledge=isf, source=source)
    for record in (
        france,
        us,
        turkey,
        hamas,
        september,
        meeting,
        deployment,
        plan,
        barrot_says,
        us_opposes,
        hamas_says,
        gendarmes,
        turkish_troops,
        isf,
    ):
        search_text_refresh(record=record)
    return locals()


@pytest.fixture
def story(db) -> dict:
    """The real data set: both articles and every record derived from them."""
    return story_load(seeds_dir=settings.TRACKER_SEEDS_DIR, fixtures_dir=settings.TRACKER_FIXTURES_DIR)
