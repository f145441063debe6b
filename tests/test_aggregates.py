"""Aggregates: `/api/v1/{events,statements,pledges}/aggregate/?group_by=…`, each answer checked against groups
computed here from the fixture files, in plain Python, not through the code under test."""

import datetime
import json
from collections import Counter, defaultdict
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ActorFactory, EventFactory, EventParticipantFactory, PledgeFactory
from tests.test_undated import _span

pytestmark = pytest.mark.django_db

FIXTURES = settings.BASE_DIR / "fixtures"


def _fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


ACTORS = {actor["slug"]: actor for actor in _fixture("actors")}


def _actor(slug: str | None) -> dict | None:
    return None if slug is None else {"slug": slug, "name": ACTORS[slug]["name"]}


def _all_groups(api_client, url: str) -> tuple[dict, list[dict]]:
    """Every group, following `next`; and the first page's envelope."""
    first = response = api_client.get(url).json()
    groups = list(first["groups"])
    while response["next"]:
        response = api_client.get(response["next"]).json()
        groups += response["groups"]
    return first, groups


def _ordered(groups: list[dict], keys: list[str]) -> list[dict]:
    """The documented order: most records first, then each key ascending, nulls last (actors by slug)."""

    def sort_key(group):
        parts = [-group["count"]]
        for key in keys:
            value = group[key]
            if isinstance(value, dict):
                value = value["slug"]
            parts += [value is None, "" if value is None else value]
        return parts

    return sorted(groups, key=sort_key)


def _month(record: dict) -> str:
    start, end = record["date"], record.get("date_end") or record["date"]
    if record["date_precision"] in ("day", "week", "month") and start[:7] == end[:7]:
        return start[:7]
    return "unknown"


def _year(record: dict) -> str:
    start, end = record["date"], record.get("date_end") or record["date"]
    if record["date_precision"] in ("day", "week", "month", "year") and start[:4] == end[:4]:
        return start[:4]
    return "unknown"


def _date_end(record: dict) -> str | None:
    """The last day a fixture's date can denote (fixtures give it only for approximate dates)."""
    span = _span(record)
    return None if span is None else span[1].isoformat()


def test_who_offered_how_many_personnel(api_client, story):
    """Troop and police-training pledges by pledger and unit: the quantities added up per unit, never across
    units, a sum that includes an approximate quantity flagged."""
    url = "/api/v1/pledges/aggregate/?category=troops,police_training&group_by=pledger,unit"
    body, groups = _all_groups(api_client, url)

    expected: dict[tuple, dict] = {}
    pledges = [p for p in _fixture("pledges") if p["category"] in ("troops", "police_training")]
    for pledge in pledges:
        unit = pledge["unit"] or None
        group = expected.setdefault(
            (pledge["pledger"], unit),
            {"pledger": _actor(pledge["pledger"]), "unit": unit, "count": 0, "quantity_sums": []},
        )
        group["count"] += 1
        if pledge["quantity"] is not None:
            sums = group["quantity_sums"]
            if not sums:
                sums.append({"unit": unit, "sum": 0, "count": 0, "approximate": False})
            sums[0]["sum"] += pledge["quantity"]
            sums[0]["count"] += 1
            sums[0]["approximate"] |= bool(pledge["quantity_approximate"])
    assert groups == _ordered(list(expected.values()), ["pledger", "unit"])
    assert body["group_by"] == ["pledger", "unit"]
    assert body["total"] == len(pledges)
    assert body["count"] == len(expected)
    assert body["counts_may_overlap"] is False
    assert body["undated_excluded"] == 0
    # What the story says, in words: France about 100 gendarmes, the EU 3,000 trainees, Turkey an unquantified offer.
    france = next(group for group in groups if group["pledger"]["slug"] == "france")
    assert france["quantity_sums"] == [{"unit": "gendarmes", "sum": 100, "count": 1, "approximate": True}]


def test_quantities_in_different_units_are_never_added(api_client, db):
    pledger = ActorFactory(slug="ruritania", name="Ruritania", country="RU")
    PledgeFactory(pledger=pledger, quantity=100, unit="troops", category="troops")
    PledgeFactory(pledger=pledger, quantity=50, unit="troops", category="troops", quantity_approximate=True)
    PledgeFactory(pledger=pledger, quantity=2_000_000, unit="eur", category="funding")
    PledgeFactory(pledger=pledger, category="political_support")
    body = api_client.get("/api/v1/pledges/aggregate/?group_by=pledger").json()
    assert body["groups"] == [
        {
            "pledger": {"slug": "ruritania", "name": "Ruritania"},
            "count": 4,
            "quantity_sums": [
                {"unit": "troops", "sum": 150, "count": 2, "approximate": True},
                {"unit": "eur", "sum": 2_000_000, "count": 1, "approximate": False},
            ],
        }
    ]
    by_country = api_client.get("/api/v1/pledges/aggregate/?group_by=country,category").json()["groups"]
    assert [(g["country"], g["category"], g["count"]) for g in by_country] == [
        ("RU", "troops", 2),
        ("RU", "funding", 1),
        ("RU", "political_support", 1),
    ]


def test_events_by_participant_count_an_event_once_in_each_participants_group(api_client, story):
    events = _fixture("events")
    counts = Counter()
    for event in events:
        for slug in {participant["actor"] for participant in event["participants"]}:
            counts[slug] += 1
    without = sum(1 for event in events if not event["participants"])
    expected = [{"participant": _actor(slug), "count": count} for slug, count in counts.items()]
    if without:
        expected.append({"participant": None, "count": without})
    body, groups = _all_groups(api_client, "/api/v1/events/aggregate/?group_by=participant&page_size=7")
    assert groups == _ordered(expected, ["participant"])
    assert body["counts_may_overlap"] is True
    assert body["total"] == len(events)
    assert sum(group["count"] for group in groups) > body["total"]


def test_a_filter_on_participants_does_not_narrow_the_participant_groups(api_client, story):
    """Events France took part in, by participant: every participant of those events, not France alone."""
    events = [e for e in _fixture("events") if any(p["actor"] == "france" for p in e["participants"])]
    counts = Counter(slug for event in events for slug in {p["actor"] for p in event["participants"]})
    _body, groups = _all_groups(api_client, "/api/v1/events/aggregate/?actor=france&group_by=participant")
    assert groups == _ordered([{"participant": _actor(s), "count": c} for s, c in counts.items()], ["participant"])
    assert len(groups) > 1


@pytest.mark.parametrize("resource", ["events", "statements", "pledges"])
def test_month_and_year_respect_the_precision_of_the_date(api_client, story, resource):
    records = _fixture(resource)
    for record in records:
        record["date_end"] = _date_end(record)
    expected = Counter()
    for record in records:
        if record["date"] is None:
            expected["unknown", "unknown"] += 1
        else:
            expected[_year(record), _month(record)] += 1
    _body, groups = _all_groups(api_client, f"/api/v1/{resource}/aggregate/?group_by=year,month")
    wanted = [{"year": year, "month": month, "count": count} for (year, month), count in expected.items()]
    if resource == "pledges":
        for group in groups:
            group.pop("quantity_sums")
    # "unknown" is a value like the others and sorts after the years and months (digits sort before letters).
    assert groups == _ordered(wanted, ["year", "month"])
    # Approximate dates fall in no month, even when their span lies within one.
    assert all(group["month"] == "unknown" for group in groups if group["year"] == "unknown")


def test_statements_by_speaker_stance_and_target(api_client, story):
    statements = [s for s in _fixture("statements") if s["stance"]]
    expected = Counter((s["speaker"], s["stance"], s["stance_target"]) for s in statements)
    url = "/api/v1/statements/aggregate/?stance=supports,opposes&group_by=speaker&group_by=stance,stance_target"
    body, groups = _all_groups(api_client, url)
    wanted = [
        {"speaker": _actor(speaker), "stance": stance, "stance_target": _actor(target), "count": count}
        for (speaker, stance, target), count in expected.items()
    ]
    assert groups == _ordered(wanted, ["speaker", "stance", "stance_target"])
    assert body["group_by"] == ["speaker", "stance", "stance_target"]


def test_country_is_the_events_own_or_the_speakers(api_client, story):
    events = Counter(event.get("country_code") or None for event in _fixture("events"))
    _body, groups = _all_groups(api_client, "/api/v1/events/aggregate/?group_by=country")
    assert groups == _ordered([{"country": c, "count": n} for c, n in events.items()], ["country"])
    speakers = Counter(ACTORS[s["speaker"]].get("country_code") or None for s in _fixture("statements"))
    _body, groups = _all_groups(api_client, "/api/v1/statements/aggregate/?group_by=country")
    assert groups == _ordered([{"country": c, "count": n} for c, n in speakers.items()], ["country"])


def test_date_filters_on_aggregates_say_what_they_left_out(api_client, story):
    events = _fixture("events")
    undated = sum(1 for event in events if event["date"] is None)
    body = api_client.get("/api/v1/events/aggregate/?group_by=status&date_after=2025-09-01").json()
    assert body["undated_excluded"] == undated > 0
    widened = api_client.get(
        "/api/v1/events/aggregate/?group_by=status&date_after=2025-09-01&include_undated=true"
    ).json()
    assert widened["undated_excluded"] == 0
    assert widened["total"] == body["total"] + undated


def test_groups_page_by_number_with_links(api_client, story):
    first = api_client.get("/api/v1/events/aggregate/?group_by=participant&page_size=2").json()
    assert len(first["groups"]) == 2
    assert first["previous"] is None
    query = parse_qs(urlsplit(first["next"]).query)
    assert query == {"group_by": ["participant"], "page": ["2"], "page_size": ["2"]}
    second = api_client.get(first["next"]).json()
    assert second["count"] == first["count"]
    assert second["previous"] is not None
    assert not {g["participant"]["slug"] for g in first["groups"]} & {
        g["participant"]["slug"] for g in second["groups"] if g["participant"]
    }


@pytest.mark.parametrize(
    ("url", "parameter", "words"),
    [
        ("/api/v1/pledges/aggregate/?group_by=pledger,speaker", "group_by", ["speaker", "pledger, beneficiary"]),
        ("/api/v1/events/aggregate/", "group_by", ["required", "participant"]),
        ("/api/v1/events/aggregate/?group_by=", "group_by", ["empty"]),
        ("/api/v1/statements/aggregate/?group_by=speaker&ordering=date", "ordering", ["Unknown parameter"]),
        ("/api/v1/statements/aggregate/?group_by=speaker&stance=maybe", "stance", ["maybe"]),
        ("/api/v1/pledges/aggregate/?group_by=unit&nonsense=1", "nonsense", ["Unknown parameter"]),
        ("/api/v1/pledges/aggregate/?group_by=unit&cursor=abc", "cursor", ["use page"]),
    ],
)
def test_a_wrong_group_by_or_parameter_is_a_400_that_says_so(api_client, db, url, parameter, words):
    response = api_client.get(url)
    assert response.status_code == 400
    messages = " ".join(response.json()["errors"][parameter])
    for word in words:
        assert word in messages


def test_an_aggregate_takes_a_fixed_number_of_queries(api_client, story):
    """The same request costs the same queries whatever the number of records and groups."""
    url = "/api/v1/pledges/aggregate/?group_by=pledger,unit,month,overdue&pledger=france,turkey,european-union"
    with CaptureQueriesContext(connection) as before:
        assert api_client.get(url).status_code == 200
    from events.models import Actor

    for slug in ("france", "turkey", "european-union"):
        pledger = Actor.objects.get(slug=slug)
        for n in range(4):
            PledgeFactory(pledger=pledger, quantity=n + 1, unit="troops", date=datetime.date(2025, n + 1, 1))
    with CaptureQueriesContext(connection) as after:
        body = api_client.get(url).json()
    named = sum(1 for pledge in _fixture("pledges") if pledge["pledger"] in ("france", "turkey", "european-union"))
    assert body["total"] == named + 3 * 4
    assert len(after.captured_queries) == len(before.captured_queries)
    events_url = "/api/v1/events/aggregate/?group_by=participant,month&date_after=2025-01-01"
    with CaptureQueriesContext(connection) as before:
        api_client.get(events_url)
    for n in range(5):
        EventParticipantFactory(event=EventFactory(date=datetime.date(2025, 3, n + 1)))
    with CaptureQueriesContext(connection) as after:
        api_client.get(events_url)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_grouping_by_every_key_matches_a_count_by_hand(api_client, story):
    """Each key alone, on each resource: the groups' counts add up to the total (no participant overlap aside)."""
    for resource, keys in {
        "events": ["event_type", "status", "country", "month", "year"],
        "statements": ["speaker", "stance_target", "stance", "quote_type", "country", "month", "year"],
        "pledges": ["pledger", "beneficiary", "category", "status", "unit", "country", "overdue", "month", "year"],
    }.items():
        for key in keys:
            body, groups = _all_groups(api_client, f"/api/v1/{resource}/aggregate/?group_by={key}")
            assert sum(group["count"] for group in groups) == body["total"] == len(_fixture(resource)), (
                resource,
                key,
            )
            values = [json.dumps(group[key], sort_keys=True) for group in groups]
            assert len(values) == len(set(values)), (resource, key)


def test_records_without_a_key_share_one_null_group(api_client, story):
    pledges = _fixture("pledges")
    beneficiaries = defaultdict(int)
    for pledge in pledges:
        beneficiaries[pledge["beneficiary"]] += 1
    _body, groups = _all_groups(api_client, "/api/v1/pledges/aggregate/?group_by=beneficiary")
    assert {(g["beneficiary"] or {}).get("slug"): g["count"] for g in groups} == dict(beneficiaries)


def test_the_schemas_example_is_the_apis_answer(api_client, story):
    """The documented example of pledges_aggregate is what the API answers on the story."""
    from events.api.aggregates import EXAMPLES
    from events.models import Pledge

    example = EXAMPLES[Pledge]
    query = example.description.split("`")[1]
    assert api_client.get(f"/api/v1/pledges/aggregate/{query}").json() == example.value


@pytest.mark.parametrize("resource", ["events", "statements", "pledges"])
def test_an_aggregate_counts_what_the_list_lists(api_client, story, resource):
    """With a search (ranked on PostgreSQL) and a date filter, the groups hold exactly the list's records."""
    query = "search=gaza&date_after=2025-10-01&include_undated=true"
    listed = api_client.get(f"/api/v1/{resource}/?{query}&page_size=100").json()
    body, groups = _all_groups(api_client, f"/api/v1/{resource}/aggregate/?{query}&group_by=year")
    assert body["total"] == listed["count"] == sum(group["count"] for group in groups) > 0
