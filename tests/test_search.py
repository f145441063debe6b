"""Full-text search gives the same records on both databases: PostgreSQL's tsvector and SQLite's FTS5 tables.

The suite runs on whichever database DATABASE_URL names (CI runs it on both), so every test here holds on both;
the FTS5 tables' upkeep is checked on SQLite, where they exist.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from events import search
from events.models import Actor, Event, Pledge, Source, Statement
from events.services import record_delete, search_text_refresh

pytestmark = pytest.mark.django_db
API = "/api/v1"
README = Path(settings.BASE_DIR, "README.md").read_text(encoding="utf-8")

# Each search the README shows, with the records the articles make it find (fixtures/), and the record that
# must come first where relevance decides one.
README_SEARCHES = [
    ("statements/?search=genocide", {"turkey-calls-israeli-actions-genocidal"}, None),
    ("statements/?search=genocidal", {"turkey-calls-israeli-actions-genocidal"}, None),
    (
        "pledges/?search=gendarmes",
        {"france-100-gendarmes-palestinian-police-training", "france-pa-reform-joint-committee"},
        "france-100-gendarmes-palestinian-police-training",
    ),
    (
        "statements/?search=turkish%20troops",
        {
            "israeli-leaders-will-not-accept-turkish-troops",
            "netanyahu-israel-would-oppose-turkish-forces",
            "turkey-willing-to-send-forces-to-gaza",
        },
        None,
    ),
    (
        "events/?search=troops%20-turkey",
        {
            "us-talks-to-assemble-isf",
            "palestinian-security-forces-take-over-gaza-policing",
            "unsc-negotiations-on-draft-isf-resolution",
            "trump-20-point-peace-plan",
        },
        None,
    ),
    (
        "pledges/?search=%22palestinian%20police%22",
        {"european-forces-train-3000-palestinian-police", "france-100-gendarmes-palestinian-police-training"},
        None,
    ),
    (
        "statements/?search=hamas%20or%20disarmament",
        {
            "hamas-opposes-isf-in-gaza",
            "trump-very-powerful-countries-volunteered",
            "trump-isf-deploy-very-soon",
            "turkey-refuses-to-designate-hamas-terror-organisation",
        },
        None,
    ),
]


def _slugs(api_client, url: str) -> list[str]:
    response = api_client.get(f"{API}/{url}&page_size=100")
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]]


@pytest.mark.parametrize(("url", "expected", "first"), README_SEARCHES, ids=[u for u, _, _ in README_SEARCHES])
def test_readme_searches_find_the_same_records_on_both_databases(api_client, story, url, expected, first):
    found = _slugs(api_client, url)
    assert set(found) == expected
    assert len(found) == len(expected)
    if first is not None:
        assert found[0] == first


def test_every_readme_search_is_tested():
    """The README's search examples and the list above are the same queries."""
    shown = set(re.findall(r"\$API/(\w+/\?search=[^\"&]+)", README))
    assert shown == {url for url, _, _ in README_SEARCHES}


def test_relevance_is_the_default_order_and_ordering_wins(api_client, story):
    ranked = _slugs(api_client, "pledges/?search=gendarmes")
    assert ranked == ["france-100-gendarmes-palestinian-police-training", "france-pa-reform-joint-committee"]
    by_slug = _slugs(api_client, "pledges/?search=gendarmes&ordering=-slug")
    assert by_slug == ["france-pa-reform-joint-committee", "france-100-gendarmes-palestinian-police-training"]


@pytest.mark.parametrize(
    "term",
    [
        "NEAR(france turkey, 2)",
        "france AND",
        "search_text:france",
        "^france",
        "fran*",
        '"',
        '"unclosed phrase',
        "(france",
        "-",
        "OR",
        "a-b-c",
        "don't",
        "'; DROP TABLE events_event; --",
    ],
)
def test_query_syntax_is_never_passed_through(api_client, story, term):
    """FTS5 operators, column filters, prefixes and stray quotes are plain words: a 200, never a 500."""
    response = api_client.get(f"{API}/statements/", {"search": term})
    assert response.status_code == 200, response.content
    assert Event.objects.exists()


def test_stop_words_alone_find_nothing_and_are_ignored_beside_others(api_client, story):
    """PostgreSQL's english configuration ignores stop words; the SQLite query drops the same ones."""
    assert _slugs(api_client, "statements/?search=the") == []
    assert set(_slugs(api_client, "statements/?search=the%20genocide")) == {"turkey-calls-israeli-actions-genocidal"}


def test_an_edit_is_searchable_at_once_and_a_deleted_record_is_gone(api_client, story):
    # An event that no statement or pledge refers to, so that it may be deleted.
    event = (
        Event.objects.exclude(pk__in=Statement.objects.filter(event__isnull=False).values("event"))
        .exclude(pk__in=Pledge.objects.filter(event__isnull=False).values("event"))
        .first()
    )
    Event.objects.filter(pk=event.pk).update(description="Ministers also discussed Luxembourg.")
    event.refresh_from_db()
    assert search_text_refresh(record=event)
    assert _slugs(api_client, "events/?search=luxembourg") == [event.slug]
    record_delete(record=event, expected_version=event.version)
    assert _slugs(api_client, "events/?search=luxembourg") == []
    if connection.vendor == "sqlite":
        assert _fts_rowids(Event) == _documented_ids(Event)


def test_deleting_an_actor_removes_its_document(api_client, story):
    actor = Actor.objects.create(slug="lone-actor", name="Lone Zanzibari Actor", kind=Actor.Kind.PERSON)
    search_text_refresh(record=actor)
    assert _slugs(api_client, "actors/?search=zanzibari") == ["lone-actor"]
    actor.delete()  # not through the services: a cascade or the shell must not leave it findable either
    assert _slugs(api_client, "actors/?search=zanzibari") == []
    if connection.vendor == "sqlite":
        assert _fts_rowids(Actor) == _documented_ids(Actor)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 tables exist on SQLite only")
def test_the_loaded_story_is_indexed_whole(story):
    for model in search.SEARCHABLE:
        assert _fts_rowids(model) == _documented_ids(model), model.__name__


def test_synthetic_records_are_searchable_and_cleared_from_the_index(api_client):
    call_command("generate_synthetic", "--no-progress", "--events", "30", "--actors", "40", "--seed", "2")
    event = Event.objects.filter(slug__startswith="syn-").order_by("slug").first()
    word = max((w for w in re.findall(r"[A-Za-z]{4,}", event.title) if w.lower() not in search.STOP_WORDS), key=len)
    assert event.slug in _slugs(api_client, f"events/?search={word}&ordering=slug")
    if connection.vendor == "sqlite":
        for model in search.SEARCHABLE:
            assert _fts_rowids(model) == _documented_ids(model), model.__name__
    call_command("generate_synthetic", "--no-progress", "--clear")
    assert _slugs(api_client, f"events/?search={word}&ordering=slug") == []
    if connection.vendor == "sqlite":
        for model in (Source, Actor, Event, Statement, Pledge):
            assert _fts_rowids(model) == _documented_ids(model) == set(), model.__name__


def _fts_rowids(model) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {connection.ops.quote_name(search.fts_table(model))}")
        return {row[0] for row in cursor.fetchall()}


def _documented_ids(model) -> set[int]:
    return set(model.objects.exclude(search_text="").values_list("pk", flat=True))
