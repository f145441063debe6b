"""Filters, search and ordering on every list, and the 400s for every invalid value."""

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import (
    ActorFactory,
    EventFactory,
    EventParticipantFactory,
)
from events import services
from events.api.filters import EventFilter, StatementFilter
from events.models import Actor, ActorAlias, Event, Pledge, Statement
from events.services import search_text_refresh
from tests.errors import error_fields

pytestmark = pytest.mark.django_db

D = datetime.date


def _slugs(api_client, url: str) -> list[str]:
    response = api_client.get(url)
    assert response.status_code == 200, response.json()
    return [r["slug"] for r in response.json()["results"]]


# Dates -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A month-precision date matches any range that overlaps the month.
        ("date_after=2025-09-15&date_before=2025-09-20", ["september-press-conference"]),
        ("date_after=2025-09-30", ["september-press-conference", "brussels-meeting", "isf-deployment"]),
        ("date_before=2025-09-01", ["september-press-conference"]),
        ("date_after=2025-10-01&date_before=2025-12-31", ["brussels-meeting"]),
        # An approximate date matches when its whole window overlaps.
        ("date_after=2026-04-30", ["isf-deployment"]),
        ("date_after=2026-05-01", []),
        # No range: everything, unknown dates last.
        ("", ["september-press-conference", "brussels-meeting", "isf-deployment", "peace-plan"]),
    ],
)
def test_event_date_range_overlaps_partial_dates(api_client, world, query, expected):
    """Date ranges are open at either end and match a partial date by its whole span; unknown dates match none."""
    assert _slugs(api_client, f"/api/v1/events/?{query}") == expected


def test_pledge_target_date_range(api_client, world):
    """Pledges filter by when delivery is due as well as when they were announced."""
    assert _slugs(api_client, "/api/v1/pledges/?target_after=2026-01-31") == ["france-100-gendarmes"]
    assert _slugs(api_client, "/api/v1/pledges/?date_before=2025-10-31") == ["turkey-troops"]


def test_timestamp_filters_and_updated_since(api_client, world):
    """created/updated ranges and updated_since select by record timestamps."""
    old = timezone.now() - datetime.timedelta(days=30)
    Event.objects.exclude(slug="brussels-meeting").update(updated_at=old, created_at=old)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert _slugs(api_client, f"/api/v1/events/?updated_since={since.replace('+', '%2B')}") == ["brussels-meeting"]
    assert _slugs(api_client, "/api/v1/events/?created_before=" + old.date().isoformat() + "T23:59:59Z") == [
        "september-press-conference",
        "isf-deployment",
        "peace-plan",
    ]


@pytest.mark.parametrize("resource", ["sources", "actors", "events", "pledges", "statements"])
def test_updated_since_on_every_list(api_client, world, resource):
    """Every list takes updated_since; a time in the future matches nothing, one in the past matches all."""
    assert _slugs(api_client, f"/api/v1/{resource}/?updated_since=2999-01-01T00:00:00Z") == []
    everything = _slugs(api_client, f"/api/v1/{resource}/?page_size=100")
    assert _slugs(api_client, f"/api/v1/{resource}/?updated_since=2000-01-01&page_size=100") == everything


# Actors ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["united-states", "Washington", "WASHINGTON", "united states"])
def test_actor_by_slug_name_or_alias_case_insensitive(api_client, world, name):
    """`actor` accepts a slug, a name or any alias, whatever the case."""
    assert _slugs(api_client, f"/api/v1/events/?actor={name}") == [
        "september-press-conference",
        "brussels-meeting",
        "isf-deployment",
    ]


def test_actor_involvement_per_resource(api_client, world):
    """A statement involves its speaker, its subjects and its target; a pledge its pledger and beneficiary."""
    assert _slugs(api_client, "/api/v1/statements/?actor=washington") == [
        "us-opposes-turkish-troops",
        "barrot-supports-mission",
    ]
    assert _slugs(api_client, "/api/v1/statements/?speaker=washington") == ["us-opposes-turkish-troops"]
    assert _slugs(api_client, "/api/v1/pledges/?actor=hamas") == ["us-isf-troops"]
    assert _slugs(api_client, "/api/v1/pledges/?beneficiary=hamas") == ["us-isf-troops"]
    assert _slugs(api_client, "/api/v1/pledges/?pledger=hamas") == []
    assert _slugs(api_client, "/api/v1/statements/?stance_target=ankara") == ["us-opposes-turkish-troops"]


def test_include_children_reaches_every_level(api_client, world):
    """include_children adds the actor's members, and theirs: France finds what its minister said."""
    assert _slugs(api_client, "/api/v1/statements/?speaker=france") == []
    assert _slugs(api_client, "/api/v1/statements/?speaker=france&include_children=true") == ["barrot-supports-mission"]
    assert _slugs(api_client, "/api/v1/events/?actor=france&include_children=false") == []
    assert _slugs(api_client, "/api/v1/events/?actor=france&include_children=1") == ["brussels-meeting"]
    assert _slugs(api_client, "/api/v1/actors/?actor=france&include_children=true") == [
        "barrot",
        "france",
        "french-foreign-ministry",
    ]
    assert _slugs(api_client, "/api/v1/actors/?parent=france") == ["french-foreign-ministry"]


def test_role_filter_alone_and_with_actor(api_client, world):
    """`role` alone finds events where anyone has the role; with `actor`, where that actor has it."""
    assert _slugs(api_client, "/api/v1/events/?role=host") == ["september-press-conference"]
    assert _slugs(api_client, "/api/v1/events/?actor=united-states&role=initiator,host") == [
        "september-press-conference",
        "isf-deployment",
    ]
    assert _slugs(api_client, "/api/v1/events/?actor=barrot&role=host") == []


def test_actor_slug_matches_in_any_case(api_client, world):
    """`actor` finds a slug (always stored lower-case) and a name in any case."""
    mission = ActorFactory(slug="eu-mission", name="European mission", kind="igo")
    EventParticipantFactory(event=Event.objects.get(slug="brussels-meeting"), actor=mission, role="host")
    for name in ("eu-mission", "EU-MISSION", "Eu-Mission", "european MISSION"):
        assert _slugs(api_client, f"/api/v1/events/?actor={name}") == ["brussels-meeting"], name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Through the participants' copies of the event dates: a month-precision event by its whole span.
        ("actor=united-states&date_after=2025-09-15&date_before=2025-09-20", ["september-press-conference"]),
        ("actor=WASHINGTON&date_after=2025-10-01", ["brussels-meeting", "isf-deployment"]),
        ("actor=united-states&date_before=2025-11-20", ["september-press-conference", "brussels-meeting"]),
        ("actor=united states&date_after=2026-04-30", ["isf-deployment"]),
        ("actor=united-states&date_after=2026-05-01", []),
        ("actor=barrot,united-states&date_before=2025-10-01", ["september-press-conference"]),
        ("actor=france&date_after=2025-11-01&date_before=2025-11-30", []),
        ("actor=france&include_children=true&date_after=2025-11-01&date_before=2025-11-30", ["brussels-meeting"]),
        ("actor=united-states&role=initiator,host&date_after=2025-10-01", ["isf-deployment"]),
        ("actor=united-states&role=host&date_after=2025-10-01", []),
        ("actor=united-states&date_after=2025-11-01&ordering=-date", ["isf-deployment", "brussels-meeting"]),
        # Each half alone, for comparison; the unknown-dated peace plan matches no range.
        ("actor=united-states", ["september-press-conference", "brussels-meeting", "isf-deployment"]),
        ("date_after=2025-10-01", ["brussels-meeting", "isf-deployment"]),
        ("role=host&date_after=2025-10-01", []),
    ],
)
def test_actor_with_dates(api_client, world, query, expected):
    """`actor` (with `role` and include_children) and a date range together match the events where both hold."""
    assert _slugs(api_client, f"/api/v1/events/?{query}") == expected


def test_actor_with_dates_is_the_intersection_of_each_alone(api_client, world):
    """For every range over the data, actor + dates returns exactly the events that actor alone and the dates alone
    both return, in the same order."""
    EventFactory(slug="unknown-date", date=None, date_precision="unknown")
    EventParticipantFactory(event=Event.objects.get(slug="unknown-date"), actor=Actor.objects.get(slug="united-states"))
    by_actor = _slugs(api_client, "/api/v1/events/?actor=united-states")
    assert by_actor[-1] == "unknown-date"
    days = [None, D(2025, 8, 31), D(2025, 9, 1), D(2025, 9, 30), D(2025, 10, 1), D(2025, 11, 20), D(2026, 4, 30)]
    checked = 0
    for after in days:
        for before in days:
            if after is not None and before is not None and after > before:
                continue
            dates = "&".join(
                f"{name}={day.isoformat()}" for name, day in (("date_after", after), ("date_before", before)) if day
            )
            if not dates:
                continue
            by_dates = _slugs(api_client, f"/api/v1/events/?{dates}&page_size=100")
            both = _slugs(api_client, f"/api/v1/events/?actor=united-states&{dates}&page_size=100")
            assert both == [slug for slug in by_dates if slug in by_actor], dates
            checked += 1
    assert checked == 33


def test_actor_with_dates_follows_a_change_of_dates(api_client, world):
    """Moving an event (as the admin or a history revert does, with save()) moves it in actor + date results."""
    url = "/api/v1/events/?actor=united-states&date_after=2025-11-01&date_before=2025-11-30"
    assert _slugs(api_client, url) == ["brussels-meeting"]
    meeting = Event.objects.get(slug="brussels-meeting")
    meeting.date = D(2025, 12, 1)
    meeting.save()
    assert _slugs(api_client, url) == []
    assert _slugs(api_client, url.replace("2025-11-30", "2025-12-01")) == ["brussels-meeting"]


def test_actor_with_dates_query_count(api_client, world, django_assert_num_queries):
    """actor + dates costs what actor alone costs: the actor look-ups (name, alias), the count, the page and its
    prefetches (participants, citations, statements, pledges); and, for the dates, the count of the undated events
    they leave out (undated_excluded). The second list names the same actor, whose ids the first one cached."""
    with django_assert_num_queries(9):
        response = api_client.get("/api/v1/events/?actor=united-states&date_after=2025-10-01&date_before=2026-12-31")
    assert response.json()["count"] == 2
    with django_assert_num_queries(6):
        assert api_client.get("/api/v1/events/?actor=united-states").json()["count"] == 3


def test_timeline_takes_actor_with_dates(api_client, world):
    """The timeline's events go through the same participant path as the events list."""
    response = api_client.get("/api/v1/timeline/?type=event&actor=washington&date_after=2025-10-01")
    assert response.status_code == 200, response.json()
    assert [item["slug"] for item in response.json()["results"]] == ["brussels-meeting", "isf-deployment"]


def _actor_lookups(queries) -> list[str]:
    """The queries that name actors (slug, name, alias) or walk their hierarchy (include_children)."""
    marks = ('LOWER("events_actor"."slug")', 'FROM "events_actoralias"', '"events_actor"."parent_id" IN')
    return [q["sql"] for q in queries if any(mark in q["sql"] for mark in marks)]


def test_actor_names_are_looked_up_once_per_data_generation(api_client, world):
    """A list named by the same actors again reads no actor, alias or hierarchy: their ids are kept in the cache."""
    url = "/api/v1/statements/?speaker=washington,france&include_children=true"
    with CaptureQueriesContext(connection) as first:
        body = api_client.get(url).json()
    assert len(_actor_lookups(first.captured_queries)) >= 3, first.captured_queries
    with CaptureQueriesContext(connection) as again:
        assert api_client.get(url).json() == body
    assert _actor_lookups(again.captured_queries) == []


def test_an_alias_added_through_the_services_names_the_actor_at_once(api_client, world):
    expected = _slugs(api_client, "/api/v1/events/?actor=washington")
    assert api_client.get("/api/v1/events/?actor=uncle%20sam").status_code == 400
    us = Actor.objects.get(slug="united-states")
    services.actor_upsert(
        data=services.input_for(
            Actor, slug="united-states", name=us.name, kind=us.kind, aliases=["Washington", "Uncle Sam"]
        )
    )
    assert _slugs(api_client, "/api/v1/events/?actor=uncle%20sam") == expected


def test_an_alias_removed_or_an_actor_renamed_through_the_services_stops_naming_it_at_once(api_client, world):
    expected = _slugs(api_client, "/api/v1/events/?actor=united-states")
    assert _slugs(api_client, "/api/v1/events/?actor=united%20states") == expected
    assert _slugs(api_client, "/api/v1/events/?actor=washington") == expected
    services.actor_upsert(data=services.input_for(Actor, slug="united-states", name="USA", kind="state"))
    for gone in ("united%20states", "washington"):
        response = api_client.get(f"/api/v1/events/?actor={gone}")
        assert response.status_code == 400, response.json()
        assert list(response.json()["errors"]) == ["actor"], response.json()
    assert _slugs(api_client, "/api/v1/events/?actor=usa") == expected


def test_a_parent_changed_through_the_services_changes_include_children_at_once(api_client, world):
    url = "/api/v1/actors/?actor=france&include_children=true"
    assert _slugs(api_client, url) == ["barrot", "france", "french-foreign-ministry"]
    assert _slugs(api_client, "/api/v1/events/?actor=france&include_children=true") == ["brussels-meeting"]
    barrot = Actor.objects.get(slug="barrot")
    services.actor_upsert(
        data=services.input_for(Actor, slug="barrot", name=barrot.name, kind=barrot.kind, country_code="FR")
    )
    assert _slugs(api_client, url) == ["france", "french-foreign-ministry"]
    assert _slugs(api_client, "/api/v1/events/?actor=france&include_children=true") == []


def test_filtersets_built_together_each_filter_by_their_own_values(world):
    """FilterSets share their class's form fields and copy its filters one level deep (SharedFields, SharedFilters):
    each still filters by its own parameters, through its own filters and methods."""
    early = EventFilter(data={"date_after": "2025-10-01", "ordering": "-date"}, queryset=Event.objects.all())
    late = EventFilter(data={"date_after": "2026-01-01", "actor": "washington"}, queryset=Event.objects.all())
    assert all(declared.parent is early for declared in early.filters.values())
    assert all(declared.parent is late for declared in late.filters.values())
    assert not set(map(id, early.filters.values())) & set(map(id, EventFilter.base_filters.values()))
    assert [event.slug for event in late.qs] == ["isf-deployment"]
    assert [event.slug for event in early.qs] == ["isf-deployment", "brussels-meeting"]
    bad = EventFilter(data={"date_after": "someday"}, queryset=Event.objects.all())
    assert not bad.is_valid()
    assert early.is_valid()
    assert early.form.fields["date_after"] is bad.form.fields["date_after"]
    assert "date_after" in bad.form.errors
    assert not early.form.errors


def test_the_undated_count_is_built_only_when_counted(world):
    """What the dates left out is a second pass of the filters, needed only when its count is not cached."""
    filterset = EventFilter(data={"date_after": "2025-10-01"}, queryset=Event.objects.all())
    assert filterset.is_valid()
    undated = filterset.undated_count()
    assert "queryset" not in vars(undated)
    assert undated.count() == filterset.undated_excluded().count() == 1
    everything = EventFilter(data={"date_after": "2025-10-01", "include_undated": "true"}, queryset=Event.objects.all())
    assert everything.is_valid()
    assert everything.undated_count() is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_actor_filters_use_indexes_on_postgresql(world):
    """Naming an actor reads no table whole, and actor + dates is one range of participant_actor_dates_idx."""
    queries = [
        Actor.objects.annotate(slug_l=Lower("slug"), name_l=Lower("name")).filter(
            Q(slug_l__in=["washington"]) | Q(name_l__in=["washington"])
        ),
        ActorAlias.objects.annotate(name_l=Lower("name")).filter(name_l__in=["washington"]),
        EventFilter(data={"actor": "washington", "date_after": "2025-10-01"}, queryset=Event.objects.all()).qs,
        StatementFilter(data={"actor": "washington"}, queryset=Statement.objects.all()).qs,
    ]
    assert Actor.objects.ids_by_reference(["Washington"]) == {
        "washington": {Actor.objects.get(slug="united-states").pk}
    }
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plans = [queryset.explain() for queryset in queries]
        cursor.execute("SET enable_seqscan = on")
    assert "actor_slug_lower_idx" in plans[0], plans[0]
    assert "actor_name_lower_idx" in plans[0], plans[0]
    assert "actor_alias_lower_idx" in plans[1], plans[1]
    assert "participant_actor_dates_idx" in plans[2], plans[2]
    for plan in plans:
        assert "Seq Scan" not in plan, plan


# Kinds, types, statuses and the rest -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/v1/actors/?kind=person,armed_group", ["barrot", "hamas"]),
        ("/api/v1/actors/?country=tr,US", ["turkey", "united-states"]),
        ("/api/v1/events/?event_type=deployment,agreement", ["isf-deployment", "peace-plan"]),
        ("/api/v1/events/?status=scheduled", ["isf-deployment"]),
        ("/api/v1/events/?country=BE", ["brussels-meeting"]),
        ("/api/v1/pledges/?status=announced,rejected", ["turkey-troops", "france-100-gendarmes"]),
        ("/api/v1/pledges/?category=troops", ["turkey-troops", "us-isf-troops"]),
        ("/api/v1/pledges/?unit=gendarmes", ["france-100-gendarmes"]),
        ("/api/v1/pledges/?quantity_min=101", ["us-isf-troops"]),
        ("/api/v1/pledges/?quantity_max=100", ["france-100-gendarmes"]),
        ("/api/v1/pledges/?event=brussels-meeting", ["france-100-gendarmes"]),
        ("/api/v1/statements/?stance=opposes", ["us-opposes-turkish-troops", "hamas-rejects-disarmament"]),
        ("/api/v1/statements/?quote_type=direct", ["barrot-supports-mission"]),
        (
            "/api/v1/statements/?medium=news_report,video_statement",
            ["barrot-supports-mission", "hamas-rejects-disarmament"],
        ),
        ("/api/v1/statements/?event=brussels-meeting", ["barrot-supports-mission"]),
        ("/api/v1/statements/?source=other-article", ["hamas-rejects-disarmament"]),
        (
            "/api/v1/events/?source=other-article,source-article",
            ["september-press-conference", "brussels-meeting", "isf-deployment", "peace-plan"],
        ),
        ("/api/v1/sources/?publisher=example%20news", ["other-article", "source-article"]),
    ],
)
def test_choice_and_reference_filters(api_client, world, url, expected):
    """Each filter narrows its list; comma-separated values are OR'ed; country codes ignore case."""
    assert _slugs(api_client, url) == expected


# Invalid values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "errors"),
    [
        ("/api/v1/events/?date_after=2025-02-30", {"date_after": ["Enter a valid date."]}),
        ("/api/v1/events/?date_before=99999-01-01", {"date_before": ["Enter a valid date."]}),
        (
            "/api/v1/events/?date_after=2025-12-01&date_before=2025-01-01",
            {"date_before": ["date_before must not be before date_after."]},
        ),
        (
            "/api/v1/pledges/?target_after=2026-12-01&target_before=2026-01-01",
            {"target_before": ["target_before must not be before target_after."]},
        ),
        ("/api/v1/events/?updated_since=yesterday", {"updated_since": ["Enter a valid date/time."]}),
        (
            "/api/v1/pledges/?status=announced,bogus",
            {
                "status": [
                    "“bogus” is not a valid value. Valid values: announced, in_progress, fulfilled, partially_fulfilled, stalled, broken, withdrawn, rejected."
                ]
            },
        ),
        (
            "/api/v1/actors/?kind=planet",
            {
                "kind": [
                    "“planet” is not a valid value. Valid values: state, igo, coalition, government, armed_force, armed_group, political_org, person, media, civilians, other."
                ]
            },
        ),
        (
            "/api/v1/actors/?country=XX",
            {"country": ["“XX” is not a valid code."]},
        ),
        (
            "/api/v1/events/?actor=france,atlantis",
            {"actor": ["Unknown actor: atlantis. Use an actor's slug, name or alias (see /api/v1/actors/)."]},
        ),
        (
            "/api/v1/pledges/?pledger=nobody",
            {"pledger": ["Unknown actor: nobody. Use an actor's slug, name or alias (see /api/v1/actors/)."]},
        ),
        ("/api/v1/statements/?source=nope", {"source": ["Unknown source: nope."]}),
        ("/api/v1/pledges/?event=nope", {"event": ["Unknown event: nope."]}),
        ("/api/v1/events/?actor=france&include_children=maybe", {"include_children": ["Must be true or false."]}),
        (
            "/api/v1/events/?ordering=password",
            {
                "ordering": [
                    "“password” is not a valid value. Valid values: date, -date, slug, -slug, title, -title, event_type, -event_type, updated_at, -updated_at."
                ]
            },
        ),
        (
            "/api/v1/events/?role=bystander",
            {
                "role": [
                    "“bystander” is not a valid value. Valid values: initiator, target, host, participant, mediator, subject."
                ]
            },
        ),
        ("/api/v1/pledges/?quantity_min=abc", {"quantity_min": ["Enter a whole number."]}),
        (
            "/api/v1/pledges/?quantity_min=9223372036854775808",
            {"quantity_min": ["Ensure this value is less than or equal to 9223372036854775807."]},
        ),
        (
            "/api/v1/pledges/?quantity_min=5&quantity_max=1",
            {"quantity_max": ["quantity_max must not be before quantity_min."]},
        ),
        (
            "/api/v1/events/?search=" + "x" * 201,
            {"search": ["Ensure this value has at most 200 characters (it has 201)."]},
        ),
    ],
)
def test_invalid_values_are_400_naming_the_parameter(api_client, world, url, errors):
    """A bad value is never an empty 200 or a 500: it is a 400 whose errors name the parameter."""
    response = api_client.get(url)
    assert error_fields(response, 400) == {
        "status": 400,
        "code": "invalid",
        "detail": "The request has invalid values; see errors.",
        "errors": errors,
    }


# Search and ordering -----------------------------------------------------------------------------------------


def test_search_matches_titles_aliases_text_and_excerpts(api_client, world):
    """search= looks in names, aliases, titles, statement text and citation excerpts."""
    assert _slugs(api_client, "/api/v1/actors/?search=ankara") == ["turkey"]
    assert _slugs(api_client, "/api/v1/events/?search=meeting") == ["brussels-meeting"]
    assert _slugs(api_client, "/api/v1/statements/?search=disarmament") == ["hamas-rejects-disarmament"]
    # Found only through an excerpt:
    assert _slugs(api_client, "/api/v1/pledges/?search=deploy&ordering=slug") == [
        "france-100-gendarmes",
        "turkey-troops",
    ]
    assert _slugs(api_client, "/api/v1/pledges/?search=deploy%20-gendarmes") == ["turkey-troops"]
    assert _slugs(api_client, '/api/v1/events/?search="brussels meeting"') == ["brussels-meeting"]
    assert _slugs(api_client, "/api/v1/events/?search=atlantis") == []


def test_search_ranks_by_relevance(api_client, world):
    """The best match comes first on both databases (ts_rank on PostgreSQL, bm25 over FTS5 on SQLite), although it
    is the latest by date; an explicit ordering still wins."""
    EventFactory(slug="a-troops-troops", title="Troops, troops and more troops", date=D(2025, 12, 1))
    EventFactory(slug="b-one-mention", title="Deployment of troops", date=D(2025, 1, 1))
    for event in Event.objects.filter(slug__in=["a-troops-troops", "b-one-mention"]):
        search_text_refresh(record=event)
    found = _slugs(api_client, "/api/v1/events/?search=troops")
    assert found[0] == "a-troops-troops"
    assert set(found) == {"a-troops-troops", "b-one-mention", "isf-deployment"}
    assert _slugs(api_client, "/api/v1/events/?search=troops&ordering=-date") == [
        "isf-deployment",
        "a-troops-troops",
        "b-one-mention",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")
@pytest.mark.parametrize("ranked", [False, True])
def test_search_uses_the_gin_index_on_postgresql(world, ranked):
    """Search matches the stored search_vector column, so PostgreSQL answers from its GIN index, ranked or not."""
    from events import search

    queryset = search.search(Event.objects.all(), "meeting", ranked=ranked)
    if not ranked:
        # In date order a tiny table may be walked along its (date, slug) index instead: ask about the match only.
        queryset = queryset.order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = queryset.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "event_search_vector_gin" in plan
    assert "to_tsvector" not in str(queryset.query)
    assert [e.slug for e in queryset] == ["brussels-meeting"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search_vector column exists on PostgreSQL only")
def test_search_vector_follows_search_text_on_postgresql(world):
    """search_vector is generated from search_text, so a changed document is searchable at once, its old words not."""
    from events import search

    event = Event.objects.get(slug="brussels-meeting")
    Event.objects.filter(pk=event.pk).update(search_text="Talks in Luxembourg")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM events_event WHERE id = %s", [event.pk])
        assert cursor.fetchone() == ("'luxembourg':3 'talk':1",)
    assert [e.slug for e in search.search(Event.objects.all(), "luxembourg")] == ["brussels-meeting"]
    assert list(search.search(Event.objects.all(), "meeting")) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search_vector column exists on PostgreSQL only")
def test_search_inside_a_subquery_matches_its_own_rows_on_postgresql(world):
    """The stored column keeps pointing at the searched table when the search becomes a subquery of that table."""
    from events import search

    inner = search.search(Event.objects.all(), "meeting", ranked=False).values("pk")
    assert [e.slug for e in Event.objects.filter(pk__in=inner)] == ["brussels-meeting"]
    assert [e.slug for e in Event.objects.exclude(pk__in=inner)] == [
        "september-press-conference",
        "isf-deployment",
        "peace-plan",
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/v1/events/", ["september-press-conference", "brussels-meeting", "isf-deployment", "peace-plan"]),
        (
            "/api/v1/events/?ordering=-date",
            ["isf-deployment", "brussels-meeting", "september-press-conference", "peace-plan"],
        ),
        (
            "/api/v1/events/?ordering=title",
            ["brussels-meeting", "isf-deployment", "peace-plan", "september-press-conference"],
        ),
        (
            "/api/v1/events/?ordering=event_type,-date",
            ["peace-plan", "isf-deployment", "brussels-meeting", "september-press-conference"],
        ),
        ("/api/v1/pledges/?ordering=-quantity", ["us-isf-troops", "france-100-gendarmes", "turkey-troops"]),
        ("/api/v1/actors/?ordering=-name&kind=state", ["united-states", "turkey", "france"]),
    ],
)
def test_ordering_is_whitelisted_and_stable(api_client, world, url, expected):
    """ordering= takes whitelisted fields; unknown values sort last; slug breaks ties."""
    assert _slugs(api_client, url) == expected


def test_filters_are_documented_in_the_schema(api_client):
    """Every filter parameter appears in the OpenAPI schema, typed and described."""
    import yaml

    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/pledges/"]["get"]["parameters"]}
    assert {
        "date_after",
        "date_before",
        "actor",
        "include_children",
        "pledger",
        "status",
        "search",
        "ordering",
        "updated_since",
        "source",
        "quantity_min",
    } <= set(parameters)
    assert parameters["date_after"]["schema"] == {
        "type": "string",
        "format": "date",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    }
    assert parameters["include_children"]["schema"] == {"type": "boolean"}
    assert parameters["status"]["schema"]["type"] == "array"
    assert set(parameters["status"]["schema"]["items"]["enum"]) == set(Pledge.Status.values)
    assert all(p.get("description") for p in parameters.values())
    assert "Statement" in str(Statement._meta.verbose_name).title()


def test_unknown_parameter_is_refused(api_client, world):
    """A mistyped parameter is a 400 naming it, not a silently unfiltered list."""
    response = api_client.get("/api/v1/pledges/?statu=announced")
    assert response.status_code == 400
    (message,) = response.json()["errors"]["statu"]
    assert message.startswith("Unknown parameter. Known parameters: actor, bbox, beneficiary, category,")
    assert api_client.get("/api/v1/timeline/?kind=state").status_code == 400
    assert api_client.get("/api/v1/actors/france/relations/?depth=2").status_code == 400
