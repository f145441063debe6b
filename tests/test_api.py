"""The read API: response bodies, pagination, errors and a fixed number of queries per list."""

import datetime

import pytest
from django.core.cache import cache
from rest_framework.fields import DateTimeField

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
from events.models import Actor
from tests.errors import error_fields

pytestmark = pytest.mark.django_db

BASE = "http://testserver/api/v1"


def _ts(value: datetime.datetime) -> str:
    return DateTimeField().to_representation(value)


def _summary(actor: Actor) -> dict:
    return {"slug": actor.slug, "name": actor.name, "kind": actor.kind, "api_url": f"{BASE}/actors/{actor.slug}/"}


@pytest.fixture
def graph(source):
    """A small connected graph: France and its minister, a meeting, a statement made there, and its pledge."""
    france = ActorFactory(slug="france", name="France", kind="state", country="FR")
    ActorAliasFactory(actor=france, name="Paris")
    minister = ActorFactory(
        slug="barrot", name="Jean-Noël Barrot", kind="person", country="FR", title="Foreign minister", parent=france
    )
    hamas = ActorFactory(slug="hamas", name="Hamas", kind="armed_group")
    meeting = EventFactory(
        slug="brussels-meeting",
        title="Brussels meeting",
        event_type="diplomatic_meeting",
        date=datetime.date(2025, 11, 20),
        date_note="'Thursday' is 20 Nov 2025.",
        location="Brussels",
        country="BE",
    )
    EventParticipantFactory(event=meeting, actor=minister, role="participant")
    CitationFactory(event=meeting, source=source, excerpt="Ministers met in Brussels on Thursday.")
    statement = StatementFactory(
        slug="barrot-supports-mission",
        speaker=minister,
        speaker_role="the minister",
        text="We support the mission,",
        quote_type="direct",
        medium="video_statement",
        stance="opposes",
        stance_target=hamas,
        stance_topic="disarmament",
        event=meeting,
    )
    statement.about.set([hamas, france])
    later = SourceFactory(slug="later-article", date=datetime.date(2025, 11, 25))
    CitationFactory(statement=statement, source=later, excerpt="“We support the mission,” the minister said.")
    CitationFactory(statement=statement, source=source, excerpt="“We support the mission,” the minister said.")
    pledge = PledgeFactory(
        slug="france-100-gendarmes",
        title="France to deploy about 100 gendarmes",
        category="police_training",
        pledger=france,
        quantity=100,
        quantity_approximate=True,
        unit="gendarmes",
        event=meeting,
        announced_by=statement,
        target_date=datetime.date(2026, 1, 1),
        target_date_precision="approximate",
        target_date_end=datetime.date(2026, 4, 30),
    )
    CitationFactory(pledge=pledge, source=source, excerpt="France stands ready to deploy approximately 100 gendarmes.")
    return {
        "france": france,
        "minister": minister,
        "hamas": hamas,
        "meeting": meeting,
        "statement": statement,
        "pledge": pledge,
    }


def test_statement_detail_full_body(api_client, graph):
    """A statement carries its speaker, targets, links both ways, citations and first appearance."""
    statement = graph["statement"]
    response = api_client.get("/api/v1/statements/barrot-supports-mission/")
    assert response.status_code == 200
    assert response.json() == {
        "slug": "barrot-supports-mission",
        "api_url": f"{BASE}/statements/barrot-supports-mission/",
        "speaker": _summary(graph["minister"]),
        "speaker_role": "the minister",
        "text": "We support the mission,",
        "quote_type": "direct",
        "medium": "video_statement",
        "date": "2025-11-20",
        "date_precision": "day",
        "date_end": "2025-11-20",
        "date_note": "",
        "about": [_summary(graph["france"]), _summary(graph["hamas"])],
        "stance": "opposes",
        "stance_target": _summary(graph["hamas"]),
        "stance_topic": "disarmament",
        "event": "brussels-meeting",
        "place": None,
        "effective_place": None,
        "announced_pledges": ["france-100-gendarmes"],
        "reported_by": [],
        "coding_note": "",
        "citations": [
            {"source": "later-article", "excerpt": "“We support the mission,” the minister said."},
            {"source": "source-article", "excerpt": "“We support the mission,” the minister said."},
        ],
        "first_appearance": {"source": "source-article", "excerpt": "“We support the mission,” the minister said."},
        "version": 1,
        "created_at": _ts(statement.created_at),
        "updated_at": _ts(statement.updated_at),
    }


def test_event_detail_full_body(api_client, graph):
    """An event names its participants and links back to its statements and pledges."""
    meeting = graph["meeting"]
    response = api_client.get("/api/v1/events/brussels-meeting/")
    assert response.status_code == 200
    assert response.json() == {
        "slug": "brussels-meeting",
        "api_url": f"{BASE}/events/brussels-meeting/",
        "title": "Brussels meeting",
        "description": "",
        "event_type": "diplomatic_meeting",
        "status": "occurred",
        "date": "2025-11-20",
        "date_precision": "day",
        "date_end": "2025-11-20",
        "date_note": "'Thursday' is 20 Nov 2025.",
        "location": "Brussels",
        "country": "BE",
        "place": None,
        "participants": [{"actor": _summary(graph["minister"]), "role": "participant"}],
        "statements": ["barrot-supports-mission"],
        "pledges": ["france-100-gendarmes"],
        "coding_note": "",
        "citations": [{"source": "source-article", "excerpt": "Ministers met in Brussels on Thursday."}],
        "version": 1,
        "created_at": _ts(meeting.created_at),
        "updated_at": _ts(meeting.updated_at),
    }


def test_pledge_detail_full_body(api_client, graph, monkeypatch):
    """A pledge carries its structured quantity, target date, status and evidence; and whether it is overdue, on a
    clock stopped within its target date's span (early 2026), so not yet."""
    from events import dates

    monkeypatch.setattr(dates, "today_utc", lambda: datetime.date(2026, 3, 1))
    pledge = graph["pledge"]
    response = api_client.get("/api/v1/pledges/france-100-gendarmes/")
    assert response.status_code == 200
    assert response.json() == {
        "slug": "france-100-gendarmes",
        "api_url": f"{BASE}/pledges/france-100-gendarmes/",
        "title": "France to deploy about 100 gendarmes",
        "description": "",
        "category": "police_training",
        "pledger": _summary(graph["france"]),
        "beneficiary": None,
        "quantity": 100,
        "quantity_delivered": None,
        "quantity_approximate": True,
        "unit": "gendarmes",
        "conditions": "",
        "date": "2025-11-20",
        "date_precision": "day",
        "date_end": "2025-11-20",
        "date_note": "",
        "target_date": "2026-01-01",
        "target_date_precision": "approximate",
        "target_date_end": "2026-04-30",
        "target_date_note": "",
        "status": "announced",
        "status_date": None,
        "status_note": "",
        "overdue": False,
        "status_history": [],
        "event": "brussels-meeting",
        "place": None,
        "effective_place": None,
        "announced_by": "barrot-supports-mission",
        "coding_note": "",
        "citations": [
            {"source": "source-article", "excerpt": "France stands ready to deploy approximately 100 gendarmes."}
        ],
        "version": 1,
        "created_at": _ts(pledge.created_at),
        "updated_at": _ts(pledge.updated_at),
    }


def test_actor_detail_full_body(api_client, graph):
    """An actor lists its aliases, parent and children."""
    france = graph["france"]
    response = api_client.get("/api/v1/actors/france/")
    assert response.status_code == 200
    assert response.json() == {
        "slug": "france",
        "api_url": f"{BASE}/actors/france/",
        "name": "France",
        "kind": "state",
        "aliases": ["Paris"],
        "country": "FR",
        "title": "",
        "parent": None,
        "children": [_summary(graph["minister"])],
        "description": "",
        "citations": [],
        "version": 1,
        "created_at": _ts(france.created_at),
        "updated_at": _ts(france.updated_at),
    }
    assert api_client.get("/api/v1/actors/barrot/").json()["parent"] == _summary(france)


def test_source_list_omits_text_and_detail_includes_it(api_client, source):
    """Lists stay light; the detail carries the full text and its digest."""
    listed = api_client.get("/api/v1/sources/").json()["results"][0]
    assert "text" not in listed
    detail = api_client.get("/api/v1/sources/source-article/").json()
    assert detail["text"] == source.text
    assert detail["sha256"] == source.sha256
    assert set(detail) == {*listed, "text"}


def test_list_pages_with_next_link(api_client, db):
    """Lists are paginated with count, next and previous, in date-then-slug order; in that default order the
    links carry cursors (tests/test_pagination.py covers them), and page numbers still work."""
    for n in range(3):
        EventFactory(slug=f"event-{n}", date=datetime.date(2025, 11, 3 - n))
    page = api_client.get("/api/v1/events/?page_size=2").json()
    assert page["count"] == 3
    assert [e["slug"] for e in page["results"]] == ["event-2", "event-1"]
    assert page["next"].startswith(f"{BASE}/events/?cursor=")
    assert page["next"].endswith("&page_size=2")
    assert page["previous"] is None
    last = api_client.get(page["next"]).json()
    assert last["count"] == 3
    assert [e["slug"] for e in last["results"]] == ["event-0"]
    assert last["next"] is None
    assert [e["slug"] for e in api_client.get(last["previous"]).json()["results"]] == ["event-2", "event-1"]
    numbered = api_client.get("/api/v1/events/?page_size=2&page=2").json()
    assert numbered["results"] == last["results"]
    assert numbered["next"] is None


@pytest.mark.parametrize("value", ["0", "101", "-1", "abc", "1e3", str(10**30)])
def test_page_size_out_of_range_is_a_clear_400(api_client, db, value):
    """A page_size outside 1..100 is refused, naming the parameter and the limit."""
    response = api_client.get(f"/api/v1/events/?page_size={value}")
    assert error_fields(response, 400) == {
        "status": 400,
        "code": "invalid",
        "detail": "The request has invalid values; see errors.",
        "errors": {"page_size": ["Must be a whole number from 1 to 100."]},
    }


def test_invalid_page_is_a_json_404(api_client, db):
    """A page past the end answers 404 in the API's error format."""
    response = api_client.get("/api/v1/events/?page=9")
    assert response.status_code == 404
    assert error_fields(response, 404) == {"status": 404, "code": "not_found", "detail": "Invalid page.", "errors": {}}


def test_unknown_slug_is_a_json_404(api_client, db):
    """An unknown slug answers 404 in the API's error format."""
    response = api_client.get("/api/v1/actors/atlantis/")
    assert response.status_code == 404
    assert error_fields(response, 404) == {
        "status": 404,
        "code": "not_found",
        "detail": "No Actor matches the given query.",
        "errors": {},
    }


def test_unknown_api_path_is_a_json_404(api_client, db):
    """A path outside the router answers 404 as JSON, not an HTML page."""
    response = api_client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert error_fields(response, 404) == {
        "status": 404,
        "code": "not_found",
        "detail": "No resource at /api/v1/nothing-here/.",
        "errors": {},
    }


def _populate(n: int, source) -> None:
    parent = ActorFactory()
    for _ in range(n):
        actor = ActorFactory(parent=parent)
        ActorAliasFactory(actor=actor)
        CitationFactory(actor=actor, source=source)
        event = EventFactory()
        EventParticipantFactory(event=event, actor=actor)
        EventParticipantFactory(event=event)
        CitationFactory(event=event, source=source)
        statement = StatementFactory(speaker=actor, event=event, stance="supports", stance_target=parent)
        statement.about.set([parent, actor])
        CitationFactory(statement=statement, source=source)
        pledge = PledgeFactory(pledger=actor, beneficiary=parent, event=event, announced_by=statement)
        CitationFactory(pledge=pledge, source=source)
        EventFactory().delete()  # a tombstone for /deleted/


@pytest.mark.parametrize(
    ("resource", "queries"),
    [
        # count + page
        ("sources", 2),
        # count + page (with parent) + aliases + children + citations
        ("actors", 5),
        # count + page + participants (with actor) + statements + pledges + citations
        ("events", 6),
        # count + page (with speaker, target, event) + about + reported_by + announced pledges + citations
        ("statements", 6),
        # count + page (with pledger, beneficiary, event, statement) + citations + status history
        ("pledges", 4),
        # count + page
        ("deleted", 2),
    ],
)
def test_list_query_count_is_fixed(api_client, source, django_assert_num_queries, resource, queries):
    """Each list runs the same number of queries whether a page holds one record or fifty."""
    _populate(12, source)
    for page_size in (1, 50):
        cache.clear()  # the count is cached between requests (tests/test_pagination.py); measure it uncached
        with django_assert_num_queries(queries):
            response = api_client.get(f"/api/v1/{resource}/?page_size={page_size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(page_size, response.json()["count"])


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # record (with speaker, target, event) + about + reported_by + announced pledges + citations
        ("/api/v1/statements/barrot-supports-mission/", 5),
        # record + participants + statements + pledges + citations
        ("/api/v1/events/brussels-meeting/", 5),
        # record (with pledger, beneficiary, event, statement) + citations + status history
        ("/api/v1/pledges/france-100-gendarmes/", 3),
    ],
)
def test_detail_loads_the_record_once(api_client, graph, django_assert_num_queries, url, queries):
    """A detail GET runs its prefetching queryset once, not a second time to build the response."""
    with django_assert_num_queries(queries):
        assert api_client.get(url).status_code == 200
