"""OWASP API Security Top 10 (2023): the items that apply to tracker, each test naming the item it covers.

Also covered elsewhere: API2 wrong and deactivated tokens (test_writes), API3 mass assignment (test_writes),
API4 page caps, body size and related-value caps (test_bad_input, test_writes), API8 `check --deploy`
(test_settings), API9 the schema (test_schema)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.errors import error_fields
from tests.tokens import token_for

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
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
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


def test_api4_anonymous_and_authenticated_clients_are_throttled(world, monkeypatch, settings):
    """API4 (unrestricted resource consumption): past their rate, anonymous and authenticated clients get a JSON
    429 with Retry-After. (The rates come from DJANGO_THROTTLE_ANON / DJANGO_THROTTLE_USER.) An anonymous read
    answered from the shared response cache costs no query and is not counted (SECURITY.md): off here."""
    from rest_framework.throttling import SimpleRateThrottle

    settings.TRACKER_RESPONSE_CACHE = False

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


def _throttled_statuses(client: APIClient, forwarded: list[str], monkeypatch) -> list[int]:
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "5/minute"})
    return [client.get("/api/v1/actors/", HTTP_X_FORWARDED_FOR=address).status_code for address in forwarded]


def test_api4_a_spoofed_forwarded_for_does_not_reset_the_anonymous_limit(world, monkeypatch, settings):
    """API4: with no trusted proxy (DJANGO_NUM_PROXIES=0, the default) X-Forwarded-For is ignored, so a client
    sending a new made-up address with each request is still counted once."""
    settings.TRACKER_RESPONSE_CACHE = False
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    spoofed = [f"203.0.113.{n}" for n in range(5)]
    assert _throttled_statuses(APIClient(), spoofed, monkeypatch) == [200, 200, 200, 429, 429]


def test_api4_behind_trusted_proxies_the_client_is_the_address_they_saw(world, monkeypatch, settings):
    """With DJANGO_NUM_PROXIES=1 the address our proxy appended counts, not what the client prepended to it."""
    settings.TRACKER_RESPONSE_CACHE = False
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    forwarded = [f"198.51.100.{n}, 192.0.2.7" for n in range(4)]
    assert _throttled_statuses(APIClient(), forwarded, monkeypatch) == [200, 200, 200, 429]
    other_client = _throttled_statuses(APIClient(), ["198.51.100.1, 192.0.2.8"], monkeypatch)
    assert other_client == [200]


# API2: tokens ------------------------------------------------------------------------------------------------


def _token(username: str = "script") -> tuple[User, str]:
    from django.contrib.auth.models import Group

    user = User.objects.create_user(username, password="pw-script-1")
    user.groups.add(Group.objects.get(name="editors"))
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": "pw-script-1"})
    assert response.status_code == 200, response.content
    return user, response.json()["token"]


def test_api2_tokens_are_stored_as_digests_only(db):
    """The database holds a digest of each token, never the token: a leaked dump or a look at the table does not
    give anyone a working token."""
    from django.db import connection
    from knox.models import AuthToken

    _user, token = _token()
    (stored,) = AuthToken.objects.all()
    assert token not in stored.digest
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        assert not any(token in str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer", "TOKEN"])
def test_api2_token_and_bearer_keywords_both_work(db, world, keyword):
    _user, token = _token()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
    response = client.patch("/api/v1/actors/france/", {"description": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Token not-a-real-token", "Bearer " + "0" * 64, "Token caf\xe9", "Bearer \xff\xfe"],
)
def test_api2_malformed_and_unknown_tokens_are_401(db, header):
    """A bad header is a JSON 401 with a Token challenge, whatever bytes it holds (never a 500)."""
    from tests.errors import assert_error

    response = APIClient().post("/api/v1/actors/", {}, format="json", HTTP_AUTHORIZATION=header)
    assert_error(response, 401)
    assert response["WWW-Authenticate"] == "Token"


def test_api2_tokens_expire(db, world, settings):
    """A token stops working at its expiry (REST_KNOX TOKEN_TTL, from DJANGO_TOKEN_TTL_HOURS)."""
    import datetime

    from django.utils import timezone
    from knox.models import AuthToken

    _user, token = _token()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/actors/", {}, format="json").status_code == 400
    AuthToken.objects.update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert client.post("/api/v1/actors/", {}, format="json").status_code == 401
    assert not AuthToken.objects.exists()  # knox deletes an expired token when it is presented


def test_api2_a_token_can_be_revoked(db):
    """POST /api/v1/auth/token/revoke/ ends the token it is sent with; the account's other tokens keep working."""
    user, token = _token()
    other = APIClient().post("/api/v1/auth/token/", {"username": "script", "password": "pw-script-1"}).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204
    assert client.post("/api/v1/actors/", {}, format="json").status_code == 401
    still = APIClient()
    still.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert still.post("/api/v1/actors/", {}, format="json").status_code == 400
    assert APIClient().post("/api/v1/auth/token/revoke/").status_code == 401


def test_api2_the_admin_never_shows_a_token(admin_client, db):
    """The admin lists who holds tokens and until when, and can revoke them, but shows no token nor any part of one
    (its digest, the primary key, cannot be turned back into it), and cannot create one (which would print it)."""
    from knox.models import AuthToken

    _user, token = _token()
    stored = AuthToken.objects.get()
    changelist = admin_client.get("/admin/knox/authtoken/")
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert "script" in page
    for secret in (token, token[:8], stored.token_key):
        assert secret not in page
    detail = admin_client.get(f"/admin/knox/authtoken/{stored.digest}/change/").content.decode()
    assert token[:8] not in detail
    assert admin_client.get("/admin/knox/authtoken/add/").status_code == 403


def test_api2_the_old_drf_tokens_are_gone(db):
    """DRF's plain-text authtoken app is no longer installed: its tokens stop working (README says so)."""
    from django.conf import settings

    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert "knox" in settings.INSTALLED_APPS


# API8: Content-Security-Policy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/events/", "/api/schema/", "/api/docs/", "/api/redoc/", "/admin/login/"]
)
def test_api8_every_page_carries_a_content_security_policy(client, db, path):
    """Admin, docs and API answer with a policy that loads nothing from elsewhere and runs no inline script
    without this response's nonce."""
    response = client.get(path)
    assert response.status_code == 200
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "http" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/admin/login/", "/api/v1/"])
def test_api8_no_inline_script_runs_without_the_nonce(client, db, path):
    """Every inline script on the docs, the admin and the (local) browsable API carries this response's nonce, or
    there is none: Swagger UI's start-up script is a file of its own (?script)."""
    import re

    response = client.get(path, HTTP_ACCEPT="text/html")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    for attributes in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode()):
        if 'type="application/json"' in attributes:
            continue  # data, which the browser never runs
        assert nonce is not None, (path, attributes)
        assert f'nonce="{nonce.group(1)}"' in attributes, (path, attributes)


def test_api8_swagger_ui_start_up_script_is_served_as_a_file(client, db):
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_api2_only_administrators_see_who_holds_tokens(client, db):
    """A staff account with every view permission (an editor, a viewer) does not list tokens or their digests."""
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(viewer)
    assert client.get("/admin/knox/authtoken/").status_code == 403
