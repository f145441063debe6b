"""The timeline, an actor's timeline and relations, and the deleted-records feed."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.fields import DateTimeField

from events.models import DeletedRecord, Event, Statement

pytestmark = pytest.mark.django_db

BASE = "http://testserver/api/v1"


def _ts(value: datetime.datetime) -> str:
    return DateTimeField().to_representation(value)


def _summary(slug: str, name: str, kind: str) -> dict:
    return {"slug": slug, "name": name, "kind": kind, "api_url": f"{BASE}/actors/{slug}/"}


def test_timeline_full_body(api_client, world):
    """The timeline interleaves events, pledges and statements by date (unknown last), then slug."""
    response = api_client.get("/api/v1/timeline/?page_size=3")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10
    assert body["next"] == f"{BASE}/timeline/?page=2&page_size=3"
    turkey_troops = world["turkish_troops"]
    september = world["september"]
    us_opposes = world["us_opposes"]
    assert body["results"] == [
        {
            "type": "event",
            "slug": "september-press-conference",
            "date": "2025-09-01",
            "date_precision": "month",
            "date_end": "2025-09-30",
            "title": "Press conference",
            "actors": ["United States"],
            "api_url": f"{BASE}/events/september-press-conference/",
            "updated_at": _ts(september.updated_at),
        },
        {
            "type": "pledge",
            "slug": "turkey-troops",
            "date": "2025-10-01",
            "date_precision": "month",
            "date_end": "2025-10-31",
            "title": "Turkish troops",
            "actors": ["Turkey"],
            "api_url": f"{BASE}/pledges/turkey-troops/",
            "updated_at": _ts(turkey_troops.updated_at),
        },
        {
            "type": "statement",
            "slug": "us-opposes-turkish-troops",
            "date": "2025-11-06",
            "date_precision": "day",
            "date_end": "2025-11-06",
            "title": "United States: No Turkish troops.",
            "actors": ["United States"],
            "api_url": f"{BASE}/statements/us-opposes-turkish-troops/",
            "updated_at": _ts(us_opposes.updated_at),
        },
    ]


def _items(api_client, url: str) -> list[tuple[str, str]]:
    response = api_client.get(url)
    assert response.status_code == 200, response.json()
    return [(item["type"], item["slug"]) for item in response.json()["results"]]


def test_timeline_order_and_filters(api_client, world):
    """The timeline takes the lists' date, actor, type, source and search parameters."""
    assert _items(api_client, "/api/v1/timeline/?page_size=100") == [
        ("event", "september-press-conference"),
        ("pledge", "turkey-troops"),
        ("statement", "us-opposes-turkish-troops"),
        ("pledge", "us-isf-troops"),
        ("statement", "barrot-supports-mission"),
        ("event", "brussels-meeting"),
        ("pledge", "france-100-gendarmes"),
        ("event", "isf-deployment"),
        ("statement", "hamas-rejects-disarmament"),
        ("event", "peace-plan"),
    ]
    assert _items(api_client, "/api/v1/timeline/?actor=france&include_children=true&date_after=2025-11-01") == [
        ("statement", "barrot-supports-mission"),
        ("event", "brussels-meeting"),
        ("pledge", "france-100-gendarmes"),
    ]
    assert _items(api_client, "/api/v1/timeline/?type=statement,pledge&date_before=2025-10-31") == [
        ("pledge", "turkey-troops"),
    ]
    assert _items(api_client, "/api/v1/timeline/?source=other-article") == [
        ("pledge", "turkey-troops"),
        ("event", "isf-deployment"),
        ("statement", "hamas-rejects-disarmament"),
    ]
    assert _items(api_client, "/api/v1/timeline/?search=disarmament") == [("statement", "hamas-rejects-disarmament")]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("type=tweet", {"type": ["Select a valid choice. tweet is not one of the available choices."]}),
        ("date_after=2025-13-01", {"date_after": ["Enter a valid date."]}),
        (
            "actor=atlantis",
            {"actor": ["Unknown actor: atlantis. Use an actor's slug, name or alias (see /api/v1/actors/)."]},
        ),
        ("page_size=0", {"page_size": ["Must be a whole number from 1 to 100."]}),
    ],
)
def test_timeline_invalid_values(api_client, world, query, errors):
    """The timeline's bad values are 400s naming the parameter, as on the lists."""
    response = api_client.get(f"/api/v1/timeline/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"] == errors


def test_timeline_query_count_is_fixed(api_client, world, django_assert_num_queries):
    """count + page + one query per kind for the actor names, whatever the page size."""
    for page_size in (4, 100):
        with django_assert_num_queries(5):
            response = api_client.get(f"/api/v1/timeline/?page_size={page_size}")
        assert len(response.json()["results"]) == min(page_size, 10)


def test_actor_timeline_with_and_without_members(api_client, world):
    """An actor's timeline holds what involves it; include_children adds its members' items."""
    assert _items(api_client, "/api/v1/actors/france/timeline/") == [("pledge", "france-100-gendarmes")]
    assert _items(api_client, "/api/v1/actors/france/timeline/?include_children=true") == [
        ("statement", "barrot-supports-mission"),
        ("event", "brussels-meeting"),
        ("pledge", "france-100-gendarmes"),
    ]
    assert _items(api_client, "/api/v1/actors/turkey/timeline/?type=statement") == [
        ("statement", "us-opposes-turkish-troops")
    ]
    assert api_client.get("/api/v1/actors/atlantis/timeline/").status_code == 404


def test_relations_full_body(api_client, world):
    """Who an actor stands with and against, by which statements, and the pledges that involve it."""
    response = api_client.get("/api/v1/actors/united-states/relations/")
    assert response.status_code == 200
    us = _summary("united-states", "United States", "state")
    assert response.json() == {
        "actor": us,
        "supports": [],
        "opposes": [
            {
                "actor": _summary("turkey", "Turkey", "state"),
                "statements": [
                    {
                        "slug": "us-opposes-turkish-troops",
                        "api_url": f"{BASE}/statements/us-opposes-turkish-troops/",
                        "stance_topic": "",
                        "date": "2025-11-06",
                        "quote_type": "reported",
                    }
                ],
            }
        ],
        "supported_by": [
            {
                "actor": _summary("barrot", "Jean-Noël Barrot", "person"),
                "statements": [
                    {
                        "slug": "barrot-supports-mission",
                        "api_url": f"{BASE}/statements/barrot-supports-mission/",
                        "stance_topic": "",
                        "date": "2025-11-20",
                        "quote_type": "direct",
                    }
                ],
            }
        ],
        "opposed_by": [],
        "pledges_made": [
            {
                "slug": "us-isf-troops",
                "api_url": f"{BASE}/pledges/us-isf-troops/",
                "title": "20,000-strong force",
                "category": "troops",
                "status": "in_progress",
                "pledger": us,
                "beneficiary": _summary("hamas", "Hamas", "armed_group"),
            }
        ],
        "pledges_received": [],
    }


def test_relations_include_members(api_client, world):
    """With include_children, a state's relations include what its ministers said and pledged."""
    plain = api_client.get("/api/v1/actors/france/relations/").json()
    assert plain["supports"] == []
    assert [p["slug"] for p in plain["pledges_made"]] == ["france-100-gendarmes"]
    members = api_client.get("/api/v1/actors/france/relations/?include_children=true").json()
    assert [(g["actor"]["slug"], [s["slug"] for s in g["statements"]]) for g in members["supports"]] == [
        ("united-states", ["barrot-supports-mission"])
    ]
    bad = api_client.get("/api/v1/actors/france/relations/?include_children=perhaps")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"include_children": ["Must be true or false."]}


def test_relations_query_count_is_fixed(api_client, world, django_assert_num_queries):
    """actor + stances given + stances received + pledges; include_children adds one query per level."""
    with django_assert_num_queries(4):
        assert api_client.get("/api/v1/actors/united-states/relations/").status_code == 200
    with django_assert_num_queries(4 + 3):
        assert api_client.get("/api/v1/actors/france/relations/?include_children=true").status_code == 200


def test_who_opposes_turkish_troops(api_client, world):
    """“Who opposes Turkish troops”: statements opposing Turkey, with their speakers."""
    response = api_client.get("/api/v1/statements/?stance=opposes&stance_target=turkey")
    assert [(s["speaker"]["slug"], s["slug"]) for s in response.json()["results"]] == [
        ("united-states", "us-opposes-turkish-troops")
    ]


def test_deleted_records_are_listed(api_client, world):
    """Deleting a record leaves a tombstone with its kind, slug and time, filterable by kind and time."""
    before = timezone.now()
    world["hamas_says"].delete()
    Event.objects.get(slug="peace-plan").delete()
    response = api_client.get("/api/v1/deleted/")
    assert response.status_code == 200
    tombstones = {(r["kind"], r["slug"]) for r in response.json()["results"]}
    # Deleting the statement's citation cascades; only the five resources get tombstones.
    assert tombstones == {("statement", "hamas-rejects-disarmament"), ("event", "peace-plan")}
    assert all(r["deleted_at"] >= _ts(before) for r in response.json()["results"])
    assert [r["slug"] for r in api_client.get("/api/v1/deleted/?kind=event").json()["results"]] == ["peace-plan"]
    assert api_client.get("/api/v1/deleted/?deleted_since=2999-01-01T00:00:00Z").json()["results"] == []
    assert DeletedRecord.objects.count() == 2
    assert not Statement.objects.filter(slug="hamas-rejects-disarmament").exists()
