"""Overdue pledges: a target date that has passed (UTC) while the pledge is announced, in progress, partially
fulfilled or stalled. A field, a filter and an aggregate key, all on one clock (events.dates.today_utc), which the
tests freeze."""

import csv
import datetime
import io
import json

import pytest
from django.conf import settings

from conftest import ActorFactory, PledgeFactory
from events import dates
from events.models import Pledge
from events.querysets import OPEN_PLEDGE_STATUSES
from tests.test_undated import _span

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 3, 15)


@pytest.fixture
def frozen(monkeypatch):
    """The clock stopped at TODAY; returns a function that moves it."""

    def move(day: datetime.date) -> None:
        monkeypatch.setattr(dates, "today_utc", lambda: day)

    move(TODAY)
    return move


@pytest.fixture
def due(db, frozen) -> dict[str, Pledge]:
    pledger = ActorFactory(slug="ruritania", name="Ruritania")

    def pledge(slug: str, status: str, target: datetime.date | None, precision: str = "day") -> Pledge:
        return PledgeFactory(
            slug=slug,
            pledger=pledger,
            status=status,
            target_date=target,
            target_date_precision=precision if target else "unknown",
        )

    return {
        "late": pledge("late", "announced", D(2026, 3, 14)),
        "stalled-late": pledge("stalled-late", "stalled", D(2025, 12, 1), "month"),
        "due-today": pledge("due-today", "in_progress", TODAY),
        "this-month": pledge("this-month", "announced", D(2026, 3, 1), "month"),
        "delivered": pledge("delivered", "fulfilled", D(2026, 1, 1)),
        "withdrawn": pledge("withdrawn", "withdrawn", D(2026, 1, 1)),
        "no-target": pledge("no-target", "announced", None),
    }


OVERDUE = {"late", "stalled-late"}


def test_the_open_statuses_are_the_codebooks():
    assert set(OPEN_PLEDGE_STATUSES) == {"announced", "in_progress", "partially_fulfilled", "stalled"}
    assert set(OPEN_PLEDGE_STATUSES) < set(Pledge.Status.values)


def test_overdue_is_a_field_of_every_pledge(api_client, due):
    listed = api_client.get("/api/v1/pledges/?page_size=100").json()["results"]
    assert {p["slug"]: p["overdue"] for p in listed} == {slug: slug in OVERDUE for slug in due}
    # A pledge due today, or within a month not yet over, is not late yet.
    assert api_client.get("/api/v1/pledges/due-today/").json()["overdue"] is False
    assert api_client.get("/api/v1/pledges/late/").json()["overdue"] is True


def test_pledges_overdue_today(api_client, due):
    """The journalist's question, one call: pledges overdue today."""
    body = api_client.get("/api/v1/pledges/?overdue=true").json()
    assert {p["slug"] for p in body["results"]} == OVERDUE
    others = api_client.get("/api/v1/pledges/?overdue=false&page_size=100").json()["results"]
    assert {p["slug"] for p in others} == set(due) - OVERDUE


def test_the_clock_moves_field_filter_and_aggregate_together(api_client, due, frozen):
    frozen(D(2026, 4, 1))  # March is over: the month-precision target and the one due on the 15th have passed
    late = {"late", "stalled-late", "due-today", "this-month"}
    assert {p["slug"] for p in api_client.get("/api/v1/pledges/?overdue=true").json()["results"]} == late
    assert api_client.get("/api/v1/pledges/this-month/").json()["overdue"] is True
    groups = api_client.get("/api/v1/pledges/aggregate/?group_by=overdue").json()["groups"]
    assert [(g["overdue"], g["count"]) for g in groups] == [(True, 4), (False, 3)]


def test_overdue_as_an_aggregate_key(api_client, due):
    groups = api_client.get("/api/v1/pledges/aggregate/?group_by=overdue,status").json()["groups"]
    assert {(g["overdue"], g["status"]): g["count"] for g in groups} == {
        (True, "announced"): 1,
        (True, "stalled"): 1,
        (False, "announced"): 2,
        (False, "in_progress"): 1,
        (False, "fulfilled"): 1,
        (False, "withdrawn"): 1,
    }


def test_overdue_in_the_exports(api_client, due):
    export = api_client.get("/api/v1/pledges/export/?format=csv&overdue=true")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {row["slug"] for row in rows} == OVERDUE
    assert "overdue" in rows[0]
    lines = b"".join(api_client.get("/api/v1/pledges/export/?format=ndjson").streaming_content).splitlines()
    assert {json.loads(line)["slug"]: json.loads(line)["overdue"] for line in lines} == {s: s in OVERDUE for s in due}


def test_overdue_is_true_or_false(api_client, db):
    response = api_client.get("/api/v1/pledges/?overdue=soon")
    assert response.status_code == 400
    assert response.json()["errors"] == {"overdue": ["Must be true or false."]}


def test_overdue_is_read_only(editor, story, frozen):
    """A client that sends overdue back (as read) changes nothing: it is derived, never stored."""
    url = "/api/v1/pledges/france-100-gendarmes-palestinian-police-training/"
    current = editor.get(url)
    response = editor.patch(url, {"overdue": True}, format="json", HTTP_IF_MATCH=current["ETag"])
    assert response.status_code == 200, response.json()["errors"]
    assert response.json()["overdue"] is False


def test_the_story_has_no_pledge_overdue_today(api_client, story):
    """On the real data, no pledge names a target date yet (the articles give none), so none is overdue, whatever
    the day: the answer is an empty list, not an error."""
    fixtures = json.loads((settings.BASE_DIR / "fixtures" / "pledges.json").read_text(encoding="utf-8"))
    expected = {
        p["slug"]
        for p in fixtures
        if _span(p, "target_date")
        and _span(p, "target_date")[1] < dates.today_utc()
        and p["status"] in OPEN_PLEDGE_STATUSES
    }
    body = api_client.get("/api/v1/pledges/?overdue=true").json()
    assert {p["slug"] for p in body["results"]} == expected
    assert body["count"] == len(expected)
