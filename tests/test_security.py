"""OWASP API Security Top 10 (2023): the items that apply to tracker, each test naming the item it covers.

Also covered elsewhere: API2 wrong and deactivated tokens (test_writes), API3 mass assignment (test_writes),
API4 page caps, body size and related-value caps (test_bad_input, test_writes), API8 `check --deploy`
(test_settings), API9 the schema (test_schema)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.errors import error_fields

pytestmark = pytest.mark.django_db

RESOURCES = {
    "actors": ("actor", "/api/v1/actors/france/"),
    "events": ("event", "/api/v1/events/brussels-meeting/"),
    "pledges": ("pledge", "/api/v1/pledges/france-100-gendarmes/"),
    "statements": ("statement", "/api/v1/statements/barrot-supports-mission/"),
    "sources": ("source", "/api/v1/sources/other-article/"),
}


def _client_with(*codenames: str) -> APIClient:
    user = User.objects.create_user(f"user-{'-'.join(codenames) or 'none'}", password="pw-user-1")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="events", codename__in=codenames))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_api1_api5_every_write_checks_the_models_permission(world, resource):
    """API1/API5 (object- and function-level authorisation): an account allowed to change actors only is refused
    every write on the other resources, and deleting needs the delete permission, not just change."""
    model, url = RESOURCES[resource]
    client = _client_with("change_actor", "view_actor")
    etag = client.get(url)["ETag"]
    writes = [
        client.post(f"/api/v1/{resource}/", {"slug": "x"}, format="json"),
        client.patch(url, {"description": "x"}, format="json", HTTP_IF_MATCH=etag),
        client.put(url, {"title": "x"}, format="json", HTTP_IF_MATCH=etag),
        client.delete(url, HTTP_IF_MATCH=etag),
    ]
    if resource != "sources":
        writes.append(client.post(url + "citations/", {"source": "other-article", "excerpt": "x"}, format="json"))
    statuses = [response.status_code for response in writes]
    if resource == "actors":
        # change_actor lets the PATCH through (200); the PUT then reaches the version check (412: the PATCH moved
        # the ETag) and the citation its validation (400: not verbatim); POST needs add_actor, DELETE delete_actor.
        assert statuses == [403, 200, 412, 403, 400]
    else:
        assert statuses == [403] * len(statuses)


def test_api2_admin_login_is_rate_limited(client, db, settings):
    """API2 (broken authentication): after five failed admin logins the account is locked out from that address,
    even with the right password."""
    settings.AXES_ENABLED = True
    User.objects.create_user("editor", password="right-password-1", is_staff=True)
    attempts = [
        client.post("/admin/login/?next=/admin/", {"username": "editor", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert attempts == [200, 200, 200, 200, 429]
    locked = client.post("/admin/login/?next=/admin/", {"username": "editor", "password": "right-password-1"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_api2_token_endpoint_is_rate_limited_too(db, settings):
    """API2: the token endpoint goes through the same lockout, so passwords cannot be guessed through it."""
    settings.AXES_ENABLED = True
    User.objects.create_user("script", password="right-password-1")
    client = APIClient()
    for _ in range(5):
        assert client.post("/api/v1/auth/token/", {"username": "script", "password": "no"}).status_code == 400
    locked = client.post("/api/v1/auth/token/", {"username": "script", "password": "right-password-1"})
    assert locked.status_code == 400
    assert locked.json()["errors"] == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_api3_no_excessive_data_exposure(api_client, world):
    """API3 (object property level): internal columns and accounts never appear in responses."""
    User.objects.create_user("secret-user", password="pw-secret-1")
    for url in ("/api/v1/actors/", "/api/v1/events/", "/api/v1/sources/other-article/", "/api/v1/timeline/"):
        text = api_client.get(url).content.decode()
        assert "search_text" not in text
        assert "secret-user" not in text
        assert "password" not in text
    assert api_client.get("/api/v1/users/").status_code == 404


def test_api4_anonymous_and_authenticated_clients_are_throttled(world, monkeypatch):
    """API4 (unrestricted resource consumption): past their rate, anonymous and authenticated clients get a JSON
    429 with Retry-After. (The rates come from DJANGO_THROTTLE_ANON / DJANGO_THROTTLE_USER.)"""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "5/minute"})
    cache.clear()
    try:
        anonymous = APIClient()
        assert [anonymous.get("/api/v1/actors/").status_code for _ in range(4)] == [200, 200, 200, 429]
        response = anonymous.get("/api/v1/actors/")
        assert response.json()["code"] == "throttled"
        assert int(response["Retry-After"]) > 0
        user = _client_with()
        assert [user.get("/api/v1/actors/").status_code for _ in range(6)] == [200] * 5 + [429]
    finally:
        cache.clear()


def test_api8_cors_reads_open_writes_closed(api_client, world):
    """API8 (security misconfiguration): any origin may read the API from a browser; no origin may write."""
    read = api_client.get("/api/v1/actors/", HTTP_ORIGIN="https://tool.example.org")
    assert read["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in read
    preflight = api_client.options(
        "/api/v1/actors/",
        HTTP_ORIGIN="https://tool.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    allowed = {m.strip() for m in preflight["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}
    admin = api_client.get("/admin/login/", HTTP_ORIGIN="https://tool.example.org")
    assert "Access-Control-Allow-Origin" not in admin


def test_api8_errors_never_leak_internals(api_client, world, monkeypatch):
    """API8: an unexpected failure in a view is a JSON 500 with no stack trace, query or setting."""
    from events.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(views.EventViewSet, "get_queryset", boom)
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/events/")
    assert response.status_code == 500
    assert error_fields(response, 500) == {
        "status": 500,
        "code": "server_error",
        "detail": "Internal server error.",
        "errors": {},
    }
