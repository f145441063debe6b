"""Repeated anonymous reads without the database (events/api/conditional.py): a 304 from the data generation's ETag
before any query, and hits of the shared response cache; both invalidated by every write, neither ever for a
signed-in client, an error or (for the cache) an export. Each test runs with the embedded default cache (local
memory) and with Redis, the production configuration, when one is reachable."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from events import services
from events.api import conditional
from events.generation import GENERATION_KEY, current_generation, data_changed
from events.models import Actor

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/1"
LIST = "/api/v1/actors/?kind=state&page_size=5"
PUBLIC = "public, max-age=0, must-revalidate"
READS = [
    "/api/v1/actors/",
    "/api/v1/events/?date_after=2025-11-01",
    "/api/v1/statements/?search=support",
    "/api/v1/timeline/",
    "/api/v1/actors/france/timeline/",
    "/api/v1/actors/france/history/",
    "/api/v1/changes/",
    "/api/v1/events/export/",
    "/api/v1/timeline/export/?format=ndjson",
    "/api/v1/events/aggregate/?group_by=event_type",
]


def _redis_reachable() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:
        return False


@pytest.fixture(autouse=True, params=["locmem", "redis"])
def backend(request, settings):
    """The default cache: local memory (the embedded default), then Redis (production's)."""
    if request.param == "redis":
        if not _redis_reachable():
            pytest.skip(f"no Redis at {REDIS_URL}")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    cache.clear()
    yield request.param
    cache.clear()


def _key(response) -> str:
    """The response cache's key for the request a response answered."""
    import hashlib

    normalised = conditional.normalised(response.wsgi_request)
    return conditional.RESPONSE_KEY.format(hashlib.blake2b(normalised.encode(), digest_size=16).hexdigest())


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _signed_in_by_session(db) -> APIClient:
    from django.contrib.auth.models import User

    client = APIClient()
    client.force_login(User.objects.create_user("reader", password="pw-reader-1"))
    return client


@pytest.mark.parametrize("url", READS)
def test_a_304_runs_no_query(api_client, world, url):
    first = api_client.get(url)
    assert first.status_code == 200, first.content[:300]
    assert first["Cache-Control"] == PUBLIC
    assert {"Accept", "Authorization", "Cookie"} <= {v.strip() for v in first["Vary"].split(",")}
    _body(first)
    cache.delete(_key(first))  # not from the response cache: the ETag alone
    with CaptureQueriesContext(connection) as queries:
        again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert len(queries) == 0
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == PUBLIC
    assert "Cookie" in again["Vary"]


def test_if_none_match_compares_weakly_and_takes_lists_and_a_star(api_client, world):
    etag = api_client.get(LIST)["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        assert api_client.get(LIST, HTTP_IF_NONE_MATCH=header).status_code == 304, header
    for header in ('"other"', etag.replace('"g', '"h'), "W/"):
        assert api_client.get(LIST, HTTP_IF_NONE_MATCH=header).status_code == 200, header


def test_a_star_is_not_a_304_where_there_is_nothing(api_client, world):
    """`*` matches a current representation: an error has none, so it is answered as an error."""
    response = api_client.get("/api/v1/actors/nobody/history/", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 404


@pytest.mark.parametrize("url", [u for u in READS if "export" not in u])
def test_a_hit_runs_no_query_and_answers_what_the_miss_did(api_client, world, url):
    miss = api_client.get(url)
    assert miss.status_code == 200
    assert cache.get(_key(miss)) is not None
    with CaptureQueriesContext(connection) as queries:
        hit = api_client.get(url)
    assert len(queries) == 0
    assert hit.status_code == 200
    assert hit.content == miss.content
    assert dict(hit.items()) == dict(miss.items())


def test_a_hit_answers_304_to_its_etag(api_client, world):
    etag = api_client.get(LIST)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert (response.status_code, len(queries)) == (304, 0)
    assert response["Cache-Control"] == PUBLIC


def test_the_query_is_normalised_but_not_emptied(api_client, world):
    """Keys in any order are the same request; a repeated key keeps its order; a blank value is kept as sent,
    so that an error stays an error."""
    first = api_client.get("/api/v1/actors/?kind=state&page_size=5")
    with CaptureQueriesContext(connection) as queries:
        second = api_client.get("/api/v1/actors/?page_size=5&kind=state")
    assert (len(queries), second["ETag"], second.content) == (0, first["ETag"], first.content)
    one = api_client.get("/api/v1/actors/?kind=state&kind=person")
    other = api_client.get("/api/v1/actors/?kind=person&kind=state")
    assert one["ETag"] != other["ETag"]
    api_client.get("/api/v1/actors/")
    blank = api_client.get("/api/v1/actors/?kind=")
    assert blank.status_code == 400


def test_single_records_are_cached_with_their_version_etag(api_client, world):
    miss = api_client.get("/api/v1/actors/turkey/")
    assert (miss["ETag"], miss["Cache-Control"]) == ('"1"', PUBLIC)
    with CaptureQueriesContext(connection) as queries:
        hit = api_client.get("/api/v1/actors/turkey/")
        not_modified = api_client.get("/api/v1/actors/turkey/", HTTP_IF_NONE_MATCH='"1"')
    assert len(queries) == 0
    assert (hit.content, hit["ETag"]) == (miss.content, '"1"')
    assert (not_modified.status_code, not_modified["ETag"]) == (304, '"1"')


def test_a_write_through_the_api_changes_the_etag_and_the_body(api_client, editor, world):
    before = api_client.get(LIST)
    api_client.get(LIST)  # a hit
    changed = editor.patch(
        "/api/v1/actors/turkey/", {"description": "A NATO member."}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert changed.status_code == 200
    stale = api_client.get(LIST, HTTP_IF_NONE_MATCH=before["ETag"])
    assert stale.status_code == 200
    assert stale["ETag"] != before["ETag"]
    assert "A NATO member." in stale.content.decode()
    assert "A NATO member." not in before.content.decode()


def test_a_write_through_a_service_changes_the_etag_and_the_body(api_client, world):
    """The admin and the commands write through the services: their writes invalidate as the API's do."""
    before = api_client.get("/api/v1/actors/turkey/history/")
    export = api_client.get("/api/v1/actors/export/")
    _body(export)
    turkey = Actor.objects.get(slug="turkey")
    services.record_update(record=turkey, changes={"description": "Changed in the admin."}, expected_version=1)
    after = api_client.get("/api/v1/actors/turkey/history/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert len(after.json()["results"]) == len(before.json()["results"]) + 1
    assert api_client.get("/api/v1/actors/export/", HTTP_IF_NONE_MATCH=export["ETag"]).status_code == 200


def test_an_answer_computed_during_a_write_is_not_served_after_its_commit(
    api_client, world, django_capture_on_commit_callbacks
):
    """data_changed advances the generation at once and again on commit: what another request computed in
    between, from the data before the commit, is stored under a generation the commit leaves behind."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        data_changed()
    during = api_client.get(LIST)
    assert cache.get(_key(during))[0] == current_generation()
    for callback in callbacks:
        callback()  # the commit
    with CaptureQueriesContext(connection) as queries:
        after = api_client.get(LIST, HTTP_IF_NONE_MATCH=during["ETag"])
    assert after.status_code == 200
    assert len(queries) > 0


def test_the_generation_starts_from_the_clock_so_a_lost_key_never_matches_again(api_client, world):
    cache.delete(GENERATION_KEY)
    before = time.time_ns() // 1000
    etag = api_client.get(LIST)["ETag"]
    generation = cache.get(GENERATION_KEY)
    assert generation >= before
    data_changed()
    cache.delete(GENERATION_KEY)  # evicted, or a cache restarted
    assert current_generation() > generation
    assert api_client.get(LIST, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # A write that finds the key missing starts it again from the clock too.
    newest = current_generation()
    cache.delete(GENERATION_KEY)
    data_changed()
    assert cache.get(GENERATION_KEY) > newest


@pytest.mark.parametrize("how", ["token", "session"])
def test_signed_in_requests_are_never_served_stored_or_answered_from_the_generation(api_client, editor, world, how):
    client = editor if how == "token" else _signed_in_by_session(None)
    anonymous = api_client.get(LIST)
    assert cache.get(_key(anonymous)) is not None
    with CaptureQueriesContext(connection) as queries:
        signed_in = client.get(LIST, HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert signed_in.status_code == 200
    assert len(queries) > 0
    assert "ETag" not in signed_in
    assert signed_in["Cache-Control"] == "private, no-cache"
    assert {"Accept", "Authorization", "Cookie"} <= {v.strip() for v in signed_in["Vary"].split(",")}
    cache.clear()
    client.get("/api/v1/actors/?kind=person")
    assert [key for key in _stored_keys() if key.startswith("tracker:response:")] == []


def _stored_keys() -> list[str]:
    """The response cache's keys, on either backend."""
    backend = cache._cache if hasattr(cache, "_cache") and isinstance(cache._cache, dict) else None
    if backend is not None:
        return [key.split(":", 2)[2] for key in backend]
    client = cache._cache.get_client()
    return [key.decode().split(":", 2)[2] for key in client.keys("*")]


def test_errors_are_never_stored(api_client, world):
    for url, status in (("/api/v1/actors/?page_size=0", 400), ("/api/v1/actors/nobody/history/", 404)):
        response = api_client.get(url)
        assert response.status_code == status
        assert "no-store" in response["Cache-Control"]
        assert "ETag" not in response
        assert cache.get(_key(response)) is None


def test_exports_are_never_stored_but_answer_304(api_client, world):
    export = api_client.get("/api/v1/events/export/?format=csv")
    assert export.streaming
    _body(export)
    assert export["Cache-Control"] == PUBLIC
    assert cache.get(_key(export)) is None
    with CaptureQueriesContext(connection) as queries:
        again = api_client.get("/api/v1/events/export/?format=csv", HTTP_IF_NONE_MATCH=export["ETag"])
    assert (again.status_code, len(queries)) == (304, 0)


def test_accept_variants_are_kept_apart(api_client, world):
    as_csv = api_client.get("/api/v1/events/export/", HTTP_ACCEPT="text/csv")
    as_ndjson = api_client.get("/api/v1/events/export/", HTTP_ACCEPT="application/x-ndjson")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert as_ndjson["Content-Type"].startswith("application/x-ndjson")
    assert as_csv["ETag"] != as_ndjson["ETag"]
    assert (
        api_client.get(
            "/api/v1/events/export/", HTTP_ACCEPT="text/csv", HTTP_IF_NONE_MATCH=as_ndjson["ETag"]
        ).status_code
        == 200
    )
    # The list stored as JSON is never the answer to a client asking it for CSV: that one is sent to the export.
    assert api_client.get("/api/v1/events/", HTTP_ACCEPT="application/json").status_code == 200
    assert api_client.get("/api/v1/events/", HTTP_ACCEPT="application/json").status_code == 200  # a hit
    assert api_client.get("/api/v1/events/", HTTP_ACCEPT="text/csv").status_code == 308


def test_turning_the_cache_off_stores_nothing_and_keeps_the_304(api_client, world, settings):
    settings.TRACKER_RESPONSE_CACHE = False
    first = api_client.get(LIST)
    assert cache.get(_key(first)) is None
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(LIST).content == first.content
    assert len(queries) > 0
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert len(queries) == 0


def test_a_replica_behind_the_latest_write_does_not_fill(api_client, world, monkeypatch):
    monkeypatch.setattr(conditional.replicas, "cache_may_store", lambda: False)
    response = api_client.get(LIST)
    assert response.status_code == 200
    assert cache.get(_key(response)) is None
    # Its ETag is still the generation read before the view: a 304 for it is as true as for any other.
    assert api_client.get(LIST, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_answers_larger_than_the_limit_are_not_stored(api_client, world, settings):
    settings.TRACKER_RESPONSE_CACHE_MAX_BYTES = 100
    response = api_client.get(LIST)
    assert len(response.content) > 100
    assert cache.get(_key(response)) is None


def test_a_change_feed_still_settling_is_neither_stored_nor_validated(api_client, world, settings):
    """Entries written within the settle window join the page later without a write: no ETag, nothing kept."""
    settings.TRACKER_CHANGES_SETTLE_SECONDS = 3600
    response = api_client.get("/api/v1/changes/")
    assert response.status_code == 200
    assert "ETag" not in response
    assert "no-cache" in response["Cache-Control"]
    assert cache.get(_key(response)) is None


def test_a_cache_hit_is_not_throttled(api_client, world, monkeypatch):
    """SECURITY.md: a hit costs one cache round trip and no query, less than the throttle's own bookkeeping."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "5/minute"})
    assert [api_client.get(LIST).status_code for _ in range(4)] == [200] * 4
    assert api_client.get("/api/v1/actors/?kind=person").status_code == 200
    assert api_client.get("/api/v1/actors/?kind=group").status_code == 429


def test_editors_reads_are_never_answered_from_the_generation(api_client, world):
    """Anyone can compute a generation ETag; an anonymous read of proposals is still a 401."""
    import hashlib

    from django.test import RequestFactory

    url = f"/api/v1/sources/{world['source'].slug}/proposals/"
    normalised = conditional.normalised(RequestFactory().get(url))
    digest = hashlib.blake2b(normalised.encode(), digest_size=16).hexdigest()
    response = api_client.get(url, HTTP_IF_NONE_MATCH=f'"g{current_generation()}-{digest[:12]}"')
    assert response.status_code == 401
