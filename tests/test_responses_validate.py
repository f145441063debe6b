"""Every response of the story validates against the schema, with a strict JSON Schema 2020-12 validator (the
dialect of OpenAPI 3.1): every list (with a value for each filter it documents), every record, every export's
media type, and errors."""

import pytest
from jsonschema import Draft202012Validator

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
    "page_size": "5",
    "page": "1",
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    return APIClient().get("/api/schema/?format=json").json()


def _check(schema: dict, operation: dict, response) -> None:
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, (response.status_code, operation["operationId"])
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in declared.get("content", {}), (media_type, operation["operationId"])
    body = response.json()
    validator = Draft202012Validator(
        {**declared["content"][media_type]["schema"], "components": schema["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, (operation["operationId"], [e.message[:300] for e in errors[:5]])


def test_every_response_of_the_story_matches_the_schema(schema, api_client, story):
    from events.models import Actor, Event, Pledge, Source, Statement

    checked = 0
    slugs = {
        "sources": Source.objects.values_list("slug", flat=True),
        "actors": Actor.objects.values_list("slug", flat=True),
        "events": Event.objects.values_list("slug", flat=True),
        "statements": Statement.objects.values_list("slug", flat=True),
        "pledges": Pledge.objects.values_list("slug", flat=True),
    }
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None or path.endswith("/export/"):
            continue
        resource = path.removeprefix("/api/v1/").split("/")[0]
        urls = [path.replace("{slug}", slug) for slug in slugs[resource]] if "{slug}" in path else [path]
        # A value each parameter documents: its first enum value, else one the story answers.
        values = {}
        for parameter in operation["parameters"]:
            enum = parameter["schema"].get("enum") or parameter["schema"].get("items", {}).get("enum")
            if parameter["in"] == "query" and (enum or parameter["name"] in VALUES):
                values[parameter["name"]] = enum[0] if enum else VALUES[parameter["name"]]
        for url in urls:
            _check(schema, operation, api_client.get(url))
            checked += 1
        for name, value in values.items():
            response = api_client.get(f"{urls[0]}?{name}={value}")
            assert response.status_code == 200, (urls[0], name, response.content[:300])
            _check(schema, operation, response)
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
def test_errors_match_the_schema(schema, api_client, story, method, path, url):
    _check(schema, schema["paths"][path][method], getattr(api_client, method)(url))
