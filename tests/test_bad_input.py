"""Bad input never breaks the API: every case is a 4xx in the one JSON error format, never a 500 or a stack trace.
Each case runs on SQLite and on PostgreSQL (which refuses NUL characters in strings)."""

import json

import pytest
import yaml
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from tests.errors import assert_error

pytestmark = pytest.mark.django_db

LIST_PATHS = [
    "/api/v1/sources/",
    "/api/v1/actors/",
    "/api/v1/events/",
    "/api/v1/pledges/",
    "/api/v1/statements/",
    "/api/v1/timeline/",
    "/api/v1/deleted/",
]


def _schema_parameters() -> list[tuple[str, str]]:
    client = APIClient()
    schema = yaml.safe_load(client.get("/api/schema/").content)
    return sorted(
        (path, parameter["name"])
        for path, operations in schema["paths"].items()
        if "{" not in path and "get" in operations
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query"
    )


def _assert_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = assert_error(response, status)
    assert set(body) == {"type", "title", "status", "code", "detail", "errors"}
    text = json.dumps(body)
    for leak in ("Traceback", "SELECT", "psycopg", "sqlite3"):
        assert leak not in text
    return body


def test_nul_in_every_query_parameter(api_client, world):
    """A NUL byte in any documented query parameter of any list is a 400 naming that parameter."""
    parameters = _schema_parameters()
    assert len(parameters) > 100
    # What an operation requires beside the parameter under test (an aggregate's keys, the gazetteer's query).
    required = {"/aggregate/": {"group_by": "month"}, "/places/suggest/": {"q": "Brussels"}}
    for path, name in parameters:
        extra = next((values for end, values in required.items() if path.endswith(end)), {})
        response = api_client.get(path, {**extra, name: "a\x00b"})
        if name in ("page",):
            _assert_error(response, 404)  # DRF: "Invalid page."
            continue
        assert response.status_code == 400, (path, name, response.content[:300])
        body = _assert_error(response, 400)
        assert name in body["errors"], (path, name, body)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/actors/a%00b/",
        "/api/v1/events/%00/",
        "/api/v1/pledges/%00/history/",
        "/api/v1/actors/%00/relations/",
        "/api/v1/statements/x%00/citations/",
        "/api/v1/actors/../../etc/passwd/",
    ],
)
def test_nul_and_odd_characters_in_path_lookups(api_client, world, path):
    """A path lookup that cannot be a slug is a JSON 404 before any query runs."""
    _assert_error(api_client.get(path), 404)


def test_nul_in_json_strings(editor, world):
    """A NUL byte inside a JSON string is a 400 on the field that carries it; nothing is written."""
    response = editor.post(
        "/api/v1/actors/",
        {"slug": "nul-actor", "name": "Bad\x00Name", "kind": "state", "aliases": ["ok", "bad\x00alias"]},
        format="json",
    )
    body = _assert_error(response, 400)
    assert body["errors"] == {
        "name": ["Null characters are not allowed."],
        "aliases.1": ["Null characters are not allowed."],
    }
    response = editor.post(
        "/api/v1/events/brussels-meeting/citations/", {"source": "source\x00", "excerpt": "x\x00"}, format="json"
    )
    assert set(_assert_error(response, 400)["errors"]) == {"source", "excerpt"}


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("page=0", 404),
        ("page=-1", 404),
        ("page=abc", 404),
        (f"page={10**30}", 404),
        (f"page_size={10**9}", 400),
        ("page_size=-5", 400),
        ("limit=1000000000", 400),
        (f"offset={10**19}", 400),
    ],
)
def test_pagination_abuse(api_client, world, query, status):
    """Absurd pages and sizes are refused, never a full-table dump; limit/offset are not parameters here."""
    _assert_error(api_client.get(f"/api/v1/events/?{query}"), status)


@pytest.mark.parametrize("value", [str(2**63), "1e400", "NaN", "Infinity", "-1", "abc"])
def test_numbers_in_numeric_filters(api_client, world, value):
    """Out-of-range, non-finite and non-integer quantities are a 400 naming the parameter."""
    body = _assert_error(api_client.get("/api/v1/pledges/", {"quantity_min": value}), 400)
    assert list(body["errors"]) == ["quantity_min"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("date_after=2025-02-30", "date_after"),
        ("date_before=99999-01-01", "date_before"),
        ("date_after=2025-12-01&date_before=2025-01-01", "date_before"),
        ("updated_since=2025-13-01T00:00:00Z", "updated_since"),
        ("created_after=2025-01-01T25:00:00Z", "created_after"),
    ],
)
def test_impossible_dates_and_reversed_ranges(api_client, world, query, parameter):
    """Dates that do not exist, and ranges that end before they start, are a 400 naming the parameter."""
    assert list(_assert_error(api_client.get(f"/api/v1/events/?{query}"), 400)["errors"]) == [parameter]


@pytest.mark.parametrize("ordering", ["password", "search_text", "id", "version", "-created_at", "date,secret"])
def test_unknown_and_private_ordering_fields(api_client, world, ordering):
    """Ordering takes only the documented fields; private columns cannot be probed through it."""
    assert list(_assert_error(api_client.get("/api/v1/events/", {"ordering": ordering}), 400)["errors"]) == ["ordering"]


def test_ten_thousand_character_search(api_client, world):
    """A 10,000-character search term is refused at once rather than run."""
    body = _assert_error(api_client.get("/api/v1/statements/", {"search": "w" * 10_000}), 400)
    assert body["errors"] == {"search": ["Ensure this value has at most 200 characters (it has 10000)."]}


def test_malformed_json(editor, world):
    """A body that is not JSON is a 400 parse error."""
    response = editor.post("/api/v1/actors/", data='{"slug": "x", ', content_type="application/json")
    assert _assert_error(response, 400)["code"] == "parse_error"


def test_wrong_content_type_is_415(editor, world):
    """A body in a media type the API does not read (anything but JSON) is a 415; nothing is written."""
    response = editor.post("/api/v1/actors/", data="slug=x", content_type="text/plain")
    body = _assert_error(response, 415)
    assert body["detail"] == 'Unsupported media type "text/plain" in request.'
    form = editor.post("/api/v1/actors/", {"slug": "x", "name": "X", "kind": "state"})  # form-encoded
    assert _assert_error(form, 415)["code"] == "unsupported_media_type"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_body_over_the_size_limit_is_413(editor, world):
    """OWASP API4: a body over the limit is refused with 413 before it is parsed; nothing is written."""
    big = {"slug": "big", "title": "Big", "text": "x" * 20_000, "date": "2025-11-24"}
    body = _assert_error(editor.post("/api/v1/sources/", big, format="json"), 413)
    assert body["detail"] == "The request body is larger than 10000 bytes."
    form = _assert_error(editor.post("/api/v1/auth/token/", {"username": "x" * 20_000, "password": "x"}), 413)
    assert form["code"] == "request_too_large"


@pytest.mark.django_db(transaction=True)
def test_database_down_is_503_and_service_recovers(api_client, monkeypatch):
    """When the database connection is lost the answer is a JSON 503; once the request ends and the database is
    reachable again, the next request works without a restart."""
    from django.db import close_old_connections
    from django.db.backends.utils import CursorWrapper
    from django.db.utils import OperationalError

    if connection.vendor == "postgresql":
        # Kill this very connection from the server side, as a PostgreSQL restart would.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        killer = connection.copy()
        try:
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            killer.close()
    else:

        def down(self, sql, params=None):
            raise OperationalError("unable to open database file")

        monkeypatch.setattr(CursorWrapper, "execute", down)
    body = _assert_error(api_client.get("/api/v1/events/"), 503)
    assert body == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "code": "database_unavailable",
        "detail": "The database is unavailable; try again shortly.",
        "errors": {},
    }
    monkeypatch.undo()
    # What the server does at the end of every request: drop a connection that errored.
    close_old_connections()
    assert api_client.get("/api/v1/events/").status_code == 200


def test_time_zone_offsets_postgresql_refuses_are_converted(api_client, world):
    """A valid ISO time with a large offset is converted to UTC before the query, so PostgreSQL never sees it."""
    response = api_client.get("/api/v1/events/", {"updated_since": "2025-06-11T05:03:36+21:17"})
    assert response.status_code == 200
    body = _assert_error(api_client.get("/api/v1/events/", {"updated_since": "0001-01-01T00:00:00+05:00"}), 400)
    assert body["errors"] == {"updated_since": ["Enter a date/time between the years 1 and 9999 in UTC."]}


def test_citation_id_beyond_bigint_is_404(editor, world):
    """An id larger than any database integer is a 404, not a database error."""
    response = editor.delete(f"/api/v1/events/brussels-meeting/citations/{10**30}/", HTTP_IF_MATCH='"1"')
    _assert_error(response, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/actors/", "/api/v1/timeline/"])
def test_an_empty_format_is_a_400(api_client, path):
    """Schemathesis found `?format=` (empty) silently taken as no format."""
    from tests.errors import assert_error

    assert_error(api_client.get(f"{path}?format="), 400, fields=["format"])
