"""Every response of the story validates against the schema with openapi-core (OpenAPI 3.1): the status is one the
operation declares, the media type one it declares for that status, the body matches that media type's schema
(JSON Schema 2020-12 with formats, and no property an object's schema does not declare), and declared headers match
theirs. Every list (with a value for each filter it documents), every record, every export in each format, every
answer of the writes (2xx, 304 and each refusal), and errors; and the check is shown to fail on each kind of
departure."""

import json
from urllib.parse import urlencode

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIResponse
from openapi_core.deserializing.media_types.util import json_loads, plain_loads
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest

from tests.test_contract import STATEMENT

pytestmark = pytest.mark.django_db

# A documented value per filter that the story's data answers with records.
VALUES = {
    "actor": "france",
    "speaker": "jean-noel-barrot",
    "pledger": "france",
    "beneficiary": "palestinian-security-forces",
    "stance_target": "turkey",
    "parent": "france",
    "include_children": "true",
    "date_after": "2025-11-01",
    "date_before": "2025-11-30",
    "target_after": "2025-01-01",
    "target_before": "2027-01-01",
    "search": "troops",
    "q": "Brussels",
    "kind": "state",
    "country": "FR",
    "status": "announced",
    "stance": "opposes",
    "quote_type": "direct",
    "medium": "news_report",
    "category": "troops",
    "unit": "troops",
    "quantity_min": "1",
    "quantity_max": "100000",
    "event_type": "diplomatic_meeting",
    "role": "host",
    "type": "pledge",
    "publisher": "ALL ISRAEL NEWS",
    "updated_since": "2000-01-01T00:00:00Z",
    "created_after": "2000-01-01T00:00:00Z",
    "created_before": "2999-01-01T00:00:00Z",
    "updated_after": "2000-01-01T00:00:00Z",
    "updated_before": "2999-01-01T00:00:00Z",
    "deleted_since": "2000-01-01T00:00:00Z",
    # Every resource's records have a slug: thinned to it, the answer is the sparse media type (events/api/sparse.py).
    "fields": "slug",
    "page_size": "5",
    "page": "1",
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    return APIClient().get("/api/schema/?format=json").json()


@pytest.fixture(scope="module")
def openapi(schema) -> OpenAPI:
    return OpenAPI.from_dict(
        schema,
        config=Config(
            # openapi-core reads only application/json as JSON and leaves other media types as bytes.
            extra_media_type_deserializers={
                "application/problem+json": json_loads,
                # A record thinned by `fields=` (events/api/sparse.py).
                "application/vnd.tracker.sparse+json": json_loads,
                "text/csv": plain_loads,
                "application/x-ndjson": plain_loads,
            },
            # Stricter than the schema's letter: an object may carry no property its schema does not declare.
            additional_properties_default_policy="forbid",
        ),
    )


def _check(openapi: OpenAPI, response) -> None:
    """The status is declared for the operation, the media type is one it declares for that status, the body
    matches that media type's schema, and each declared response header matches its schema."""
    # The request only names the operation; its body is not read again (a refused 3 MB one could not be).
    request = MockRequest("http://testserver", response.wsgi_request.method, response.wsgi_request.path)
    openapi.validate_response(request, DjangoOpenAPIResponse(response))


def test_every_response_of_the_story_matches_the_schema(schema, openapi, api_client, story):
    from django.contrib.auth.models import Group, User

    from events.models import Actor, Event, Place, Pledge, Source, Statement
    from tests.tokens import token_for

    user = User.objects.create_user("story-editor", password="pw-story-1")
    user.groups.add(Group.objects.get(name="editors"))
    editor = _client_with(f"Token {token_for(user)}")
    checked = 0
    slugs = {
        "sources": Source.objects.values_list("slug", flat=True),
        "actors": Actor.objects.values_list("slug", flat=True),
        "events": Event.objects.values_list("slug", flat=True),
        "statements": Statement.objects.values_list("slug", flat=True),
        "pledges": Pledge.objects.values_list("slug", flat=True),
        "places": Place.objects.values_list("slug", flat=True),
    }
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None or path.endswith("/export/"):
            continue
        resource = path.removeprefix("/api/v1/").split("/")[0]
        urls = [path.replace("{slug}", slug) for slug in slugs[resource]] if "{slug}" in path else [path]
        # A value each parameter documents: its first enum value, else one the story answers.
        values, required = {}, {}
        for parameter in operation["parameters"]:
            enum = parameter["schema"].get("enum") or parameter["schema"].get("items", {}).get("enum")
            if parameter["in"] == "query" and (enum or parameter["name"] in VALUES):
                value = enum[0] if enum else VALUES[parameter["name"]]
                (required if parameter.get("required") else values)[parameter["name"]] = value
        # A required parameter (the gazetteer's q) goes with every request, the others one at a time.
        if required:
            urls = [f"{url}?{urlencode(required)}" for url in urls]
        # Reads for editors only (no anonymous security requirement) are read as an editor, after their 401.
        client = api_client if {} in operation["security"] else editor
        if client is editor:
            _check(openapi, api_client.get(urls[0]))
        for url in urls:
            _check(openapi, client.get(url))
            checked += 1
        for name, value in values.items():
            response = client.get(f"{urls[0]}{'&' if required else '?'}{name}={value}")
            assert response.status_code == 200, (urls[0], name, response.content[:300])
            _check(openapi, response)
            checked += 1
    assert checked > 300


@pytest.mark.parametrize(
    ("method", "path", "url"),
    [
        ("get", "/api/v1/events/", "/api/v1/events/?page_size=0"),
        ("get", "/api/v1/events/", "/api/v1/events/?page=99"),
        ("get", "/api/v1/events/{slug}/", "/api/v1/events/nothing/"),
        ("get", "/api/v1/events/export/", "/api/v1/events/export/?format=json"),
        ("post", "/api/v1/events/", "/api/v1/events/"),
        ("get", "/api/v1/statements/", "/api/v1/statements/?actor=nobody"),
    ],
)
def test_errors_match_the_schema(openapi, api_client, story, method, path, url):
    _check(openapi, getattr(api_client, method)(url))


def test_every_export_matches_the_schema(schema, openapi, api_client, story):
    """Each export in each of its formats: the declared text media type, a string body."""
    checked = 0
    for path in schema["paths"]:
        if not path.endswith("/export/"):
            continue
        url = path.replace("{slug}", "united-states")
        for fmt in ("csv", "ndjson"):
            response = api_client.get(f"{url}?format={fmt}")
            assert response.status_code == 200, (url, fmt)
            body = b"".join(response.streaming_content)
            if body:
                response.streaming_content = [body]
                _check(openapi, response)
            else:
                # Nothing to export (no deletions in the story): openapi-core takes an empty body for a missing one,
                # so check by hand that the media type is declared, for a string, which "" is.
                declared = schema["paths"][path]["get"]["responses"]["200"]["content"]
                assert declared[response["Content-Type"].split(";")[0]]["schema"] == {"type": "string"}
            checked += 1
    # The exports of the six lists and two timelines, and the citations of actors, events, statements and pledges.
    assert checked == 2 * (8 + 4)


def _client_with(authorization: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def test_every_answer_of_the_writes_matches_the_schema(openapi, api_client, world):
    """The write story, each answer checked: 201 with ETag and Location, 304, 428, 412, 200 on PUT and PATCH, a
    citation added (201) and removed (204), a pledge's status (201), a re-reported pledge (200), 400, 409, a delete
    (204), and the refusals: 401, 403, 406, 413, 415; then a token issued, refused and revoked."""
    from django.contrib.auth.models import Group, User

    from tests.tokens import token_for

    user = User.objects.create_user("validate-editor", password="pw-validate-1")
    user.groups.add(Group.objects.get(name="editors"))
    editor = _client_with(f"Bearer {token_for(user)}")
    reader = _client_with(f"Token {token_for(User.objects.create_user('validate-reader', password='pw-validate-2'))}")
    login = {"username": "validate-editor", "password": "pw-validate-1"}
    url = "/api/v1/statements/minister-supports-mission/"
    cite = {"source": "other-article", "excerpt": "Hamas rejected disarmament."}
    body = {**STATEMENT, "slug": "minister-supports-mission"}
    gendarmes = "/api/v1/pledges/france-100-gendarmes/"
    status = {"status": "in_progress", "date": "2025-11-20", **cite}
    again = {"slug": "gendarmes-again", "title": "Gendarmes", "category": "police_training", "pledger": "france"}
    again |= {"quantity": 100, "unit": "gendarmes", "date": "2025-11-20"}
    steps = [
        # force: the story already holds a statement of this speaker with this excerpt (a near-duplicate).
        (201, lambda: editor.post("/api/v1/statements/", {**body, "force": True}, format="json")),
        (409, lambda: editor.post("/api/v1/statements/", {**body, "slug": "said-again"}, format="json")),
        # Signed in, a record's tag is its version; an anonymous reader's, the data generation's.
        (304, lambda: reader.get(url, HTTP_IF_NONE_MATCH='"1"')),
        (304, lambda: api_client.get(url, HTTP_IF_NONE_MATCH=api_client.get(url)["ETag"])),
        (428, lambda: editor.put(url, body, format="json")),
        (412, lambda: editor.put(url, body, format="json", HTTP_IF_MATCH='"9"')),
        (200, lambda: editor.put(url, {**body, "medium": "interview"}, format="json", HTTP_IF_MATCH='"1"')),
        (200, lambda: editor.patch(url, {"speaker_role": "minister"}, format="json", HTTP_IF_MATCH='"2"')),
        (201, lambda: editor.post(f"{url}citations/", cite, format="json")),
        (200, lambda: api_client.get(f"{url}citations/")),
        (200, lambda: api_client.get(f"{url}history/")),
        (204, lambda: editor.delete(f"{url}citations/{_citation_id(url)}/", HTTP_IF_MATCH='"4"')),
        (201, lambda: editor.post(f"{gendarmes}status/", status, format="json", HTTP_IF_MATCH='"1"')),
        (200, lambda: editor.post("/api/v1/pledges/", {**again, "citations": [cite]}, format="json")),
        (400, lambda: editor.post("/api/v1/statements/", {**body, "speaker": "nobody"}, format="json")),
        (409, lambda: editor.delete("/api/v1/actors/united-states/", HTTP_IF_MATCH='"1"')),
        (204, lambda: editor.delete(url, HTTP_IF_MATCH='"5"')),
        (401, lambda: _client_with("Bearer stale").get("/api/v1/events/")),
        (403, lambda: reader.post("/api/v1/actors/", {"slug": "x", "name": "X", "kind": "state"}, format="json")),
        (406, lambda: api_client.get("/api/v1/events/", HTTP_ACCEPT="application/xml")),
        (413, lambda: editor.post("/api/v1/actors/", {"name": "x" * 3_000_000}, format="json")),
        (415, lambda: editor.post("/api/v1/actors/", "name=X", content_type="text/plain")),
        (200, lambda: api_client.post("/api/v1/auth/token/", login, format="json")),
        (400, lambda: api_client.post("/api/v1/auth/token/", {**login, "password": "wrong"}, format="json")),
        (204, lambda: editor.post("/api/v1/auth/token/revoke/")),
    ]
    for status_code, call in steps:
        response = call()
        assert response.status_code == status_code, (response.wsgi_request.path, response.content[:500])
        _check(openapi, response)


def _citation_id(url: str) -> int:
    from rest_framework.test import APIClient

    return APIClient().get(f"{url}citations/").json()[-1]["id"]


def _body(change):
    def spoil(response) -> None:
        body = response.json()
        change(body)
        response.content = json.dumps(body).encode()

    return spoil


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_body(lambda b: b.update(internal_id=1)), id="an undeclared property"),
        pytest.param(_body(lambda b: b.pop("slug")), id="a required property missing"),
        pytest.param(_body(lambda b: b.update(version="1")), id="a string for an integer"),
        pytest.param(_body(lambda b: b.update(title=None)), id="null where null is not allowed"),
        pytest.param(_body(lambda b: b.update(status="maybe")), id="a value outside the enum"),
        pytest.param(_body(lambda b: b.update(created_at="yesterday")), id="a malformed date-time"),
        pytest.param(_body(lambda b: b["pledger"].update(kind=3)), id="a nested object's wrong type"),
        pytest.param(lambda r: setattr(r, "status_code", 418), id="an undeclared status"),
        pytest.param(lambda r: r.__setitem__("Content-Type", "text/html"), id="an undeclared media type"),
    ],
)
def test_the_validator_refuses_what_the_schema_does_not_describe(openapi, api_client, world, spoil):
    """The check above can fail: a real response passes, and each kind of departure from the schema is refused."""
    response = api_client.get("/api/v1/pledges/france-100-gendarmes/")
    _check(openapi, response)
    spoil(response)
    with pytest.raises(OpenAPIError):
        _check(openapi, response)


def test_every_group_key_of_every_aggregate_matches_the_schema(schema, openapi, api_client, story):
    """Each aggregate grouped by each of its keys alone and by all of them at once, with a date filter."""
    checked = 0
    for path, operations in schema["paths"].items():
        if not path.endswith("/aggregate/"):
            continue
        group_by = next(p for p in operations["get"]["parameters"] if p["name"] == "group_by")
        keys = group_by["schema"]["items"]["enum"]
        for query in [*(f"group_by={key}" for key in keys), f"group_by={','.join(keys)}&date_after=2025-11-01"]:
            response = api_client.get(f"{path}?{query}&page_size=3")
            assert response.status_code == 200, (path, query, response.content[:300])
            _check(openapi, response)
            checked += 1
    assert checked == 3 + 6 + 7 + 9
