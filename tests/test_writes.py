"""The write API: authentication and permissions, validation, de-duplication, lost-update protection, history."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import ActorFactory, CitationFactory, EventFactory, StatementFactory
from events.models import Actor, Citation, DeletedRecord, Event, Pledge, PledgeStatusChange, Source, Statement
from tests.admin_forms import change_form
from tests.errors import error_fields
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

EXCERPT = "“We support the mission,” the minister said."


def _client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def editor(db) -> APIClient:
    user = User.objects.create_user("editor", password="pw-editor-1")
    user.groups.add(Group.objects.get(name="editors"))
    return _client(user)


@pytest.fixture
def reader(db) -> APIClient:
    return _client(User.objects.create_user("reader", password="pw-reader-1"))


def _statement_body(speaker: str, **extra) -> dict:
    return {
        "slug": "minister-supports-mission",
        "speaker": speaker,
        "text": "We support the mission,",
        "quote_type": "direct",
        "medium": "video_statement",
        "date": "2025-11-20",
        "date_precision": "day",
        "citations": [{"source": "source-article", "excerpt": EXCERPT}],
        **extra,
    }


# Authentication and permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/actors/"),
        ("put", "/api/v1/actors/france/"),
        ("patch", "/api/v1/actors/france/"),
        ("delete", "/api/v1/actors/france/"),
        ("post", "/api/v1/events/brussels-meeting/citations/"),
        ("post", "/api/v1/pledges/france-100-gendarmes/status/"),
    ],
)
def test_anonymous_writes_are_401(api_client, world, method, path):
    """OWASP API2: an anonymous write is refused with 401 and a Token challenge; nothing changes."""
    response = getattr(api_client, method)(path, {"name": "X"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_fields(response, 401) == {
        "status": 401,
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "errors": {},
    }
    assert Actor.objects.get(slug="france").name == "France"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/actors/"),
        ("patch", "/api/v1/actors/france/"),
        ("delete", "/api/v1/actors/france/"),
        ("post", "/api/v1/events/brussels-meeting/citations/"),
        ("post", "/api/v1/pledges/france-100-gendarmes/status/"),
    ],
)
def test_writes_without_permission_are_403(reader, world, method, path):
    """OWASP API5: an authenticated account without the model permission may read but not write."""
    assert reader.get("/api/v1/actors/france/").status_code == 200
    response = getattr(reader, method)(path, {"name": "X"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_bad_and_deactivated_tokens_are_401(world):
    """OWASP API2: a wrong token and the token of a deactivated account are both refused."""
    response = APIClient().post("/api/v1/actors/", {}, HTTP_AUTHORIZATION="Token not-a-real-token", format="json")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    user = User.objects.create_user("gone", password="pw-gone-1")
    user.groups.add(Group.objects.get(name="editors"))
    client = _client(user)
    user.is_active = False
    user.save()
    response = client.post("/api/v1/actors/", {}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_token_endpoint(db):
    """POST username and password (JSON or form) to /api/v1/auth/token/ to get a new, expiring token that works."""
    user = User.objects.create_user("script", password="pw-script-1")
    user.groups.add(Group.objects.get(name="editors"))
    for fmt in ("json", "multipart"):
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": "script", "password": "pw-script-1"}, format=fmt
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"token", "expiry"}
        expiry = datetime.datetime.fromisoformat(body["expiry"])
        ttl = expiry - timezone.now()
        assert datetime.timedelta(hours=23) < ttl <= datetime.timedelta(hours=24)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
        assert client.post("/api/v1/actors/", {}, format="json").status_code == 400  # authenticated: validation
    wrong = APIClient().post("/api/v1/auth/token/", {"username": "script", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"non_field_errors": ["Unable to log in with provided credentials."]}


# Creating ----------------------------------------------------------------------------------------------------


def test_create_statement(editor, world):
    """A statement is created from slugs, answers 201 with its representation, Location and ETag."""
    response = editor.post(
        "/api/v1/statements/",
        # force: barrot already said these words in the world (a near-duplicate otherwise).
        _statement_body("barrot", about=["hamas", "france"], event="brussels-meeting", force=True),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == "http://testserver/api/v1/statements/minister-supports-mission/"
    assert type(response.headers["Location"]) is str  # a WSGI server refuses str subclasses in headers
    assert response["ETag"] == '"1"'
    assert body["speaker"]["slug"] == "barrot"
    assert [a["slug"] for a in body["about"]] == ["france", "hamas"]
    assert body["citations"] == [{"source": "source-article", "excerpt": EXCERPT}]
    assert editor.get(response["Location"]).json() == body


def test_create_source_with_full_text_then_cite_it(editor, world):
    """A new article is posted with its full text; its sha256 is computed; citations are checked against it."""
    text = "Ankara offered troops on Monday. Israel said no."
    response = editor.post(
        "/api/v1/sources/",
        {"slug": "new-article", "title": "New article", "text": text, "date": "2025-11-24", "date_precision": "day"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["text"] == text
    assert response.json()["sha256"] == Source.digest(text)
    cited = editor.post(
        "/api/v1/events/brussels-meeting/citations/",
        {"source": "new-article", "excerpt": "Israel said no."},
        format="json",
    )
    assert cited.status_code == 201
    assert cited.json()["excerpt"] == "Israel said no."


def test_non_verbatim_excerpt_is_a_field_error(editor, world):
    """A citation whose excerpt is not in the source is a 400 pointing at that excerpt; nothing is created."""
    body = _statement_body("barrot")
    body["citations"] = [{"source": "source-article", "excerpt": '"We support the mission," the minister said.'}]
    response = editor.post("/api/v1/statements/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "citations.0.excerpt": [
            "This excerpt is not verbatim in source “source-article”. Copy it exactly from the article text, "
            "including quotation marks, apostrophes and dashes.",
            'The article has “ (U+201C) at character 1 of the excerpt; you sent " (U+0022).',
            'The article has ” (U+201D) at character 25 of the excerpt; you sent " (U+0022).',
            "The article's version: “We support the mission,” the minister said.",
        ],
        "citations.0.suggested_excerpt": ["“We support the mission,” the minister said."],
    }
    assert not Statement.objects.filter(slug="minister-supports-mission").exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "name": ["This field is required."],
                "kind": ["This field is required."],
            },
        ),
        (
            {"slug": "x", "name": "X", "kind": "planet"},
            {
                "kind": [
                    "“planet” is not a valid value. Valid values: state, igo, coalition, government, armed_force, armed_group, political_org, person, media, civilians, other."
                ]
            },
        ),
        (
            {"slug": "Not A Slug", "name": "X", "kind": "state"},
            {"slug": ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.']},
        ),
        (
            {"slug": "x", "name": "X", "kind": "state", "parent": "atlantis"},
            {"parent": ["Object with slug=atlantis does not exist."]},
        ),
        (
            {"slug": "x", "name": "X", "kind": "state", "title": "King"},
            {"title": ["actor “x”: Only a person has a title; leave it empty for other kinds."]},
        ),
    ],
)
def test_invalid_actor_is_400_with_field_messages(editor, world, body, errors):
    """Invalid data gives 400 with messages per field, in the one error format."""
    response = editor.post("/api/v1/actors/", body, format="json")
    assert response.status_code == 400
    assert error_fields(response, 400) == {
        "status": 400,
        "code": "invalid",
        "detail": "The request has invalid values; see errors.",
        "errors": errors,
    }


def test_mass_assignment_is_ignored(editor, world):
    """OWASP API3: read-only fields in a body (ids, versions, timestamps, digests) are never written."""
    response = editor.post(
        "/api/v1/sources/",
        {
            "slug": "sneaky",
            "title": "Sneaky",
            "text": "Some text.",
            "date": "2025-11-24",
            "id": 999,
            "version": 42,
            "sha256": "0" * 64,
            "created_at": "2000-01-01T00:00:00Z",
            "search_text": "injected",
        },
        format="json",
    )
    assert response.status_code == 201
    source = Source.objects.get(slug="sneaky")
    assert source.pk != 999
    assert source.version == 1
    assert source.sha256 == Source.digest("Some text.")
    assert source.created_at.year > 2000
    assert "injected" not in source.search_text


def test_too_many_related_values_are_refused(editor, world, django_assert_max_num_queries):
    """OWASP API4: ten thousand related slugs in one write are refused by a cap, in a bounded number of queries."""
    body = _statement_body("barrot", about=["hamas"] * 10_000)
    with django_assert_max_num_queries(10):
        response = editor.post("/api/v1/statements/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"about": ["Ensure this field has no more than 100 elements."]}


def test_a_slug_taken_is_409_naming_it(editor, world):
    """A slug already in use conflicts with what is stored: 409, whether the check or the insert finds it."""
    response = editor.post("/api/v1/actors/", {"slug": "france", "name": "X", "kind": "state"}, format="json")
    assert error_fields(response, 409) == {
        "status": 409,
        "code": "duplicate",
        "detail": "A record with this value exists already.",
        "errors": {"slug": ["actor with this slug already exists."]},
    }


def test_create_race_on_the_same_slug_is_409(editor, world, monkeypatch):
    """When the slug check passes but the slug is taken by the time of the write, the answer is 409, not 500."""
    from rest_framework.validators import UniqueValidator

    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    response = editor.post(
        "/api/v1/actors/", {"slug": "france", "name": "Another France", "kind": "state", "force": True}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "A actor with slug “france” already exists."
    assert Actor.objects.get(slug="france").name == "France"


# De-duplication ----------------------------------------------------------------------------------------------


def test_actor_matching_an_alias_is_refused_even_forced(editor, world):
    """A new actor named like an existing actor's alias is refused with 409 naming it, and force=true does not
    override a name clash: a namesake needs a distinguishing name."""
    body = {"slug": "washington-dc", "name": "WASHINGTON", "kind": "government"}
    response = editor.post("/api/v1/actors/", body, format="json")
    assert response.status_code == 409
    assert error_fields(response, 409) == {
        "status": 409,
        "code": "duplicate",
        "detail": "“WASHINGTON” reads the same as “Washington”, an alias of existing actor “united-states” (United "
        "States), once case, runs of spaces, invisible characters and look-alike letters are set aside. Use that actor; a "
        "different actor of the same name needs a distinguishing name, e.g. “Ali Hassan (Egyptian FM)”.",
        "errors": {"existing": ["actor:united-states"]},
    }
    assert editor.post("/api/v1/actors/", {**body, "force": True}, format="json").status_code == 409
    distinct = {**body, "name": "Washington (District of Columbia)"}
    assert editor.post("/api/v1/actors/", distinct, format="json").status_code == 201
    assert not Actor.objects.filter(name="WASHINGTON").exists()


def test_second_report_of_a_pledge_adds_a_citation(editor, world):
    """Entering a pledge another article already reports adds its citation to the existing pledge."""
    body = {
        "slug": "france-gendarmes-again",
        "title": "France offers gendarmes",
        "category": "police_training",
        "pledger": "france",
        "quantity": 100,
        "unit": "gendarmes",
        "date": "2025-11-20",
        "citations": [{"source": "other-article", "excerpt": "Troops will deploy."}],
    }
    response = editor.post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 200
    assert response.json()["slug"] == "france-100-gendarmes"
    assert response.json()["citations"] == [
        {"source": "source-article", "excerpt": "France stands ready to deploy approximately 100 gendarmes."},
        {"source": "other-article", "excerpt": "Troops will deploy."},
    ]
    assert not Pledge.objects.filter(slug="france-gendarmes-again").exists()
    forced = editor.post("/api/v1/pledges/", {**body, "force": True}, format="json")
    assert forced.status_code == 201


# Lost updates ------------------------------------------------------------------------------------------------


def test_detail_carries_an_etag_and_answers_304(editor, world):
    """Signed in, GET gives the record's version as its ETag; If-None-Match with it answers 304 with no body, from
    one query for the version (the record's relations are never read); a stale tag gets the full record. (An
    anonymous reader's tag is the data generation's: tests/test_response_cache.py.)"""
    response = editor.get("/api/v1/actors/france/")
    assert response["ETag"] == '"1"'
    with CaptureQueriesContext(connection) as context:
        again = editor.get("/api/v1/actors/france/", HTTP_IF_NONE_MATCH='"1"')
    # Besides the token's look-up, one query: the version.
    (version,) = [q["sql"] for q in context.captured_queries if '"events_' in q["sql"]]
    assert "version" in version
    assert again.status_code == 304
    assert again["ETag"] == '"1"'
    assert again.content == b""
    stale = editor.get("/api/v1/actors/france/", HTTP_IF_NONE_MATCH='"0"')
    assert stale.status_code == 200
    assert stale.json() == response.json()
    assert editor.get("/api/v1/actors/nobody/", HTTP_IF_NONE_MATCH='"1"').status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_without_if_match_are_428(editor, world, method):
    """PUT, PATCH and DELETE without If-Match are refused with 428, and nothing is written."""
    response = getattr(editor, method)(
        "/api/v1/actors/hamas/", {"slug": "hamas", "name": "H", "kind": "armed_group"}, format="json"
    )
    assert response.status_code == 428
    assert error_fields(response, 428) == {
        "status": 428,
        "code": "precondition_required",
        "detail": "This write needs an If-Match header with the record's current ETag (from a GET).",
        "errors": {},
    }
    assert Actor.objects.get(slug="hamas").name == "Hamas"


def test_two_editors_cannot_overwrite_each_other(editor, world):
    """Both read version 1; the first PATCH wins and moves the ETag; the second gets 412 and writes nothing."""
    etag = editor.get("/api/v1/actors/hamas/")["ETag"]
    first = editor.patch("/api/v1/actors/hamas/", {"description": "First edit."}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] == '"2"'
    assert first.json()["description"] == "First edit."
    second = editor.patch("/api/v1/actors/hamas/", {"description": "Second edit."}, format="json", HTTP_IF_MATCH=etag)
    assert second.status_code == 412
    assert second.json()["code"] == "precondition_failed"
    assert Actor.objects.get(slug="hamas").description == "First edit."


def test_an_anonymous_reader_s_tag_in_if_match_is_412_and_says_which_tag_to_send(editor, api_client, world):
    """An anonymous read's tag names the data generation, not a version: a client that read without its token is
    told to read signed in, and nothing is written."""
    anonymous = api_client.get("/api/v1/actors/hamas/")["ETag"]
    assert anonymous.startswith('"g')
    refused = editor.patch("/api/v1/actors/hamas/", {"description": "x"}, format="json", HTTP_IF_MATCH=anonymous)
    assert refused.status_code == 412
    assert "read the record signed in" in refused.json()["detail"]
    assert '"1"' in refused.json()["detail"]
    # In a list with a stale version, the message names the anonymous tag alone.
    listed = editor.patch(
        "/api/v1/actors/hamas/", {"description": "x"}, format="json", HTTP_IF_MATCH=f'{anonymous}, "7"'
    )
    assert listed.status_code == 412
    assert listed.json()["detail"].startswith(f"{anonymous} is an anonymous reader's tag")
    assert Actor.objects.get(slug="hamas").description == ""


@pytest.mark.parametrize("none_match", ["*", '"1"', 'W/"1"', '"7", "1"'])
def test_if_none_match_naming_the_current_version_refuses_a_write(editor, world, none_match):
    """RFC 9110, 13.1.2: If-None-Match on a write is false when it names the record's current version, or is "*"."""
    refused = editor.patch(
        "/api/v1/actors/hamas/",
        {"description": "x"},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_IF_NONE_MATCH=none_match,
    )
    assert refused.status_code == 412
    assert "If-None-Match" in refused.json()["detail"]
    assert Actor.objects.get(slug="hamas").description == ""
    other = editor.patch(
        "/api/v1/actors/hamas/", {"description": "y"}, format="json", HTTP_IF_MATCH='"1"', HTTP_IF_NONE_MATCH='"7"'
    )
    assert other.status_code == 200
    assert Actor.objects.get(slug="hamas").description == "y"


def test_stale_version_at_write_time_is_412(editor, world):
    """Even if the record changes between the If-Match check and the write, the conditional update refuses it."""
    from events import services

    hamas = Actor.objects.get(slug="hamas")
    Actor.objects.filter(pk=hamas.pk).update(version=7)
    with pytest.raises(services.StaleVersion):
        services.record_update(record=hamas, changes={"description": "x"}, expected_version=1)
    assert Actor.objects.get(pk=hamas.pk).description == ""


def test_put_replaces_and_keeps_slug(editor, world):
    """PUT updates the record; a slug cannot be changed."""
    etag = editor.get("/api/v1/events/peace-plan/")["ETag"]
    body = {
        "slug": "peace-plan",
        "title": "Twenty-point peace plan",
        "event_type": "agreement",
        "date_precision": "unknown",
        "date": None,
        "citations": [{"source": "source-article", "excerpt": "Ministers met in Brussels on Thursday."}],
    }
    response = editor.put("/api/v1/events/peace-plan/", body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Twenty-point peace plan"
    renamed = editor.put(
        "/api/v1/events/peace-plan/", {**body, "slug": "other"}, format="json", HTTP_IF_MATCH=response["ETag"]
    )
    assert renamed.status_code == 400
    assert renamed.json()["errors"] == {"slug": ["A slug cannot change; create a new record instead."]}


# Deleting ----------------------------------------------------------------------------------------------------


def test_deleting_an_actor_evidence_depends_on_is_409(editor, world):
    """Deleting an actor that statements and pledges depend on is refused, naming them; nothing changes."""
    response = editor.delete("/api/v1/actors/united-states/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail.startswith("Refused: other records depend on this one (")
    assert "statement “United States: No Turkish troops.”" in detail
    assert "pledge “20,000-strong force”" in detail
    actor = Actor.objects.get(slug="united-states")
    assert actor.version == 1


def test_delete_with_if_match_leaves_a_tombstone(editor, world):
    """A deletable record is deleted with 204 and appears in /deleted/."""
    lone = ActorFactory(slug="lone-actor")
    response = editor.delete("/api/v1/actors/lone-actor/", HTTP_IF_MATCH=f'"{lone.version}"')
    assert response.status_code == 204
    assert DeletedRecord.objects.filter(kind="actor", slug="lone-actor").exists()


# Citations and status ----------------------------------------------------------------------------------------


def test_citation_remove_needs_if_match_and_keeps_one(editor, world):
    """Removing a citation needs the record's ETag; the last citation of an event cannot be removed."""
    event = Event.objects.get(slug="isf-deployment")
    ids = [c["id"] for c in editor.get("/api/v1/events/isf-deployment/citations/").json()]
    assert len(ids) == 2
    assert editor.delete(f"/api/v1/events/isf-deployment/citations/{ids[0]}/").status_code == 428
    response = editor.delete(f"/api/v1/events/isf-deployment/citations/{ids[0]}/", HTTP_IF_MATCH=f'"{event.version}"')
    assert response.status_code == 204
    last = editor.delete(f"/api/v1/events/isf-deployment/citations/{ids[1]}/", HTTP_IF_MATCH=response["ETag"])
    # The request is well formed; the record's state refuses it: a conflict.
    assert error_fields(last, 409) == {
        "status": 409,
        "code": "conflict",
        "detail": "event “isf-deployment” needs at least one citation; add another first.",
        "errors": {},
    }
    assert Citation.objects.filter(event=event).count() == 1


def test_pledge_status_changes_build_a_timeline(editor, world):
    """A status change needs a date, verbatim evidence and If-Match; the pledge shows its dated status history."""
    url = "/api/v1/pledges/france-100-gendarmes/"
    etag = editor.get(url)["ETag"]
    patched = editor.patch(url, {"status": "fulfilled"}, format="json", HTTP_IF_MATCH=etag)
    assert patched.status_code == 400
    assert patched.json()["errors"] == {
        "status": ["A status changes with a date and a citation: POST to this pledge's status/ endpoint."]
    }
    body = {
        "status": "in_progress",
        "date": "2025-11-20",
        "source": "other-article",
        "excerpt": "Troops will deploy.",
        "note": "Deployment under way.",
        "quantity_delivered": 40,
    }
    assert editor.post(url + "status/", body, format="json").status_code == 428
    changed = editor.post(url + "status/", body, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 201, changed.json()
    pledge = changed.json()
    assert (pledge["status"], pledge["status_date"], pledge["quantity_delivered"]) == ("in_progress", "2025-11-20", 40)
    assert pledge["status_history"] == [
        {
            "status": "in_progress",
            "date": "2025-11-20",
            "quantity_delivered": 40,
            "note": "Deployment under way.",
            "citation": {"source": "other-article", "excerpt": "Troops will deploy."},
            "created_at": pledge["status_history"][0]["created_at"],
        }
    ]
    bad = editor.post(
        url + "status/", {**body, "excerpt": "Troops will not deploy."}, format="json", HTTP_IF_MATCH=changed["ETag"]
    )
    assert bad.status_code == 400
    assert PledgeStatusChange.objects.filter(pledge__slug="france-100-gendarmes").count() == 1


def test_pledge_status_command(world):
    """The pledge_status command goes through the same service and leaves a history row saying so."""
    call_command(
        "pledge_status",
        "turkey-troops",
        "withdrawn",
        date="2025-11-19",
        source="other-article",
        excerpt="Troops will deploy.",
        note="Offer withdrawn.",
    )
    pledge = Pledge.objects.get(slug="turkey-troops")
    assert (pledge.status, pledge.status_date) == ("withdrawn", datetime.date(2025, 11, 19))
    assert pledge.history.first().history_change_reason.startswith("command pledge_status (by ")


# History -----------------------------------------------------------------------------------------------------


def test_history_records_api_writes_with_who_and_what(editor, world):
    """Each API change leaves a history row with the user, the origin and the fields that changed."""
    etag = editor.get("/api/v1/actors/hamas/")["ETag"]
    editor.patch("/api/v1/actors/hamas/", {"description": "Armed group."}, format="json", HTTP_IF_MATCH=etag)
    response = editor.get("/api/v1/actors/hamas/history/")
    assert response.status_code == 200
    latest = response.json()["results"][0]
    assert latest["history_type"] == "changed"
    assert latest["history_user"] == "editor"
    assert latest["history_change_reason"] == "api PATCH"
    assert latest["version"] == 2
    assert latest["changes"] == [{"field": "description", "old": "", "new": "Armed group."}]
    assert response.json()["results"][-1]["history_type"] == "created"


def test_history_records_admin_and_command_writes(admin_client, source):
    """Admin saves and management commands leave history rows marked with their origin."""
    # Not over `world`: its Barrot would be a second actor named like the story's, which the story may not load.
    call_command("load_story", verbosity=0)
    assert Source.history.filter(history_change_reason__startswith="command load_story").exists()
    statement = StatementFactory(slug="to-edit", speaker=Actor.objects.get(slug="jean-noel-barrot"))
    CitationFactory(statement=statement, excerpt=EXCERPT)
    url = f"/admin/events/statement/{statement.pk}/change/"
    form = change_form(admin_client, url)
    form["speaker_role"] = "Foreign Minister"
    response = admin_client.post(url, form)
    assert response.status_code == 302
    row = Statement.history.filter(slug="to-edit").first()
    assert row.history_change_reason == "admin"
    assert row.history_user.username == "admin"


def test_every_model_keeps_history(world):
    """Sources, actors, aliases, events, participants, statements, pledges, citations and status changes all do."""
    from events import models

    for model in (
        models.Source,
        models.Actor,
        models.ActorAlias,
        models.Event,
        models.EventParticipant,
        models.Statement,
        models.Pledge,
        models.Citation,
        models.PledgeStatusChange,
    ):
        assert hasattr(model, "history"), model
    assert models.Event.history.filter(slug="brussels-meeting", history_type="+").count() == 1
    assert EventFactory._meta.model is Event


@pytest.mark.parametrize(
    ("url", "body", "if_match"),
    [
        ("/api/v1/events/isf-deployment/citations/", {"source": "other-article", "excerpt": "Troops", "foo": 1}, False),
        (
            "/api/v1/pledges/france-100-gendarmes/status/",
            {"status": "in_progress", "date": "2025-11-20", "source": "other-article", "excerpt": "Troops", "bogus": 1},
            True,
        ),
        ("/api/v1/auth/token/", {"username": "editor", "password": "x", "bogus": 1}, False),
    ],
)
def test_every_body_refuses_a_field_it_does_not_declare(editor, world, url, body, if_match):
    """As the schema says (additionalProperties: false): an unknown field is a 400 naming it, and nothing is
    written, on the citation, status and token bodies as on the records'."""
    record = url.rsplit("/", 2)[0] + "/"
    headers = {"HTTP_IF_MATCH": editor.get(record)["ETag"]} if if_match else {}
    before = (Citation.objects.count(), PledgeStatusChange.objects.count())
    response = editor.post(url, body, format="json", **headers)
    unknown = next(name for name in body if name in ("foo", "bogus"))
    assert error_fields(response, 400)["errors"] == {
        unknown: [f"There is no field “{unknown}” here; check its spelling."]
    }
    assert (Citation.objects.count(), PledgeStatusChange.objects.count()) == before


def test_an_error_of_no_single_field_is_under_non_field_errors(editor, world):
    """Django's "__all__" never reaches a client: errors that concern no single field are under non_field_errors."""
    body = {
        "speaker": "hamas",
        "text": "Hamas rejected disarmament.",
        "quote_type": "reported",
        "stance_target": "turkey",
        "citations": [{"source": "other-article", "excerpt": "Hamas rejected disarmament."}],
    }
    errors = error_fields(editor.post("/api/v1/statements/", body, format="json"), 400)["errors"]
    assert "__all__" not in errors
    assert errors == {"non_field_errors": [errors["non_field_errors"][0]]}
    assert "stance target needs a stance" in errors["non_field_errors"][0]


def test_the_same_text_is_a_duplicate_before_it_is_a_near_duplicate(editor, world):
    """An article entered twice is the same source (409 duplicate, which force cannot override), not a near one."""
    text = Source.objects.get(slug="other-article").text
    for force in (False, True):
        body = {"title": "Again", "text": text, "force": force}
        assert error_fields(editor.post("/api/v1/sources/", body, format="json"), 409)["code"] == "duplicate"


def test_an_unknown_api_path_is_a_json_404_and_a_missing_slash_still_redirects(api_client, settings):
    """With DEBUG on too: Django's debug page would list every route."""
    settings.DEBUG = True
    for path in ("/api/v1/nope/", "/api/v1/statements/x/citations/abc/", "/api/v1/actors/france%20/"):
        assert error_fields(api_client.get(path), 404)["code"] == "not_found"
    assert api_client.get("/api/v1/statements")["Location"] == "/api/v1/statements/"


def test_a_status_cannot_change_before_the_pledge_was_made(editor, world):
    """The outside review dated a fulfilment months before its pledge; the timeline now refuses it."""
    url = "/api/v1/pledges/france-100-gendarmes/"
    pledge = Pledge.objects.get(slug="france-100-gendarmes")
    assert pledge.date is not None
    before = pledge.date - datetime.timedelta(days=1)
    body = {"status": "fulfilled", "date": before.isoformat(), "source": "other-article", "excerpt": "Troops"}
    response = editor.post(url + "status/", body, format="json", HTTP_IF_MATCH=editor.get(url)["ETag"])
    assert list(error_fields(response, 400)["errors"]) == ["date"]
    assert not pledge.status_changes.exists()


def test_coordinates_out_of_range_are_field_errors(editor, world):
    body = {"name": "Somewhere", "precision": "point", "latitude": "91", "longitude": "10"}
    errors = error_fields(editor.post("/api/v1/places/", body, format="json"), 400)["errors"]
    assert list(errors) == ["latitude"]


def test_citing_the_same_excerpt_again_is_a_409(editor, world):
    url = "/api/v1/events/isf-deployment/citations/"
    body = {"source": "other-article", "excerpt": "Troops will deploy."}
    response = editor.post(url, body, format="json")
    assert error_fields(response, 409)["code"] == "conflict"
    assert "already cites this excerpt" in response.json()["detail"]
