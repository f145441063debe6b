"""The change feed (issue 14): every created, changed and deleted record across resources, in one sequence, with
the fields that changed as /history/ tells them, a bulk load as one entry, and a settle window so that resuming
never skips a late commit."""

import datetime
import threading

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from events import changes
from events.models import Actor, Change, Event, Pledge, Source, Statement
from events.services import record_update
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

FEED = "/api/v1/changes/"


def _feed(client, query: str = "") -> dict:
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _walk(client, query: str = "") -> list[dict]:
    """Every entry, following `next` while the feed says more are waiting."""
    page = _feed(client, query)
    entries = page["results"]
    while page["has_more"]:
        page = client.get(page["next"]).json()
        entries += page["results"]
    return entries


def _history(client, resource: str, slug: str, version: int) -> dict:
    entries = client.get(f"/api/v1/{resource}s/{slug}/history/?page_size=100").json()["results"]
    return next(entry for entry in entries if entry["version"] == version)


def test_a_bulk_load_is_one_entry(api_client, story):
    """The whole story load is one `loaded` entry, listing every record it created, once each."""
    (entry,) = _walk(api_client)
    assert entry["type"] == "loaded"
    assert (entry["resource"], entry["slug"], entry["version"], entry["changes"]) == (None, None, None, [])
    counts = {"source": Source, "actor": Actor, "event": Event, "statement": Statement, "pledge": Pledge}
    for resource, model in counts.items():
        records = [r for r in entry["records"] if r["resource"] == resource]
        assert sorted(r["slug"] for r in records) == sorted(model.objects.values_list("slug", flat=True))
        assert {(r["type"], r["version"]) for r in records} == {("created", 1)}
    assert len(entry["records"]) == Change.objects.count()
    assert entry["sequence"] == Change.objects.order_by("id").first().id


def test_loading_again_through_the_command_is_another_single_entry(api_client, editor, story):
    """load_story --overwrite after an edit brings the record back: one more `loaded` entry, with only what it
    changed; the account that ran it is for editors only, as in /history/."""
    actor = Actor.objects.get(slug="turkey")
    response = editor.patch(
        "/api/v1/actors/turkey/", {"description": "Edited."}, format="json", HTTP_IF_MATCH=f'"{actor.version}"'
    )
    assert response.status_code == 200
    call_command("load_story", "--overwrite", verbosity=0)
    loaded, edit, reload = _walk(api_client)
    assert (loaded["type"], edit["type"], reload["type"]) == ("loaded", "changed", "loaded")
    assert reload["records"] == [{"resource": "actor", "slug": "turkey", "type": "changed", "version": 3}]
    assert reload["origin"] == "command load_story"
    assert _walk(editor)[2]["origin"].startswith("command load_story (by ")


def test_what_changed_since_a_given_time(api_client, editor, story):
    """Edits made through the API after a moment, in the order they were made, each as its record's /history/
    tells it: a changed actor, a citation added to a pledge, its status changed, a new actor, a deleted event."""
    since = timezone.now()
    turkey = Actor.objects.get(slug="turkey")
    assert (
        editor.patch(
            "/api/v1/actors/turkey/",
            {"description": "The Republic of Türkiye."},
            format="json",
            HTTP_IF_MATCH=f'"{turkey.version}"',
        ).status_code
        == 200
    )
    pledge = Pledge.objects.get(slug="turkey-offer-to-send-forces-to-gaza")
    excerpt = "Israel rejects Turkish troops under Trump’s 20-point peace plan"
    cited = editor.post(
        f"/api/v1/pledges/{pledge.slug}/citations/",
        {"source": "isf-deploy-very-soon-trump", "excerpt": excerpt},
        format="json",
    )
    assert cited.status_code == 201, cited.content
    status = editor.post(
        f"/api/v1/pledges/{pledge.slug}/status/",
        {"status": "withdrawn", "date": "2025-11-07", "source": "isf-deploy-very-soon-trump", "excerpt": excerpt},
        format="json",
        HTTP_IF_MATCH=cited["ETag"],
    )
    assert status.status_code == 201, status.content
    created = editor.post(
        "/api/v1/actors/", {"slug": "hakan-fidan", "name": "Hakan Fidan", "kind": "person"}, format="json"
    )
    assert created.status_code == 201, created.content
    lone = Event.objects.get(slug="gaza-humanitarian-crisis")
    deleted = editor.delete(f"/api/v1/events/{lone.slug}/", HTTP_IF_MATCH=f'"{lone.version}"')
    assert deleted.status_code == 204, deleted.content

    since_text = since.isoformat().replace("+00:00", "Z")
    entries = _walk(api_client, f"since={since_text}")
    assert [(e["type"], e["resource"], e["slug"], e["version"]) for e in entries] == [
        ("changed", "actor", "turkey", 2),
        ("changed", "pledge", pledge.slug, 2),
        ("changed", "pledge", pledge.slug, 3),
        ("created", "actor", "hakan-fidan", 1),
        ("deleted", "event", lone.slug, lone.version + 1),
    ]
    sequences = [e["sequence"] for e in entries]
    assert sequences == sorted(set(sequences))
    assert [field["field"] for field in entries[1]["changes"]] == ["citations"]
    assert entries[1]["changes"][0]["added"] == [{"source": "isf-deploy-very-soon-trump", "excerpt": excerpt}]
    assert {field["field"] for field in entries[2]["changes"]} >= {"status", "status_date"}
    for reader in (api_client, editor):
        for entry in _walk(reader, f"since={since_text}"):
            told = _history(reader, entry["resource"], entry["slug"], entry["version"])
            assert entry["changes"] == told["changes"]
            assert entry["time"] == told["history_date"]
            assert (entry["type"], entry["user"], entry["origin"]) == (
                told["history_type"],
                told["history_user"],
                told["history_change_reason"],
            )
    # Anonymous readers see the editor's full name or nothing, editors the username, as in /history/.
    assert {e["user"] for e in entries} == {None}
    assert {e["user"] for e in _walk(editor, f"since={since_text}")} == {"editor"}
    # The story's load came before: it is not in the answer, and from the start it is the first entry.
    assert _walk(api_client)[0]["type"] == "loaded"
    assert [e["sequence"] for e in _walk(api_client)[1:]] == sequences


def test_next_resumes_exactly(api_client, story):
    """Following `next` page by page gives every entry once, in sequence order; `next` on the last page is where
    the next change will appear."""
    for n in range(7):
        _edit("turkey", f"Title {n}")
    everything = _walk(api_client, "page_size=100")
    assert len(everything) == 8
    seen, page = [], _feed(api_client, "page_size=3")
    seen += page["results"]
    while page["has_more"]:
        assert "page_size=3" in page["next"]
        page = api_client.get(page["next"]).json()
        seen += page["results"]
    assert seen == everything
    assert api_client.get(page["next"]).json()["results"] == []
    _edit("turkey", "Later")
    (later,) = api_client.get(page["next"]).json()["results"]
    assert (later["slug"], later["version"], later["changes"][0]["new"]) == ("turkey", 9, "Later")
    assert _feed(api_client, f"since_id={later['sequence']}")["results"] == []


def _edit(slug: str, title: str) -> Change:
    actor = Actor.objects.get(slug=slug)
    record_update(record=actor, changes={"description": title}, expected_version=actor.version)
    return Change.objects.order_by("-id").first()


def test_the_settle_window_holds_back_what_a_late_commit_could_precede(story):
    """An entry is served only when every entry before it in the sequence is settled: a row numbered before
    another but written later (a long transaction's) holds back both, until the horizon passes it."""
    (load,) = changes.feed_page(after=0, size=10, show_usernames=False, settled=timezone.now()).entries
    early, late = _edit("turkey", "First"), _edit("egypt", "Second")
    t = timezone.now()
    # The first was numbered first but, as a long transaction's row, written after the second.
    Change.objects.filter(pk=early.pk).update(recorded_at=t + datetime.timedelta(seconds=10))
    Change.objects.filter(pk=late.pk).update(recorded_at=t + datetime.timedelta(seconds=5))
    after = load["sequence"]

    def served(at_seconds: float) -> list[int]:
        settled = t + datetime.timedelta(seconds=at_seconds)
        return [
            e["sequence"]
            for e in changes.feed_page(after=after, size=10, show_usernames=False, settled=settled).entries
        ]

    assert served(7) == []  # the second is settled, but the first, before it, is not: neither is served
    assert served(11) == [early.id, late.id]


def test_a_load_is_served_whole_or_not_at_all(story):
    """A load whose last rows are not yet settled is held back whole, with what follows it."""
    entries = changes.feed_page(after=0, size=10, show_usernames=False, settled=timezone.now()).entries
    (load,) = entries
    rows = list(Change.objects.filter(load_id=load["sequence"]).order_by("id"))
    t = timezone.now()
    Change.objects.filter(pk=rows[-1].pk).update(recorded_at=t + datetime.timedelta(seconds=3))
    assert changes.feed_page(after=0, size=10, show_usernames=False, settled=t).entries == []
    (whole,) = changes.feed_page(
        after=0, size=10, show_usernames=False, settled=t + datetime.timedelta(seconds=4)
    ).entries
    assert len(whole["records"]) == len(rows)


def test_the_window_from_settings(api_client, story, settings):
    """With a settle window, a change shows only once it is that old; settled_until says up to when."""
    settings.TRACKER_CHANGES_SETTLE_SECONDS = 60
    assert _feed(api_client)["results"] == []  # the story was loaded less than a minute ago
    settings.TRACKER_CHANGES_SETTLE_SECONDS = 0
    page = _feed(api_client)
    assert [e["type"] for e in page["results"]] == ["loaded"]
    assert page["settled_until"] <= timezone.now().isoformat().replace("+00:00", "Z")


# Skipped before the database is set up: a transactional test flushes the database even when it skips inside.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer at a time: numbers are taken in commit order."
)
@pytest.mark.django_db(transaction=True)
def test_an_open_write_transaction_holds_the_horizon(db):
    """On PostgreSQL, the horizon is no later than the start of another connection's transaction that has written
    and not yet committed, however long it runs: its rows, numbered before later commits, are never skipped."""
    call_command("load_story", verbosity=0)
    written, release = threading.Event(), threading.Event()
    started: list[datetime.datetime] = []

    def long_transaction():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT now()")
                    started.append(cursor.fetchone()[0])
                _edit("turkey", "Slow")
                written.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=long_transaction)
    thread.start()
    try:
        assert written.wait(30)
        quick = _edit("egypt", "Quick")  # numbered after the slow one's row, committed first
        horizon = changes.horizon()
        assert horizon <= started[0]
        served = changes.feed_page(after=0, size=100, show_usernames=False, settled=horizon).entries
        assert quick.id not in [e["sequence"] for e in served]
    finally:
        release.set()
        thread.join(30)
    entries = changes.feed_page(after=0, size=100, show_usernames=False, settled=changes.horizon()).entries
    assert [(e["slug"], e["version"]) for e in entries[1:]] == [("turkey", 2), ("egypt", 2)]


def test_a_page_costs_a_fixed_number_of_queries(api_client, story):
    """The queries of a page do not grow with its entries: 15 or 30 edits across the five resources cost the same
    (per resource on the page, its versions, the versions before them and the records they refer to)."""
    fields = {
        Actor: "description",
        Event: "description",
        Statement: "stance_topic",
        Pledge: "conditions",
        Source: "byline",
    }

    def edit_all(n: int) -> int:
        start = Change.objects.order_by("-id").values_list("id", flat=True).first()
        for model, field in fields.items():
            for record in model.objects.order_by("slug")[:n]:
                record_update(record=record, changes={field: f"Edit {n}"}, expected_version=record.version)
        return start

    counted = []
    for n in (3, 6):
        start = edit_all(n)
        expected = sum(min(n, model.objects.count()) for model in fields)
        with CaptureQueriesContext(connection) as queries:
            assert len(_feed(api_client, f"since_id={start}&page_size={expected}")["results"]) == expected
        counted.append(len(queries))
    assert counted[0] == counted[1]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("since=2025-11-21T00:00:00Z&since_id=3", {"since_id": ["Give since or since_id, not both."]}),
        ("since_id=-1", {"since_id": ["Ensure this value is greater than or equal to 0."]}),
        ("page_size=0", {"page_size": ["Ensure this value is greater than or equal to 1."]}),
        ("page_size=101", {"page_size": ["Ensure this value is less than or equal to 100."]}),
        ("page=2", {"page": ["The change feed continues with since_id (see next)."]}),
        ("cursor=abc", {"cursor": ["The change feed continues with since_id (see next)."]}),
    ],
)
def test_bad_queries_are_400s(api_client, db, query, errors):
    response = api_client.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == errors


def test_unknown_parameters_and_dates_are_named(api_client, db):
    response = api_client.get(f"{FEED}?resource=actor&since=yesterday")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"resource"}
    response = api_client.get(f"{FEED}?since=yesterday")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"since"}


def test_editors_see_accounts_in_the_feed_as_in_history(db):
    """Signed-in readers see usernames and the account that ran a command; anonymous ones neither."""
    call_command("load_story", verbosity=0)
    user = User.objects.create_user("maria", password="pw-maria-1", first_name="Maria", last_name="Editor")
    user.groups.add(Group.objects.get(name="editors"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    turkey = Actor.objects.get(slug="turkey")
    client.patch("/api/v1/actors/turkey/", {"description": "T"}, format="json", HTTP_IF_MATCH=f'"{turkey.version}"')
    anonymous = _walk(APIClient())
    signed_in = _walk(client)
    assert [(e["user"], e["origin"]) for e in anonymous] == [
        (None, "command load_story"),
        ("Maria Editor", "api PATCH"),
    ]
    assert signed_in[0]["origin"].startswith("command load_story (by ")
    assert signed_in[1]["user"] == "maria"


def test_the_admin_and_its_revert_are_in_the_feed(admin_client, api_client, db):
    """A change in the admin, and a revert there, are entries as the API's are, each with /history/'s data."""
    from django.urls import reverse

    from conftest import ActorFactory
    from tests.admin_forms import change_form

    actor = ActorFactory(slug="hamas", name="Hamas", kind="armed_group")
    start = Change.objects.order_by("-id").values_list("id", flat=True).first()
    url = reverse("admin:events_actor_change", args=[actor.pk])
    assert admin_client.post(url, {**change_form(admin_client, url), "name": "Hamas movement"}).status_code == 302
    first = actor.history.order_by("history_id").first().history_id
    revert_url = reverse("admin:events_actor_simple_history", args=[actor.pk, first])
    assert admin_client.post(revert_url, change_form(admin_client, revert_url)).status_code == 302
    entries = _walk(api_client, f"since_id={start}")
    assert [(e["type"], e["slug"], e["version"]) for e in entries] == [("changed", "hamas", 2), ("changed", "hamas", 3)]
    assert [e["changes"] for e in entries] == [
        [{"field": "name", "old": "Hamas", "new": "Hamas movement"}],
        [{"field": "name", "old": "Hamas movement", "new": "Hamas"}],
    ]
    for entry in entries:
        assert entry["changes"] == _history(api_client, "actor", "hamas", entry["version"])["changes"]


def test_history_from_before_the_feed_is_numbered_as_the_feed_numbers_it(api_client, db):
    """The migration numbers the history written before the feed existed: a load_story run (known by the origin
    it leaves) as one entry, then each edit, the same entries the feed records as they happen."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.core.management.color import no_style

    migration = importlib.import_module("events.migrations.0012_change_feed")
    call_command("load_story", verbosity=0)
    _edit("turkey", "Edited once.")
    _edit("egypt", "Edited too.")
    live = _walk(api_client)
    # As before the migration: an empty table whose sequence starts again at 1.
    Change.objects.all().delete()
    fresh = [{"table": Change._meta.db_table, "column": "id"}]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_by_name_sql(no_style(), fresh):
            cursor.execute(statement)
    migration.number_existing_history(apps, SimpleNamespace(connection=connection))
    numbered = _walk(api_client)
    assert [{k: v for k, v in e.items() if k != "sequence"} for e in numbered] == [
        {k: v for k, v in e.items() if k != "sequence"} for e in live
    ]
    assert [e["sequence"] for e in numbered] == [1, len(live[0]["records"]) + 1, len(live[0]["records"]) + 2]
    # New changes are numbered after them.
    later = _edit("turkey", "Edited after.")
    assert later.id == numbered[-1]["sequence"] + 1


def test_the_feed_constraints_fire(db):
    """One feed row per history row, and a load's rows point back to the load's first row, never ahead."""
    from tests.test_models import _violates

    now = timezone.now()
    row = Change.objects.create(resource="actor", history_id=1, recorded_at=now)
    with _violates("change_one_per_history_row", "resource", "history_id"):
        Change.objects.create(resource="actor", history_id=1, recorded_at=now)
    Change.objects.create(resource="event", history_id=1, recorded_at=now)  # another table's row 1
    with _violates("change_load_starts_before"):
        Change.objects.create(resource="actor", history_id=2, recorded_at=now, load_id=row.id + 100)


def test_places_are_in_the_feed_as_every_versioned_record(api_client, editor, db):
    """Places came with their own history (issue 14's places): a place added through the API is an entry of the
    feed, with its fields, as the other records are."""
    body = {"slug": "rafah", "name": "Rafah", "country": "PS", "latitude": 31.29, "longitude": 34.25}
    response = editor.post("/api/v1/places/", body | {"precision": "city"}, format="json")
    assert response.status_code == 201, response.content
    (entry,) = [e for e in _walk(api_client) if e["resource"] == "place"]
    assert (entry["type"], entry["slug"], entry["version"]) == ("created", "rafah", 1)
    # The same version in the place's own history (found from outside: places had none to compare with).
    assert _history(api_client, "place", "rafah", 1)["changes"] == entry["changes"]
