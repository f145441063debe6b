"""Issue 10: every write goes through the services, whatever door it comes from (API, admin forms, inlines, the
citation page, revert, deletion), and history tells the whole story. Each test is a hole found from outside."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import CitationFactory, PledgeFactory
from events import services
from events.models import Actor, Citation, DeletedRecord, Event, Pledge, PledgeStatusChange, Source, Statement
from tests.admin_forms import change_form
from tests.errors import assert_error

pytestmark = pytest.mark.django_db

EXCERPT = "“We support the mission,” the minister said."


def _user(name: str, *, permissions: tuple[str, ...] = (), editor: bool = False, **extra) -> User:
    user = User.objects.create_user(name, password=f"pw-{name}-1", is_staff=True, **extra)
    if editor:
        user.groups.add(Group.objects.get(name="editors"))
    user.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    return user


def _admin(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _etag(client: APIClient, path: str) -> str:
    return client.get(path)["ETag"]


def _versions_have_one_row_each(record) -> None:
    versions = list(record.history.exclude(history_type="-").values_list("version", flat=True))
    assert sorted(versions) == list(range(1, record.version + 1)), (record, versions)


# 1. Revert --------------------------------------------------------------------------------------------------


def test_a_view_only_account_cannot_revert(world):
    """A staff account that may only view sources posts the revert page: 403, and the cited text stays."""
    source = world["source"]
    first = source.history.order_by("history_id").first()
    services.record_update(record=source, changes={"text": source.text + " More."}, expected_version=1)
    viewer = _admin(_user("viewer", permissions=("view_source",)))
    url = reverse("admin:events_source_simple_history", args=[source.pk, first.history_id])
    assert viewer.get(url).status_code == 200
    response = viewer.post(url, {"seen_version": "2"})
    assert response.status_code == 403
    source.refresh_from_db()
    assert (source.text.endswith(" More."), source.version) == (True, 2)


def test_revert_restores_fields_and_citations_as_a_new_version(world):
    """A revert brings back the version's fields and citations, through the services, as the next version; the
    ETag a client held before never becomes valid again."""
    editor = _user("ed", editor=True)
    api = _api(editor)
    path = "/api/v1/statements/barrot-supports-mission/"
    statement = Statement.objects.get(slug="barrot-supports-mission")
    assert api.patch(path, {"medium": "press_conference"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    version_two = statement.history.get(version=2)
    old_etag = _etag(api, path)
    response = api.post(
        f"{path}citations/", {"source": "source-article", "excerpt": "Hamas rejected disarmament."}, format="json"
    )
    assert response.status_code == 201
    response = api.patch(path, {"speaker_role": "minister"}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 200
    statement.refresh_from_db()
    assert (statement.version, statement.citations.count()) == (4, 2)

    admin = _admin(editor)
    url = reverse("admin:events_statement_simple_history", args=[statement.pk, version_two.history_id])
    assert admin.post(url, {"seen_version": "4"}).status_code == 302
    statement.refresh_from_db()
    assert (statement.version, statement.medium, statement.speaker_role) == (5, "press_conference", "")
    assert list(statement.citations.values_list("excerpt", flat=True)) == [EXCERPT]
    assert api.patch(path, {"speaker_role": "x"}, format="json", HTTP_IF_MATCH=old_etag).status_code == 412
    _versions_have_one_row_each(statement)


def test_revert_is_refused_when_it_would_break_a_citation(world):
    """Reverting a source to a text its newer citations do not stand in is refused on the page; nothing changes."""
    source = world["source"]
    first = source.history.order_by("history_id").first()
    source, _ = services.record_update(record=source, changes={"text": source.text + " New words."}, expected_version=1)
    services.citation_add(record=world["hamas"], source=source, excerpt="New words.")
    admin = _admin(_user("ed", editor=True))
    url = reverse("admin:events_source_simple_history", args=[source.pk, first.history_id])
    response = admin.post(url, {"seen_version": "2"}, follow=True)
    assert "would break 1 citation" in response.content.decode()
    source.refresh_from_db()
    assert (source.text.endswith("New words."), source.version) == (True, 2)


# 2. The admin follows the services' rules ------------------------------------------------------------------


def test_admin_refuses_to_change_a_cited_sources_text(world):
    source = world["source"]
    admin = _admin(_user("ed", editor=True))
    url = reverse("admin:events_source_change", args=[source.pk])
    form = change_form(admin, url)
    form["text"] = form["text"].replace("Brussels", "Paris")
    response = admin.post(url, form)
    assert response.status_code == 200
    assert "would break" in response.content.decode()
    source.refresh_from_db()
    assert "Brussels" in source.text
    assert source.version == 1


def test_admin_refuses_to_delete_every_citation_of_an_event(world):
    event = world["meeting"]
    admin = _admin(_user("ed", editor=True))
    url = reverse("admin:events_event_change", args=[event.pk])
    form = change_form(admin, url)
    form["citations-0-DELETE"] = "on"
    response = admin.post(url, form)
    assert response.status_code == 200
    assert "needs at least one citation" in response.content.decode()
    assert event.citations.count() == 1


def test_the_citation_page_is_read_only(world):
    """A citation changed on its own page would skip its record's version and history: the page only shows it."""
    citation = Citation.objects.filter(event=world["meeting"]).get()
    admin = _admin(_user("ed", editor=True))
    url = reverse("admin:events_citation_change", args=[citation.pk])
    assert admin.get(url).status_code == 200
    response = admin.post(url, {"source": citation.source_id, "excerpt": "Hamas", "event": citation.event_id})
    assert response.status_code == 403
    assert Citation.objects.get(pk=citation.pk).excerpt == citation.excerpt
    assert admin.post(reverse("admin:events_citation_delete", args=[citation.pk]), {"post": "yes"}).status_code == 403


def test_a_change_form_without_the_opened_version_is_refused(world):
    admin = _admin(_user("ed", editor=True))
    event = world["meeting"]
    url = reverse("admin:events_event_change", args=[event.pk])
    form = change_form(admin, url)
    del form["seen_version"]
    form["title"] = "Renamed"
    response = admin.post(url, form)
    assert response.status_code == 200
    event.refresh_from_db()
    assert (event.title, event.version) == ("Brussels meeting", 1)


def test_a_change_in_the_admin_moves_version_updated_at_and_history_once(world):
    """An admin save is a new version with exactly one history row; a client holding the old ETag gets 412."""
    editor = _user("ed", editor=True)
    api, admin = _api(editor), _admin(editor)
    event = world["meeting"]
    old_etag = _etag(api, "/api/v1/events/brussels-meeting/")
    before = event.updated_at
    url = reverse("admin:events_event_change", args=[event.pk])
    form = change_form(admin, url)
    form["citations-1-source"] = str(world["other"].pk)
    form["citations-1-excerpt"] = "Troops will deploy."
    assert admin.post(url, form).status_code == 302
    event.refresh_from_db()
    assert (event.version, event.citations.count()) == (2, 2)
    assert event.updated_at > before
    _versions_have_one_row_each(event)
    response = api.patch(
        "/api/v1/events/brussels-meeting/", {"title": "Overwrite"}, format="json", HTTP_IF_MATCH=old_etag
    )
    assert_error(response, 412)


def test_a_pledge_added_in_the_admin_opens_its_status_timeline(world):
    admin = _admin(_user("ed", editor=True))
    form = change_form(admin, reverse("admin:events_pledge_add"))
    form.update(
        {
            "slug": "hamas-pledge",
            "title": "Hamas pledge",
            "category": "other",
            "pledger": str(world["hamas"].pk),
            "date": "2025-11-20",
            "date_precision": "day",
            "status": "announced",
            "citations-0-source": str(world["source"].pk),
            "citations-0-excerpt": "Hamas rejected disarmament.",
        }
    )
    assert admin.post(reverse("admin:events_pledge_add"), form).status_code == 302
    pledge = Pledge.objects.get(slug="hamas-pledge")
    assert list(pledge.status_changes.values_list("status", "date")) == [("announced", pledge.date)]


# 3. Saving without an edit changes nothing -----------------------------------------------------------------


def test_saving_a_source_unedited_changes_nothing(story):
    """Browsers send a textarea's line breaks as CRLF; the article's text, sha256, version and history stay."""
    source = Source.objects.order_by("slug").first()
    sha, rows = source.sha256, source.history.count()
    admin = _admin(_user("ed", editor=True))
    url = reverse("admin:events_source_change", args=[source.pk])
    form = change_form(admin, url)
    assert form["text"] == source.text
    form["text"] = form["text"].replace("\n", "\r\n")
    assert admin.post(url, form).status_code == 302
    source.refresh_from_db()
    assert (source.sha256, source.version, source.history.count()) == (sha, 1, rows)


# 5. No side door for citations through a source --------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_a_source_has_no_citations_endpoint(world, method):
    """Citations are added and removed on the record they support, with its permission, version and history."""
    user = _user("src", permissions=("change_source", "view_source"))
    citation = Citation.objects.filter(event=world["meeting"]).get()
    path = "/api/v1/sources/source-article/citations/"
    if method == "delete":
        path += f"{citation.pk}/"
    response = getattr(_api(user), method)(path, {"source": "source-article", "excerpt": "Hamas"}, format="json")
    assert response.status_code in (404, 405)
    assert Citation.objects.filter(pk=citation.pk).exists()


# 6. Deleting an actor edits nothing silently -------------------------------------------------------------------


def test_deleting_an_actor_a_statement_is_about_is_refused(world):
    hamas = world["hamas"]
    hamas.statements_about.add(Statement.objects.get(slug="us-opposes-turkish-troops"))
    api = _api(_user("ed", editor=True))
    turkey_etag = _etag(api, "/api/v1/actors/turkey/")
    response = api.delete("/api/v1/actors/turkey/", HTTP_IF_MATCH=turkey_etag)
    assert_error(response, 409)  # a stance target (PROTECT)
    statement = Statement.objects.get(slug="hamas-rejects-disarmament")
    # Hamas is the speaker too; an actor only named in `about`:
    germany = Actor.objects.create(slug="germany", name="Germany", kind="state")
    statement.about.add(germany)
    version = statement.version
    response = api.delete("/api/v1/actors/germany/", HTTP_IF_MATCH='"1"')
    assert_error(response, 409, contains="hamas-rejects-disarmament")
    statement.refresh_from_db()
    assert statement.about.filter(slug="germany").exists()
    assert statement.version == version
    admin = _admin(_user("ed2", editor=True))
    page = admin.post(reverse("admin:events_actor_delete", args=[germany.pk]), {"post": "yes"})
    assert "hamas-rejects-disarmament" in page.content.decode()
    assert Actor.objects.filter(slug="germany").exists()


# 7. Mistakes can be deleted ------------------------------------------------------------------------------------


def test_a_pledge_with_a_status_timeline_can_be_deleted_with_it(world):
    api = _api(_user("ed", editor=True))
    pledge = world["gendarmes"]
    response = api.post(
        "/api/v1/pledges/france-100-gendarmes/status/",
        {"status": "stalled", "date": "2025-11-20", "source": "other-article", "excerpt": "Troops will deploy."},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 201
    response = api.delete("/api/v1/pledges/france-100-gendarmes/", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 204
    assert not PledgeStatusChange.objects.filter(pledge_id=pledge.pk).exists()
    assert not Citation.objects.filter(pledge_id=pledge.pk).exists()
    assert DeletedRecord.objects.filter(kind="pledge", slug="france-100-gendarmes").exists()
    tombstones = _api().get("/api/v1/deleted/").json()["results"]
    history_url = next(t["history_url"] for t in tombstones if t["slug"] == "france-100-gendarmes")
    history = _api().get(history_url).json()["results"]
    assert [h["history_type"] for h in history] == ["deleted", "changed", "created"]


def test_the_admin_deletes_a_selection_through_the_services(world):
    PledgeFactory(slug="twin", title="Twin", pledger=world["france"])
    CitationFactory(pledge=Pledge.objects.get(slug="twin"), source=world["source"])
    services.pledge_status_change(
        pledge=Pledge.objects.get(slug="twin"),
        status="stalled",
        date=datetime.date(2025, 11, 20),
        source=world["source"],
        excerpt="Hamas rejected disarmament.",
        expected_version=1,
    )
    admin = _admin(_user("ed", editor=True))
    twin = Pledge.objects.get(slug="twin")
    response = admin.post(
        reverse("admin:events_pledge_changelist"),
        {"action": "delete_selected", "_selected_action": [twin.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Pledge.objects.filter(slug="twin").exists()
    assert DeletedRecord.objects.filter(kind="pledge", slug="twin").exists()


# 8. History tells the whole story ------------------------------------------------------------------------------


def test_history_names_added_and_removed_citations_and_relations(world):
    api = _api(_user("ed", editor=True))
    path = "/api/v1/events/brussels-meeting/"
    response = api.post(
        f"{path}citations/", {"source": "other-article", "excerpt": "Troops will deploy."}, format="json"
    )
    etag = response["ETag"]
    body = {"participants": [{"actor": "barrot", "role": "participant"}, {"actor": "turkey", "role": "mediator"}]}
    etag = api.patch(path, body, format="json", HTTP_IF_MATCH=etag)["ETag"]
    entries = api.get(f"{path}history/").json()["results"]
    assert [e["version"] for e in entries] == [3, 2, 1]
    participants = next(c for c in entries[0]["changes"] if c["field"] == "participants")
    assert participants["added"] == [{"actor": "turkey", "role": "mediator"}]
    assert participants["removed"] == [{"actor": "united-states", "role": "participant"}]
    citations = next(c for c in entries[1]["changes"] if c["field"] == "citations")
    # (The world's factories added the first citation behind the services' back, so version 1 does not show it.)
    assert citations["added"][-1] == {"source": "other-article", "excerpt": "Troops will deploy."}
    assert citations["removed"] == []
    assert etag == '"3"'


def test_history_of_about_and_references_by_slug(world):
    api = _api(_user("ed", editor=True))
    path = "/api/v1/statements/us-opposes-turkish-troops/"
    response = api.patch(path, {"about": ["turkey"], "stance_target": "hamas"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    changes = {c["field"]: c for c in api.get(f"{path}history/").json()["results"][0]["changes"]}
    assert changes["about"]["added"] == ["turkey"]
    assert (changes["stance_target"]["old"], changes["stance_target"]["new"]) == ("turkey", "hamas")


def test_a_no_op_write_changes_nothing(world):
    api = _api(_user("ed", editor=True))
    path = "/api/v1/actors/hamas/"
    rows = Actor.objects.get(slug="hamas").history.count()
    response = api.patch(path, {"name": "Hamas"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert Actor.objects.get(slug="hamas").history.count() == rows


def test_every_version_of_the_story_has_exactly_one_history_row(story):
    for model in (Source, Actor, Event, Statement, Pledge):
        for record in model.objects.all():
            _versions_have_one_row_each(record)


def test_anonymous_readers_see_the_editors_name_never_the_username(world):
    editor = _user("jdoe", editor=True, first_name="Jane", last_name="Doe")
    nameless = _user("anon-editor", editor=True)
    _api(editor).patch("/api/v1/actors/hamas/", {"description": "A."}, format="json", HTTP_IF_MATCH='"1"')
    _api(nameless).patch("/api/v1/actors/hamas/", {"description": "B."}, format="json", HTTP_IF_MATCH='"2"')
    public = [e["history_user"] for e in _api().get("/api/v1/actors/hamas/history/").json()["results"]]
    assert public[:2] == [None, "Jane Doe"]
    signed_in = [e["history_user"] for e in _api(editor).get("/api/v1/actors/hamas/history/").json()["results"]]
    assert signed_in[:2] == ["anon-editor", "jdoe"]


# Found from outside (the break-it review) ----------------------------------------------------------------------


def test_deleting_an_outlet_that_relayed_a_statement_is_refused(world):
    """F1: deleting a news outlet removed it from the statements it relayed, silently, with no version."""
    outlet = Actor.objects.create(slug="outlet-news", name="Outlet News", kind="media")
    statement = Statement.objects.get(slug="us-opposes-turkish-troops")
    statement.reported_by.add(outlet)
    api = _api(_user("ed", editor=True))
    assert_error(api.delete("/api/v1/actors/outlet-news/", HTTP_IF_MATCH='"1"'), 409, contains="reported_by")
    assert statement.reported_by.filter(slug="outlet-news").exists()
    admin = _admin(_user("ed2", editor=True))
    page = admin.post(reverse("admin:events_actor_delete", args=[outlet.pk]), {"post": "yes"})
    assert "us-opposes-turkish-troops" in page.content.decode()
    assert Actor.objects.filter(slug="outlet-news").exists()


def test_a_slug_created_again_carries_on_its_versions_and_history(world):
    """F2: a record created again under a deleted one's slug started again at version 1, so the deleted record's
    ETags matched it; its history hid the old one's; and the tombstone said the slug was deleted."""
    api = _api(_user("ed", editor=True))
    body = {
        "slug": "again",
        "title": "Again",
        "event_type": "other",
        "date": "2025-11-20",
        "date_precision": "day",
        "citations": [{"source": "source-article", "excerpt": "Hamas rejected disarmament."}],
    }
    assert api.post("/api/v1/events/", body, format="json").status_code == 201
    assert (
        api.patch("/api/v1/events/again/", {"title": "Again 2"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    )
    assert api.delete("/api/v1/events/again/", HTTP_IF_MATCH='"2"').status_code == 204
    created = api.post("/api/v1/events/", body, format="json")
    assert created.status_code == 201
    assert created["ETag"] == '"4"'  # after version 2 and the deletion (3)
    for stale in ('"1"', '"2"'):
        assert_error(api.patch("/api/v1/events/again/", {"title": "x"}, format="json", HTTP_IF_MATCH=stale), 412)
    assert not DeletedRecord.objects.filter(kind="event", slug="again").exists()
    history = api.get("/api/v1/events/again/history/").json()["results"]
    assert [(h["version"], h["history_type"]) for h in history] == [
        (4, "created"),
        (3, "deleted"),
        (2, "changed"),
        (1, "created"),
    ]


def test_saving_unedited_keeps_excerpts_that_span_lines_or_carry_spaces(world):
    """F3, F4, F5: a browser sends CRLF (and a lone CR as CRLF); the inline excerpt field stripped its spaces. A page
    saved unedited was refused, or rewrote the excerpts."""
    api = _api(_user("ed", editor=True))
    text = "Line one.\nLine two. Extra sentence one. \rThird line."
    body = {"slug": "multi", "title": "Multi", "text": text, "date": "2025-11-20", "date_precision": "day"}
    assert api.post("/api/v1/sources/", body, format="json").status_code == 201
    source = Source.objects.get(slug="multi")
    assert source.text == "Line one.\nLine two. Extra sentence one. \nThird line."  # a lone CR is a line break
    body = {
        "slug": "multi-event",
        "title": "Multi",
        "event_type": "other",
        "date_precision": "unknown",
        "citations": [
            {"source": "multi", "excerpt": "Line one.\nLine two"},
            {"source": "multi", "excerpt": "Extra sentence one. "},
        ],
    }
    assert api.post("/api/v1/events/", body, format="json").status_code == 201
    event = Event.objects.get(slug="multi-event")
    admin = _admin(_user("ed2", editor=True))
    for record, name in ((source, "source"), (event, "event")):
        url = reverse(f"admin:events_{name}_change", args=[record.pk])
        form = {k: v.replace("\n", "\r\n") if isinstance(v, str) else v for k, v in change_form(admin, url).items()}
        response = admin.post(url, form)
        assert response.status_code == 302, response.content.decode()[:3000]
        record.refresh_from_db()
        assert record.version == 1
    assert sorted(event.citations.values_list("excerpt", flat=True)) == ["Extra sentence one. ", "Line one.\nLine two"]


def test_a_deletion_is_a_version_of_its_own(world):
    """F9: the deletion row repeated the last version's number."""
    api = _api(_user("ed", editor=True))
    assert api.delete("/api/v1/events/peace-plan/", HTTP_IF_MATCH='"1"').status_code == 204
    history = api.get("/api/v1/events/peace-plan/history/").json()["results"]
    assert [(h["version"], h["history_type"]) for h in history] == [(2, "deleted"), (1, "created")]


def test_a_source_cannot_report_a_status_change_after_its_date(world):
    """A status dated 9999-12-31 was accepted, and then pinned the pledge's status (the latest step wins)."""
    api = _api(_user("ed", editor=True))
    body = {
        "status": "fulfilled",
        "date": "9999-12-31",
        "source": "source-article",
        "excerpt": "Hamas rejected disarmament.",
    }
    response = api.post("/api/v1/pledges/france-100-gendarmes/status/", body, format="json", HTTP_IF_MATCH='"1"')
    assert_error(response, 400, fields=["date"], contains="2025-11-20")
    assert Pledge.objects.get(slug="france-100-gendarmes").status == "announced"


def test_anonymous_readers_do_not_see_the_system_account_of_a_command(db):
    """The loader's rows said "command load_story (by root)" to anyone."""
    call_command("load_story", verbosity=0)
    public = _api().get("/api/v1/sources/isf-deploy-very-soon-trump/history/").json()["results"]
    assert public[-1]["history_change_reason"] == "command load_story"
    signed_in = _api(_user("ed", editor=True)).get("/api/v1/sources/isf-deploy-very-soon-trump/history/")
    assert signed_in.json()["results"][-1]["history_change_reason"].startswith("command load_story (by ")


def test_a_field_the_record_does_not_have_is_a_400_not_dropped(world):
    """F8: `{"descripton": …}` (a typo) or any unknown field was silently ignored, and the edit lost."""
    api = _api(_user("ed", editor=True))
    response = api.patch("/api/v1/actors/hamas/", {"descripton": "Armed group."}, format="json", HTTP_IF_MATCH='"1"')
    assert_error(response, 400, fields=["descripton"])
    body = {"slug": "new-actor", "name": "New Actor", "kind": "person", "foo": "bar"}
    assert_error(api.post("/api/v1/actors/", body, format="json"), 400, fields=["foo"])
    # What a GET returned can be sent back: its read-only fields are ignored.
    read = api.get("/api/v1/actors/hamas/").json()
    response = api.put("/api/v1/actors/hamas/", {**read, "description": "A."}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content


def test_an_actors_citations_are_written_and_checked_like_any_records(world):
    """F8: an actor's `citations` in a create were dropped silently, and no verbatim check ran."""
    api = _api(_user("ed", editor=True))
    body = {
        "slug": "cited-actor",
        "name": "Cited Actor",
        "kind": "person",
        "citations": [{"source": "source-article", "excerpt": "NOT IN THE TEXT"}],
    }
    assert_error(api.post("/api/v1/actors/", body, format="json"), 400, contains="not verbatim")
    body["citations"] = [{"source": "source-article", "excerpt": "Hamas rejected disarmament."}]
    response = api.post("/api/v1/actors/", body, format="json")
    assert response.status_code == 201
    assert response.json()["citations"] == [{"source": "source-article", "excerpt": "Hamas rejected disarmament."}]


@pytest.mark.parametrize("ordering", ["slug,,", ",slug", "date,,slug"])
def test_an_empty_ordering_term_is_a_400(api_client, world, ordering):
    """F6: an empty term in `ordering` was a 500 (KeyError)."""
    assert_error(api_client.get(f"/api/v1/events/?ordering={ordering}"), 400, fields=["ordering"])


@pytest.mark.parametrize("blank", ["   ", "\u200b", " \u2060\t"])
def test_required_text_of_only_spaces_or_invisible_characters_is_refused(world, blank):
    """Found from outside: a source's text of spaces, or an event titled with a zero-width space, was stored."""
    api = _api(_user("ed", editor=True))
    body = {"slug": "blank-source", "title": "Blank", "text": blank, "date": "2025-11-20", "date_precision": "day"}
    assert_error(api.post("/api/v1/sources/", body, format="json"), 400, fields=["text"])
    body = {
        "slug": "blank-event",
        "title": blank,
        "event_type": "other",
        "citations": [{"source": "source-article", "excerpt": "Hamas rejected disarmament."}],
    }
    assert_error(api.post("/api/v1/events/", body, format="json"), 400, fields=["title"])
    assert not Source.objects.filter(slug="blank-source").exists()


def test_the_admin_cannot_set_a_sources_seed_file(world):
    """seed_file is the loader's record of where a source came from; the API reads it only, and so does the
    admin: a posted value is ignored, on the add page as on the change page."""
    source = world["source"]
    admin = _admin(_user("ed", editor=True))
    url = reverse("admin:events_source_change", args=[source.pk])
    form = change_form(admin, url)
    assert "seed_file" not in form
    form["seed_file"] = "../../../etc/passwd"
    admin.post(url, form)
    source.refresh_from_db()
    assert source.seed_file != "../../../etc/passwd"
    assert "seed_file" not in change_form(admin, reverse("admin:events_source_add"))
