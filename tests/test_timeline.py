"""The timeline, an actor's timeline and relations, and the deleted-records feed."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.fields import DateTimeField

from conftest import ActorFactory, EventFactory, PledgeFactory, StatementFactory
from events import selectors
from events.models import DeletedRecord, Event, Pledge, Statement

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
            "actor_slugs": ["united-states"],
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
            "actor_slugs": ["turkey"],
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
            "actor_slugs": ["united-states"],
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
        ("type=tweet", {"type": ["“tweet” is not a valid value. Valid values: event, pledge, statement."]}),
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
        cache.clear()  # the count is cached between requests (tests/test_pagination.py); measure it uncached
        with django_assert_num_queries(5):
            response = api_client.get(f"/api/v1/timeline/?page_size={page_size}")
        assert len(response.json()["results"]) == min(page_size, 10)


D = datetime.date
CROWD_DATES = (D(2025, 1, 1), D(2025, 1, 2), D(2025, 1, 3), None)


@pytest.fixture
def crowd(world):
    _crowd()


def _crowd():
    """22 records of each kind on four dates, unknown dates included: the same slug on the same date
    in several kinds (the type decides), and several slugs on one date in one kind (the slug decides)."""
    speaker = ActorFactory(slug="crowd-speaker", name="Crowd speaker", kind="person")
    for number in range(22):
        date = CROWD_DATES[number % len(CROWD_DATES)]
        dated = {"date": date, "date_precision": "day" if date else "unknown"}
        EventFactory(slug=f"crowd-{number:02d}", **dated)
        PledgeFactory(slug=f"crowd-{number:02d}", pledger=speaker, **dated)
        StatementFactory(slug=f"crowd-{(number * 7) % 22:02d}", speaker=speaker, **dated)


KINDS = {"event": Event, "pledge": Pledge, "statement": Statement}


def _expected(types: str | None = None, where: dict[str, Q] | None = None) -> list[tuple[str, str, str | None]]:
    """Every row of the timeline (of each kind, those matching ``where[kind]``), ordered here in Python: date
    (unknown last), then slug, then type."""
    wanted = types.split(",") if types else list(KINDS)
    where = where or {}
    rows = [
        (kind, slug, date)
        for kind in wanted
        for slug, date in KINDS[kind].objects.filter(where.get(kind, Q())).distinct().values_list("slug", "date")
    ]
    rows.sort(key=lambda row: (row[2] is None, row[2] or datetime.date.min, row[1], row[0]))
    return [(kind, slug, date and date.isoformat()) for kind, slug, date in rows]


def _page(api_client, query: str) -> dict:
    response = api_client.get(f"/api/v1/timeline/?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def _link(url: str) -> dict[str, list[str]]:
    assert url.startswith(f"{BASE}/timeline/?")
    return parse_qs(urlsplit(url).query)


def _keys(body: dict) -> list[tuple[str, str, str | None]]:
    return [(item["type"], item["slug"], item["date"]) for item in body["results"]]


@pytest.fixture(params=["pushed", "whole"])
def part_shape(request, monkeypatch):
    """Both ways a page reads each kind: its first rows in order (LIMIT inside each branch of the UNION, on
    PostgreSQL), which the timeline uses for kinds above SMALL_PART_ROWS, and the kind whole."""
    monkeypatch.setattr(selectors, "SMALL_PART_ROWS", 0 if request.param == "pushed" else 10**6)
    return request.param


AFTER = Q(date_end__gte=D(2025, 1, 2))
BY_CROWD = {
    "event": Q(participants__actor__slug="crowd-speaker"),
    "pledge": Q(pledger__slug="crowd-speaker") | Q(beneficiary__slug="crowd-speaker"),
    "statement": Q(speaker__slug="crowd-speaker")
    | Q(about__slug="crowd-speaker")
    | Q(stance_target__slug="crowd-speaker"),
}


@pytest.mark.parametrize(
    ("types", "query", "where"),
    [
        (None, "", None),
        ("event", "", None),
        ("pledge,statement", "", None),
        ("event,statement", "", None),
        ("event,pledge,statement", "", None),
        (None, "&actor=crowd-speaker", BY_CROWD),
        (None, "&date_after=2025-01-02", dict.fromkeys(KINDS, AFTER)),
        ("event", "&date_after=2025-01-02", {"event": AFTER}),
    ],
)
def test_timeline_pages_are_slices_of_the_full_order(api_client, crowd, part_shape, types, query, where):
    """Page 2 and the last page hold exactly the rows at their positions in the whole timeline, ordered by date
    (unknown dates at the end), slug and type, with or without filters; count is the sum of each kind's count."""
    expected = _expected(types, where)
    assert len(expected) >= 14
    assert expected[0][2] is not None
    if "date_after" not in query:
        assert expected[-1][2] is None
    type_query = (f"&type={types}" if types else "") + query
    size = 7
    last = -(-len(expected) // size)

    second = _page(api_client, f"page=2&page_size={size}{type_query}")
    assert second["count"] == len(expected)
    kinds = (types or "event,pledge,statement").split(",")
    assert second["count"] == sum(_page(api_client, f"type={kind}{query}")["count"] for kind in kinds)
    assert _keys(second) == expected[size : 2 * size]
    asked = parse_qs(f"page_size={size}{type_query}")
    assert _link(second["previous"]) == asked
    if last > 2:
        assert _link(second["next"]) == {**asked, "page": ["3"]}

    final = _page(api_client, f"page={last}&page_size={size}{type_query}")
    assert _keys(final) == expected[(last - 1) * size :]
    assert final["next"] is None

    everything = [
        item
        for page in range(1, last + 1)
        for item in _page(api_client, f"page={page}&page_size={size}{type_query}")["results"]
    ]
    assert [(item["type"], item["slug"], item["date"]) for item in everything] == expected
    assert _page(api_client, f"page_size=100{type_query}")["results"] == everything[:100]


def test_timeline_count_adds_up_the_kinds(api_client, crowd):
    """count is the sum of the counts of the kinds asked for, with filters applied to each."""
    for query in ("", "date_after=2025-01-02", "actor=crowd-speaker", "source=source-article"):
        counts = {kind: _page(api_client, f"type={kind}&{query}")["count"] for kind in KINDS}
        assert _page(api_client, query)["count"] == sum(counts.values())
        assert _page(api_client, f"type=pledge,statement&{query}")["count"] == counts["pledge"] + counts["statement"]
    assert _page(api_client, "actor=crowd-speaker")["count"] == 44
    assert _page(api_client, "date_after=2025-01-02&date_before=2025-01-02&type=event")["count"] == 6


@pytest.mark.parametrize(("start", "stop"), [(0, 1), (0, 20), (5, 12), (40, 60), (70, 200), (300, 320), (3, 3)])
def test_timeline_slices_match_the_full_order(crowd, part_shape, start, stop):
    """Any slice of the selector's timeline, counted first (as the Paginator does) or not, is that slice of the
    whole order; iterating it and its iterator() give every row in order."""
    expected = _expected()
    counted = selectors.timeline({})
    assert counted.count() == len(expected) == 76
    uncounted = selectors.timeline({})
    for timeline in (counted, uncounted):
        assert [(kind, slug, date and date.isoformat()) for kind, slug, date, *_ in timeline[start:stop]] == (
            expected[start:stop]
        )
    assert selectors.timeline({})[4][:2] == expected[4][:2]
    with pytest.raises(IndexError):
        selectors.timeline({})[76]
    assert [row[:2] for row in selectors.timeline({})] == [row[:2] for row in expected]
    assert [row[:2] for row in selectors.timeline({}).iterator(chunk_size=10)] == [row[:2] for row in expected]


def test_timeline_page_reads_each_kind_up_to_the_page_end(crowd, part_shape):
    """On PostgreSQL a page is one statement, whose branches each stop at the page's end (unless a kind is small
    enough to read whole); the UNION is never counted."""
    timeline = selectors.timeline({})
    with CaptureQueriesContext(connection) as queries:
        total = timeline.count()
        rows = list(timeline[14:21])
    assert total == 76
    assert len(rows) == 7
    assert len(queries) == 2
    counting, page = (query["sql"] for query in queries.captured_queries)
    assert counting.count("COUNT(*)") == 3
    assert "UNION ALL" in counting
    assert "FROM (" not in counting
    pushed = connection.features.supports_slicing_ordering_in_compound and part_shape == "pushed"
    assert page.count("LIMIT 21") == (3 if pushed else 0)
    assert page.count("LIMIT") == (4 if pushed else 1)


def test_timeline_page_starts_each_filtered_kind_at_its_earliest_match(crowd, part_shape):
    """With a filter, the count also finds each kind's earliest matching date, and the page bounds each kind's walk
    of its date index there; a page still holds the rows it should."""
    params = {"date_after": "2025-01-02"}
    timeline = selectors.timeline(params)
    with CaptureQueriesContext(connection) as queries:
        total = timeline.count()
        rows = [row[:2] for row in timeline[0:7]]
    assert total == len(_expected(where=dict.fromkeys(KINDS, AFTER)))
    assert rows == [row[:2] for row in _expected(where=dict.fromkeys(KINDS, AFTER))[:7]]
    counting, page = (query["sql"] for query in queries.captured_queries)
    assert counting.count("MIN(") == 3
    assert page.count('"date" >= ') == (3 if part_shape == "pushed" else 0)
    assert timeline.counts == {
        "event": (14, 14, D(2025, 1, 2)),
        "pledge": (14, 14, D(2025, 1, 2)),
        "statement": (13, 13, D(2025, 1, 2)),
    }


def test_timeline_page_query_count_does_not_grow_with_the_rows(api_client, world, django_assert_num_queries):
    """A page costs count + page + one query per kind for the actor names, with 10 rows as with 76."""
    with django_assert_num_queries(5):
        assert len(_page(api_client, "page_size=10")["results"]) == 10
    _crowd()
    with django_assert_num_queries(5):
        body = _page(api_client, "page=3&page_size=10")
    assert body["count"] == 76
    assert {item["type"] for item in body["results"]} == set(KINDS)


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
