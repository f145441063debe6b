"""Pagination: cursor links that walk a list in its default order, page numbers, and the cached count."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ActorFactory, EventFactory
from events.api.pagination import TrackerPagination
from events.models import Actor, DeletedRecord, Event
from tests.errors import error_fields

BASE = "http://testserver/api/v1"


def _events(n_dated: int = 9, n_undated: int = 3) -> list[str]:
    """Events in three-way date ties and a few with unknown dates; their slugs in the list's order."""
    for n in range(n_dated):
        EventFactory(slug=f"dated-{n:02d}", date=datetime.date(2025, 11, 1 + n % 3))
    for n in range(n_undated):
        EventFactory(slug=f"undated-{n:02d}", date=None, date_precision="unknown")
    return list(Event.objects.values_list("slug", flat=True))


def _walk(api_client, url: str, link: str = "next") -> tuple[list[list[str]], list[dict]]:
    pages, bodies = [], []
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append([record["slug"] for record in body["results"]])
        bodies.append(body)
        url = body[link]
        assert len(pages) < 100
    return pages, bodies


@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 12, 20])
def test_next_links_walk_every_record_once_in_order(api_client, db, page_size):
    """Following `next` from the first page gives every event once, in date-then-slug order with unknown dates
    last, across date ties and the boundary between dated and undated records; each page but the first carries a
    cursor and the exact count."""
    expected = _events()
    assert expected[-3:] == ["undated-00", "undated-01", "undated-02"]
    pages, bodies = _walk(api_client, f"/api/v1/events/?page_size={page_size}")
    assert [slug for page in pages for slug in page] == expected
    assert [len(page) for page in pages[:-1]] == [page_size] * (len(pages) - 1)
    assert {body["count"] for body in bodies} == {12}
    assert bodies[0]["previous"] is None
    assert all(body["next"].startswith(f"{BASE}/events/?cursor=") for body in bodies[:-1])


@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_previous_links_walk_back_through_the_same_pages(api_client, db, page_size):
    """From the last page, following `previous` gives the same pages in reverse, ending on the first page,
    whose previous is null."""
    _events()
    forward, bodies = _walk(api_client, f"/api/v1/events/?page_size={page_size}")
    backward, back_bodies = _walk(api_client, bodies[-1]["previous"], link="previous")
    assert [forward[-1], *backward] == forward[::-1]
    assert back_bodies[-1]["previous"] is None


def test_cursor_pages_keep_the_filters(api_client, db):
    """The links keep every other parameter, so a filtered list is walked within its filter."""
    for n in range(6):
        EventFactory(slug=f"meeting-{n}", event_type=Event.Type.DIPLOMATIC_MEETING)
        EventFactory(slug=f"vote-{n}", event_type=Event.Type.RESOLUTION_VOTE)
    pages, bodies = _walk(api_client, "/api/v1/events/?event_type=resolution_vote&page_size=4")
    assert pages == [[f"vote-{n}" for n in range(4)], ["vote-4", "vote-5"]]
    assert parse_qs(urlsplit(bodies[0]["next"]).query)["event_type"] == ["resolution_vote"]
    assert bodies[1]["count"] == 6


def test_actor_and_deleted_lists_walk_by_cursor(api_client, db):
    """Lists ordered by slug (actors) and by time then id (tombstones) walk by cursor too."""
    for n in range(7):
        ActorFactory(slug=f"walker-{n}")
    for n in range(5):
        EventFactory(slug=f"gone-{n}").delete()
    actors, _ = _walk(api_client, "/api/v1/actors/?page_size=3")
    assert [slug for page in actors for slug in page] == list(Actor.objects.values_list("slug", flat=True))
    deleted, bodies = _walk(api_client, "/api/v1/deleted/?page_size=2")
    assert [slug for page in deleted for slug in page] == [f"gone-{n}" for n in range(5)]
    assert list(DeletedRecord.objects.values_list("slug", flat=True)) == [f"gone-{n}" for n in range(5)]
    assert bodies[0]["next"].startswith(f"{BASE}/deleted/?cursor=")


def test_page_numbers_still_work_and_link_by_cursor(api_client, db):
    """?page=N answers the same rows as the N-th page reached by cursors; its links are cursors too."""
    _events()
    walked, _ = _walk(api_client, "/api/v1/events/?page_size=5")
    for number, rows in enumerate(walked, start=1):
        body = api_client.get(f"/api/v1/events/?page_size=5&page={number}").json()
        assert [record["slug"] for record in body["results"]] == rows
        assert (body["previous"] is None) == (number == 1)
        assert (body["next"] is None) == (number == len(walked))
    middle = api_client.get("/api/v1/events/?page_size=5&page=2").json()
    assert [r["slug"] for r in api_client.get(middle["next"]).json()["results"]] == walked[2]
    assert [r["slug"] for r in api_client.get(middle["previous"]).json()["results"]] == walked[0]


def test_other_orderings_link_by_page_number(api_client, db):
    """A list sorted by `ordering` pages by number, and its links say so."""
    _events()
    body = api_client.get("/api/v1/events/?ordering=-date&page_size=5").json()
    assert body["next"] == f"{BASE}/events/?ordering=-date&page=2&page_size=5"
    assert body["previous"] is None


def _error(response) -> dict:
    return error_fields(response, 400)


def test_cursor_and_page_together_are_refused(api_client, db):
    """A cursor fixes the position; a page number as well is a contradiction, answered with a 400."""
    _events()
    cursor = parse_qs(urlsplit(api_client.get("/api/v1/events/?page_size=2").json()["next"]).query)["cursor"][0]
    assert _error(api_client.get(f"/api/v1/events/?cursor={cursor}&page=2")) == {
        "status": 400,
        "code": "invalid",
        "detail": "The request has invalid values; see errors.",
        "errors": {"cursor": ["Give either page or cursor, not both."]},
    }


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "e30",  # {}
        "eyJrIjpbXX0",  # {"k": []}
        "eyJrIjpbIjIwMjUtMTMtMDEiLCJ4Il19",  # {"k": ["2025-13-01", "x"]}: no 13th month
        "eyJrIjpbbnVsbCxudWxsXX0",  # {"k": [null, null]}: a slug is never null
        "eyJrIjpbMSwyXX0",  # {"k": [1, 2]}: not strings
        "W10",  # []
        "%00",
        "é",
    ],
)
def test_malformed_cursors_are_a_clear_400(api_client, db, cursor):
    """A cursor that was not given out by the API is refused, never a 500 or a silent first page."""
    _events()
    assert _error(api_client.get(f"/api/v1/events/?cursor={cursor}"))["errors"] == {
        "cursor": ["Invalid cursor: use a next or previous link as given."]
    }


def test_a_cursor_on_a_list_in_another_order_is_refused(api_client, db):
    """Cursors name positions in the default order; with `ordering` the list pages by number, and says so."""
    _events()
    cursor = parse_qs(urlsplit(api_client.get("/api/v1/events/?page_size=2").json()["next"]).query)["cursor"][0]
    assert _error(api_client.get(f"/api/v1/events/?ordering=title&cursor={cursor}"))["errors"] == {
        "cursor": [
            "This list is not in its default order (ordering or search was given), so it pages by number: use page."
        ]
    }


def test_a_cursor_page_costs_a_fixed_number_of_queries(api_client, db):
    """A page reached by cursor reads its keys, then its rows with their related rows: the offset page's queries
    plus one for the keys (and one more only on the page that crosses from dated to undated records)."""
    _events(n_dated=30, n_undated=3)
    first = api_client.get("/api/v1/events/?page_size=5").json()
    for size in (5, 10):
        url = first["next"].replace("page_size=5", f"page_size={size}")
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            body = api_client.get(url).json()
        assert len(body["results"]) == size
        # count + keys + page + participants + statements + pledges + citations
        assert len(queries) == 7


def test_the_count_is_cached_until_the_data_changes(api_client, db, settings):
    """A repeated list skips its count query; any write advances the data generation, so the count that follows
    is exact at once. (The response cache, which would skip every query, is off.)"""
    settings.TRACKER_RESPONSE_CACHE = False
    _events()
    with CaptureQueriesContext(connection) as first:
        assert api_client.get("/api/v1/events/").json()["count"] == 12
    with CaptureQueriesContext(connection) as second:
        assert api_client.get("/api/v1/events/").json()["count"] == 12
    assert len(second) == len(first) - 1
    assert not any("COUNT(" in q["sql"].upper() for q in second.captured_queries)
    EventFactory(slug="late")
    assert api_client.get("/api/v1/events/").json()["count"] == 13
    Event.objects.get(slug="late").delete()
    assert api_client.get("/api/v1/events/").json()["count"] == 12


def test_count_caching_can_be_turned_off(api_client, db, settings):
    """TRACKER_COUNT_CACHE_SECONDS=0 counts on every request."""
    settings.TRACKER_COUNT_CACHE_SECONDS = 0
    settings.TRACKER_RESPONSE_CACHE = False
    _events()
    api_client.get("/api/v1/events/")
    with CaptureQueriesContext(connection) as queries:
        api_client.get("/api/v1/events/")
    assert sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries) == 1


def test_the_schema_documents_cursor_on_lists_only(api_client, db):
    """The OpenAPI schema offers `cursor` on the lists, not on the timeline or a record's history."""
    schema = api_client.get("/api/schema/?format=json").json()

    def names(path: str) -> set[str]:
        return {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}

    assert {"cursor", "page", "page_size"} <= names("/api/v1/events/")
    assert "cursor" in names("/api/v1/actors/")
    assert "cursor" not in names("/api/v1/timeline/")
    assert "cursor" not in names("/api/v1/events/{slug}/history/")
    assert TrackerPagination.max_page_size == 100


@pytest.mark.parametrize("query", ["", "?date_after=2025-11-01", "?type=event,pledge&page=2&page_size=2"])
def test_the_timeline_count_is_cached_too(api_client, world, query, settings):
    """The timeline's count (one per kind, added up) is cached like a list's, with the per-kind counts it learned,
    and the page read with the cached count is the same page; so is, with a date filter, the count of the undated
    items it leaves out. (The response cache, which would skip every query, is off.)"""
    settings.TRACKER_RESPONSE_CACHE = False
    url = f"/api/v1/timeline/{query}"
    with CaptureQueriesContext(connection) as first_queries:
        first = api_client.get(url).json()
    with CaptureQueriesContext(connection) as second_queries:
        second = api_client.get(url).json()
    assert second == first
    assert first["count"] > 0
    assert len(second_queries) == len(first_queries) - (2 if "date_after" in query else 1)


def test_a_search_count_follows_a_refreshed_search_document(api_client, db):
    """search_text_refresh writes with update(), which sends no signal; it advances the data generation itself, so
    a cached search count does not outlive it."""
    from events.services import search_text_refresh

    event = EventFactory(slug="quiet-event", title="Quiet")
    search_text_refresh(record=event)
    assert api_client.get("/api/v1/events/?search=zebra").json()["count"] == 0
    Event.objects.filter(pk=event.pk).update(title="Zebra crossing")  # no signal, like a bulk correction
    event.refresh_from_db()
    search_text_refresh(record=event)
    assert api_client.get("/api/v1/events/?search=zebra").json()["count"] == 1
