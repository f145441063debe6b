"""Defects found alongside issue 10: inputs that were 500s, blank filters, overflowing dates and lower-case slugs.
Each case runs on SQLite and PostgreSQL."""

import base64
import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from conftest import EventFactory, PledgeFactory, SourceFactory
from events.dates import resolve_span
from events.models import Source
from tests.errors import assert_error

pytestmark = pytest.mark.django_db

D = datetime.date

# Every parameter that names records by slug or name, on every list that has it, the timeline and an actor's one.
REFERENCE_PARAMETERS = [
    (path, name)
    for path, names in {
        "/api/v1/events/": ("actor", "source"),
        "/api/v1/statements/": ("actor", "speaker", "stance_target", "source", "event"),
        "/api/v1/pledges/": ("actor", "pledger", "beneficiary", "source", "event"),
        "/api/v1/actors/": ("actor", "parent"),
        "/api/v1/timeline/": ("actor", "source"),
        "/api/v1/actors/france/timeline/": ("source",),
    }.items()
    for name in names
]


@pytest.fixture
def editor(db) -> APIClient:
    user = User.objects.create_user("hardening-editor", password="pw-editor-1")
    user.groups.add(Group.objects.get(name="editors"))
    client = APIClient()
    client.force_authenticate(user)
    return client


# 500s that are now 4xx --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "name"), REFERENCE_PARAMETERS)
@pytest.mark.parametrize("value", ["%", "100%", "%s", "%(x)s", "france,%d"])
def test_percent_signs_in_reference_filters_are_a_400(api_client, world, path, name, value):
    """A value with % in it is quoted in the error, never %-formatted (it was a TypeError, a 500)."""
    body = assert_error(api_client.get(path, {name: value}), 400, fields=[name])
    assert value.split(",")[-1] in body["errors"][name][0]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"k":' * 5_000 + "1" + "}" * 5_000])
@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/actors/", "/api/v1/timeline/"])
def test_deeply_nested_cursor_is_a_400(api_client, world, path, raw):
    """A cursor holding deeply nested JSON (a RecursionError while decoding) is an invalid cursor."""
    assert_error(api_client.get(path, {"cursor": _cursor(raw)}), 400, fields=["cursor"])


NESTED = "[" * 1_000 + "]" * 1_000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/actors/",
        "/api/v1/sources/",
        "/api/v1/events/",
        "/api/v1/statements/",
        "/api/v1/pledges/",
        "/api/v1/events/brussels-meeting/citations/",
        "/api/v1/pledges/france-100-gendarmes/status/",
    ],
)
def test_deeply_nested_json_body_is_a_400(editor, world, path):
    """A body of 1,000 nested arrays is a parse error (400), whichever write it is sent to."""
    response = editor.post(path, NESTED, content_type="application/json", HTTP_IF_MATCH='"1"')
    assert_error(response, 400, code="parse_error", contains="nested too deeply")
    for method in ("put", "patch"):
        response = getattr(editor, method)(
            "/api/v1/actors/france/", NESTED, content_type="application/json", HTTP_IF_MATCH='"1"'
        )
        assert_error(response, 400, code="parse_error")


def test_deeply_nested_json_to_the_token_endpoint_is_a_400(api_client, db):
    """The token endpoint, anonymous by nature, parses JSON the same way: a 400, not a 500."""
    response = api_client.post("/api/v1/auth/token/", NESTED, content_type="application/json")
    assert_error(response, 400, code="parse_error")


# Dates at the end of the calendar ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["date", "target_date"])
def test_a_week_past_9999_is_a_validation_error(field):
    """The Monday 9999-12-27 starts a week that ends in the year 10000: a ValidationError on the field, not an
    OverflowError."""
    with pytest.raises(ValidationError) as caught:
        resolve_span(D(9999, 12, 27), "week", None, field=field)
    assert list(caught.value.message_dict) == [field]


@pytest.mark.parametrize(
    ("start", "precision", "end", "expected"),
    [
        (D(9999, 12, 20), "week", None, D(9999, 12, 26)),
        (D(9999, 12, 1), "month", None, D(9999, 12, 31)),
        (D(9999, 1, 1), "year", None, D(9999, 12, 31)),
        (D(9999, 12, 31), "day", None, D(9999, 12, 31)),
        (D(9999, 12, 1), "approximate", D(9999, 12, 31), D(9999, 12, 31)),
        (D(1, 1, 1), "week", None, D(1, 1, 7)),
    ],
)
def test_the_last_spans_of_the_calendar_still_resolve(start, precision, end, expected):
    assert resolve_span(start, precision, end) == expected


def test_week_past_9999_through_the_api_is_a_400(editor, world):
    """Every door reaches the same rule: the API answers 400 on the date, for an event and a pledge's target."""
    event = {
        "slug": "far-future",
        "title": "Far future",
        "event_type": "diplomatic_meeting",
        "date": "9999-12-27",
        "date_precision": "week",
        "citations": [{"source": "source-article", "excerpt": "Ministers met in Brussels on Thursday."}],
    }
    assert_error(editor.post("/api/v1/events/", event, format="json"), 400, contains="must end by 9999-12-31")
    response = editor.patch(
        "/api/v1/pledges/france-100-gendarmes/",
        {"target_date": "9999-12-27", "target_date_precision": "week"},
        format="json",
        HTTP_IF_MATCH=editor.get("/api/v1/pledges/france-100-gendarmes/")["ETag"],
    )
    assert_error(response, 400, contains="target_date: A week-precision date must end by 9999-12-31")
    # The last week that fits is accepted.
    event["date"] = "9999-12-20"
    assert editor.post("/api/v1/events/", event, format="json").status_code == 201


@pytest.mark.parametrize(("model", "field"), [("event", "date"), ("pledge", "target_date"), ("source", "date")])
def test_week_past_9999_in_the_model_is_a_validation_error(source, model, field):
    """The model's own validation (which the services and the admin run) and its save refuse it as well."""
    factory = {"event": EventFactory, "pledge": PledgeFactory, "source": SourceFactory}[model]
    record = factory.build(**{field: D(9999, 12, 27), f"{field}_precision": "week"})
    with pytest.raises(ValidationError) as caught:
        record.full_clean(exclude=["pledger"])
    assert field in caught.value.message_dict
    with pytest.raises(ValidationError):
        record.save()


def _admin_source_add(admin_client, **fields):
    """Post the admin's add form of a source, with these fields over valid ones."""
    form = {"slug": "far-future", "title": "Far future", "text": "Some text.", "date": "2025-11-20"}
    form |= {"date_precision": "day", "date_end": "", "date_note": "", **fields}
    return admin_client.post("/admin/events/source/add/", form)


def test_week_past_9999_in_the_admin_is_a_form_error(admin_client, db):
    """The admin's form shows the error on the date instead of a 500."""
    response = _admin_source_add(admin_client, date="9999-12-27", date_precision="week")
    assert response.status_code == 200
    assert "A week-precision date must end by 9999-12-31" in response.content.decode()


# Blank filter values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/pledges/", "status", " "),
        ("/api/v1/events/", "actor", "  "),
        ("/api/v1/events/", "search", "\t"),
        ("/api/v1/statements/", "speaker", " "),
        ("/api/v1/sources/", "publisher", "   "),
        ("/api/v1/timeline/", "type", " "),
        ("/api/v1/actors/france/timeline/", "source", " "),
        ("/api/v1/deleted/", "kind", " "),
        ("/api/v1/pledges/", "unit", ","),
        ("/api/v1/events/", "status", " , "),
    ],
)
def test_blank_filter_values_are_a_400_naming_the_parameter(api_client, world, path, name, value):
    """A whitespace-only value is a mistake, not "no filter": it used to return everything."""
    assert_error(api_client.get(path, {name: value}), 400, fields=[name], contains="empty or blank")


def test_actor_filter_still_matches_slugs_case_insensitively(api_client, world):
    slugs = [item["slug"] for item in api_client.get("/api/v1/actors/", {"actor": "FRANCE"}).json()["results"]]
    assert slugs == ["france"]


# Lower-case slugs --------------------------------------------------------------------------------------------

SLUG_MESSAGE = "A slug is lower-case"


@pytest.mark.parametrize("model", ["source", "actor", "event", "statement", "pledge"])
def test_each_slug_lowercase_constraint_fires(world, model):
    """The database itself refuses a slug with capitals (a raw UPDATE, past every validation), by a named
    constraint on each slugged table."""
    from django.apps import apps
    from django.db import IntegrityError, transaction

    cls = apps.get_model("events", model)
    assert f"{model}_slug_lowercase" in {c.name for c in cls._meta.constraints}
    record = cls.objects.order_by("pk").first()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        cls.objects.filter(pk=record.pk).update(slug=record.slug.upper())
    assert f"{model}_slug_lowercase" in str(caught.value)
    cls.objects.filter(pk=record.pk).update(slug=record.slug + "-still-lower")


@pytest.mark.parametrize("model", ["source", "actor", "event", "statement", "pledge"])
def test_model_validation_refuses_capitals_in_a_slug(world, model):
    """full_clean(), which the services and the admin run, names the slug with a clear message."""
    from django.apps import apps

    record = apps.get_model("events", model).objects.order_by("pk").first()
    record.slug = "Capital-Slug"
    with pytest.raises(ValidationError) as caught:
        record.full_clean()
    assert caught.value.message_dict["slug"][0].startswith(SLUG_MESSAGE)


def test_services_refuse_capitals_in_a_slug(world):
    from events import services

    with pytest.raises(ValidationError, match=SLUG_MESSAGE):
        services.source_upsert(
            data=services.input_for(Source, slug="New-Source", title="New", text="Some text.", date=D(2025, 11, 20))
        )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/actors/", {"slug": "Hakan-Fidan", "name": "Hakan Fidan", "kind": "person"}),
        ("/api/v1/sources/", {"slug": "New-Source", "title": "New", "text": "Some text.", "date": "2025-11-20"}),
        (
            "/api/v1/events/",
            {
                "slug": "New-Event",
                "title": "New",
                "event_type": "diplomatic_meeting",
                "date": "2025-11-20",
                "citations": [{"source": "source-article", "excerpt": "Ministers met in Brussels on Thursday."}],
            },
        ),
    ],
)
def test_api_refuses_capitals_in_a_slug(editor, world, path, body):
    """The API answers 400 on `slug`, and nothing is written."""
    assert_error(editor.post(path, body, format="json"), 400, fields=["slug"], contains=SLUG_MESSAGE)
    assert editor.get(path + body["slug"].lower() + "/").status_code == 404


def test_admin_refuses_capitals_in_a_slug(admin_client, db):
    response = _admin_source_add(admin_client, slug="New-Source")
    assert response.status_code == 200
    assert SLUG_MESSAGE in response.content.decode()
    assert not SourceFactory._meta.model.objects.filter(slug__iexact="new-source").exists()


def test_fixtures_and_seeds_have_lower_case_slugs(story):
    """The real data set loads under the rule: every slug in it is already lower-case."""
    from django.apps import apps

    for model in ("source", "actor", "event", "statement", "pledge"):
        slugs = list(apps.get_model("events", model).objects.values_list("slug", flat=True))
        assert slugs
        assert [slug for slug in slugs if slug != slug.lower()] == []
