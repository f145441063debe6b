"""Date filters never drop an undated record silently: `undated_excluded` on every page of a list filtered by date,
`X-Undated-Excluded` on its export, and `include_undated=true` to list them, after the dated ones. Expected counts
come from the fixture files, in plain Python."""

import csv
import datetime
import io
import json

import pytest
from django.conf import settings

from conftest import EventFactory, PledgeFactory

pytestmark = pytest.mark.django_db

FIXTURES = settings.BASE_DIR / "fixtures"
SEPTEMBER, NOVEMBER = datetime.date(2025, 9, 1), datetime.date(2025, 11, 30)


def _fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _span(record: dict, field: str = "date") -> tuple[datetime.date, datetime.date] | None:
    """The first and last day a fixture's partial date can denote, or None when it is unknown."""
    if record.get(field) is None:
        return None
    start = datetime.date.fromisoformat(record[field])
    precision = record[f"{field}_precision"]
    if precision == "approximate":
        return start, datetime.date.fromisoformat(record[f"{field}_end"])
    if precision == "day":
        return start, start
    if precision == "week":
        return start, start + datetime.timedelta(days=6)
    if precision == "month":
        following = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return start, following - datetime.timedelta(days=1)
    return start, datetime.date(start.year, 12, 31)


def _items(api_client, url: str) -> list[dict]:
    body = api_client.get(url).json()
    items = list(body["results"])
    while body["next"]:
        body = api_client.get(body["next"]).json()
        items += body["results"]
    return items


def test_a_timeline_from_september_to_november_with_nothing_dropped_silently(api_client, story):
    """The journalist's question: what happened, was promised or said from September to November 2025. The
    records with no known date are counted, and with include_undated=true listed after the dated ones."""
    records = [(kind, r) for kind in ("events", "pledges", "statements") for r in _fixture(kind)]
    within = {r["slug"] for _kind, r in records if _span(r) and _span(r)[1] >= SEPTEMBER and _span(r)[0] <= NOVEMBER}
    undated = {r["slug"] for _kind, r in records if _span(r) is None}
    assert undated, "the story has undated records: the test must be able to fail"

    url = "/api/v1/timeline/?date_after=2025-09-01&date_before=2025-11-30&page_size=100"
    body = api_client.get(url).json()
    assert body["count"] == len(within)
    assert body["undated_excluded"] == len(undated)
    assert {item["slug"] for item in body["results"]} == within

    everything = api_client.get(f"{url}&include_undated=true").json()
    assert everything["count"] == len(within) + len(undated)
    assert everything["undated_excluded"] == 0
    slugs = [item["slug"] for item in everything["results"]]
    assert set(slugs[: len(within)]) == within
    assert set(slugs[len(within) :]) == undated
    assert all(item["date"] is None for item in everything["results"][len(within) :])

    export = api_client.get("/api/v1/timeline/export/?format=csv&date_after=2025-09-01&date_before=2025-11-30")
    assert export["X-Undated-Excluded"] == str(len(undated))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {row["slug"] for row in rows} == within


def test_undated_excluded_counts_only_records_matching_the_other_filters(api_client, story):
    events = [e for e in _fixture("events") if any(p["actor"] == "united-states" for p in e["participants"])]
    undated = [e for e in events if _span(e) is None]
    dated = [e for e in events if _span(e) and _span(e)[1] >= SEPTEMBER]
    body = api_client.get("/api/v1/events/?actor=united-states&date_after=2025-09-01").json()
    assert (body["count"], body["undated_excluded"]) == (len(dated), len(undated))
    assert undated, "the United States take part in an undated event: the test must be able to fail"
    wide = _items(api_client, "/api/v1/events/?actor=united-states&date_after=2025-09-01&include_undated=true")
    assert [e["slug"] for e in wide][len(dated) :] == sorted(e["slug"] for e in undated)


@pytest.mark.parametrize("resource", ["events", "statements", "pledges", "sources"])
def test_every_list_filtered_by_date_says_what_it_left_out(api_client, story, resource):
    if resource == "sources":
        records = json.loads((settings.TRACKER_SEEDS_DIR / "sources.json").read_text(encoding="utf-8"))
    else:
        records = _fixture(resource)
    undated = sum(1 for r in records if r.get("date") is None)
    body = api_client.get(f"/api/v1/{resource}/?date_before=2030-01-01").json()
    assert body["undated_excluded"] == undated
    assert api_client.get(f"/api/v1/{resource}/").json()["undated_excluded"] == 0
    export = api_client.get(f"/api/v1/{resource}/export/?format=ndjson&date_before=2030-01-01")
    assert export["X-Undated-Excluded"] == str(undated)


def test_pledges_target_dates_are_dates_too(api_client, story):
    """target_after/target_before leave out pledges with no target date, and say so; include_undated puts them
    after the others even in an explicit order."""
    pledges = _fixture("pledges")
    no_target = {p["slug"] for p in pledges if _span(p, "target_date") is None}
    body = api_client.get("/api/v1/pledges/?target_after=2025-01-01").json()
    assert body["undated_excluded"] == len(no_target) > 0
    PledgeFactory(
        slug="due-soon", quantity=1, unit="troops", target_date=datetime.date(2026, 1, 1), target_date_precision="day"
    )
    listed = _items(api_client, "/api/v1/pledges/?target_after=2025-01-01&include_undated=true&ordering=-quantity")
    assert [p["slug"] for p in listed][0] == "due-soon"
    assert {p["slug"] for p in listed[1:]} == no_target


def test_an_explicit_order_keeps_undated_records_last(api_client, db):
    EventFactory(slug="a-undated", title="A", date=None, date_precision="unknown")
    EventFactory(slug="b-dated", title="B", date=datetime.date(2025, 10, 1))
    url = "/api/v1/events/?date_after=2025-01-01&include_undated=true&ordering=title"
    assert [e["slug"] for e in api_client.get(url).json()["results"]] == ["b-dated", "a-undated"]
    default = api_client.get("/api/v1/events/?date_after=2025-01-01&include_undated=true").json()
    assert [e["slug"] for e in default["results"]] == ["b-dated", "a-undated"]
    # In the default order the undated come last anyway, and the list keeps its cursor links.
    first = api_client.get("/api/v1/events/?date_after=2025-01-01&include_undated=true&page_size=1").json()
    assert "cursor=" in first["next"]
    assert [e["slug"] for e in api_client.get(first["next"]).json()["results"]] == ["a-undated"]


def test_an_actors_timeline_says_what_it_left_out(api_client, story):
    events = [e for e in _fixture("events") if any(p["actor"] == "united-states" for p in e["participants"])]
    statements = [
        s
        for s in _fixture("statements")
        if "united-states" in {s["speaker"], s.get("stance_target"), *(s.get("about") or [])}
    ]
    pledges = [p for p in _fixture("pledges") if "united-states" in (p["pledger"], p.get("beneficiary"))]
    undated = sum(1 for r in [*events, *statements, *pledges] if _span(r) is None)
    body = api_client.get("/api/v1/actors/united-states/timeline/?date_after=2025-01-01").json()
    assert body["undated_excluded"] == undated > 0
    export = api_client.get("/api/v1/actors/united-states/timeline/export/?date_after=2025-01-01")
    assert export["X-Undated-Excluded"] == str(undated)


def test_browsers_may_read_the_header(api_client, story):
    response = api_client.get("/api/v1/events/export/?date_after=2025-01-01", HTTP_ORIGIN="https://example.org")
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert "x-undated-excluded" in exposed


def test_include_undated_is_true_or_false(api_client, db):
    response = api_client.get("/api/v1/events/?date_after=2025-01-01&include_undated=perhaps")
    assert response.status_code == 400
    assert response.json()["errors"] == {"include_undated": ["Must be true or false."]}


@pytest.mark.parametrize("ordering", ["title", "-date", "event_type"])
def test_an_export_with_undated_records_last_in_any_order_has_the_lists_records(api_client, story, ordering):
    """Found from outside: a date filter, include_undated and an ordering together gave an empty CSV, a truncated
    GeoJSON and a 500 for NDJSON (the export's chunks could not read an ordering by expression)."""
    query = f"date_after=2025-09-01&include_undated=true&ordering={ordering}"
    listed = api_client.get(f"/api/v1/events/?{query}&page_size=100").json()["results"]
    response = api_client.get(f"/api/v1/events/export/?{query}&format=ndjson")
    assert response.status_code == 200
    exported = [json.loads(line)["slug"] for line in b"".join(response.streaming_content).splitlines()]
    assert exported == [item["slug"] for item in listed]
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(api_client.get(f"/api/v1/events/export/?{query}").streaming_content).decode())
        )
    )
    assert [row["slug"] for row in rows] == exported
    geojson = json.loads(b"".join(api_client.get(f"/api/v1/events/export/?{query}&format=geojson").streaming_content))
    placed = [item["slug"] for item in listed if item["place"]]
    assert [feature["id"] for feature in geojson["features"]] == placed


def test_a_citations_export_says_what_a_date_filter_left_out(api_client, story):
    """Found from outside: the citations of undated events vanished from a date-filtered citations export silently;
    it says how many records were left out, as the records' own export does."""
    query = "date_after=2025-09-01"
    records = api_client.get(f"/api/v1/events/export/?{query}")
    citations = api_client.get(f"/api/v1/events/citations/export/?{query}")
    assert citations["X-Undated-Excluded"] == records["X-Undated-Excluded"] != "0"
    assert api_client.get(f"/api/v1/events/citations/export/?{query}&include_undated=true")["X-Undated-Excluded"] == "0"
