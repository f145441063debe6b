"""Repeated reads: 304 from the data generation's ETag before any SQL, and the shared response cache for anonymous
GETs (events/api/conditional.py). Each test runs on local memory and again on Redis, as production shares it."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import dates
from events.api import conditional
from events.generation import GENERATION_KEY, current_generation, seeded
from events.models import Actor, Event
from events.services import record_update
from tracker import replicas

REDIS_URL = "redis://127.0.0.1:6379/13"
GENERATION_TAG = re.compile(r'^"g[0-9]+-[0-9a-f]{12}"$')
READS = [
    "/api/v1/events/",
    "/api/v1/events/?actor=france&ordering=-date",
    "/api/v1/events/?search=meeting",
    "/api/v1/timeline/",
    "/api/v1/actors/france/timeline/",
    "/api/v1/events/aggregate/?group_by=year",
    "/api/v1/events/brussels-meeting/history/",
]
EXPORTS = ["/api/v1/events/export/?format=csv", "/api/v1/timeline/export/?format=csv"]


@pytest.fixture(params=["locmem", "redis"], autouse=True)
def shared_cache(request, settings):
    """Both backends: local memory (the embedded default) and Redis (production's shared cache)."""
    if request.param == "redis":
        redis = pytest.importorskip("redis")
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis at 127.0.0.1:6379")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    cache.clear()
    yield request.param
    cache.clear()


def _queries(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
        if response.streaming:
            # An export reads its rows while it streams.
            response.body = b"".join(response.streaming_content)
    return response, len(queries)


def _stored(url: str, **headers) -> bool:
    from django.test import RequestFactory

    return cache.get(conditional.ENTRY_KEY.format(conditional.digest(RequestFactory().get(url, **headers)))) is not None


@pytest.mark.parametrize("url", READS + EXPORTS)
def test_anonymous_reads_carry_a_generation_etag_and_answer_304_with_no_query(api_client, world, url):
    response = api_client.get(url)
    assert response.status_code == 200
    assert GENERATION_TAG.match(response["ETag"])
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert {"Accept", "Authorization", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    again, queries = _queries(api_client, url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert (again.status_code, queries, again.content) == (304, 0, b"")
    assert again["ETag"] == response["ETag"]
    assert again["Cache-Control"] == "public, max-age=0, must-revalidate"
    # Weak comparison, and a list of tags.
    weak, _ = _queries(api_client, url, HTTP_IF_NONE_MATCH=f'"other", W/{response["ETag"]}')
    assert weak.status_code == 304


@pytest.mark.parametrize("url", READS + ["/api/v1/actors/france/", "/api/v1/events/?format=json"])
def test_a_repeated_anonymous_read_is_answered_from_the_cache_byte_for_byte(api_client, world, url):
    first, computed = _queries(api_client, url)
    assert computed > 0
    second, queries = _queries(api_client, url)
    assert queries == 0
    assert second.status_code == 200
    assert second.content == first.content
    for header in ("Content-Type", "ETag", "Cache-Control", "X-Frame-Options", "Allow"):
        assert second.get(header) == first.get(header), header


def test_the_query_is_normalised_by_name_but_each_names_values_keep_their_order(api_client, world):
    first = api_client.get("/api/v1/events/?actor=france&ordering=-date")
    swapped, queries = _queries(api_client, "/api/v1/events/?ordering=-date&actor=france")
    assert (queries, swapped["ETag"], swapped.content) == (0, first["ETag"], first.content)
    one = api_client.get("/api/v1/events/?fields=slug&fields=title")
    other = api_client.get("/api/v1/events/?fields=title&fields=slug")
    assert one["ETag"] != other["ETag"]


@pytest.mark.parametrize("write", ["api", "service", "model"])
def test_every_write_retires_cached_answers_and_their_etags(api_client, editor, world, write):
    url = "/api/v1/events/?search=meeting"
    before = api_client.get(url)
    assert before.json()["results"][0]["title"] == "Brussels meeting"
    event = Event.objects.get(slug="brussels-meeting")
    if write == "api":
        response = editor.patch(
            "/api/v1/events/brussels-meeting/",
            {"title": "Brussels meeting of ministers"},
            format="json",
            HTTP_IF_MATCH=f'"{event.version}"',
        )
        assert response.status_code == 200, response.content
    elif write == "service":
        record_update(record=event, changes={"title": "Brussels meeting of ministers"}, expected_version=event.version)
    else:
        event.title = "Brussels meeting of ministers"
        event.save()
    stale, queries = _queries(api_client, url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert stale.status_code == 200
    assert queries > 0
    assert stale["ETag"] != before["ETag"]
    assert stale.json()["results"][0]["title"] == "Brussels meeting of ministers"


def test_signed_in_answers_are_private_untagged_and_never_shared(api_client, editor, world):
    url = "/api/v1/events/brussels-meeting/history/"
    event = Event.objects.get(slug="brussels-meeting")
    edited = editor.patch(
        url.removesuffix("history/"), {"title": "Met"}, format="json", HTTP_IF_MATCH=f'"{event.version}"'
    )
    assert edited.status_code == 200
    anonymous = api_client.get(url)
    signed_in, queries = _queries(editor, url)
    assert queries > 0
    assert signed_in["Cache-Control"] == "private, no-cache"
    assert "ETag" not in signed_in
    assert signed_in.content != anonymous.content  # editors see usernames
    # Nor is the signed-in answer stored for anyone: the anonymous reader still gets its own.
    editor.get(url)
    assert api_client.get(url).content == anonymous.content


def test_a_forced_user_is_signed_in_too(world, django_user_model):
    """DRF's force_authenticate sets no header: the answer must still not reach the anonymous."""
    from rest_framework.test import APIClient

    user = django_user_model.objects.create_user("reader")
    forced = APIClient()
    forced.force_authenticate(user)
    response = forced.get("/api/v1/events/")
    assert response["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response
    _, queries = _queries(APIClient(), "/api/v1/events/")
    assert queries > 0


def test_a_session_cookie_skips_the_cache(client, world):
    client.get("/api/v1/events/")
    client.cookies["sessionid"] = "not-a-session"
    response, queries = _queries(client, "/api/v1/events/")
    assert queries > 0
    assert "ETag" not in response


def test_an_empty_session_cookie_is_not_served_a_public_answer(client, world):
    """The session middleware answers an empty session cookie by deleting it: an answer that sets a cookie is not
    one that proxies may keep, and a stored answer is not served with one."""
    client.get("/api/v1/events/")
    assert _stored("/api/v1/events/")
    client.cookies["sessionid"] = ""
    response, queries = _queries(client, "/api/v1/events/")
    assert queries > 0
    assert "ETag" not in response
    assert not response["Cache-Control"].startswith("public")


@pytest.mark.parametrize("revalidate", [False, True])
def test_a_stored_answer_that_gains_a_cookie_on_the_way_out_is_never_public(client, world, revalidate):
    """The CSRF middleware replaces a malformed csrftoken cookie on any request, after the stored answer (or the 304)
    was chosen: that answer is the client's own. A 304 keeps its tag; a 200 loses it, as on a miss."""
    first = client.get("/api/v1/events/")
    assert _stored("/api/v1/events/")
    client.cookies["csrftoken"] = "abc"
    headers = {"HTTP_IF_NONE_MATCH": first["ETag"]} if revalidate else {}
    response, queries = _queries(client, "/api/v1/events/", **headers)
    assert queries == 0
    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == conditional.PRIVATE
    assert response.status_code == (304 if revalidate else 200)
    assert ("ETag" in response) == revalidate


def test_an_empty_session_cookie_gets_no_record_version_it_could_never_revalidate(client, world):
    response = client.get("/api/v1/actors/france/", HTTP_COOKIE="sessionid=")
    assert response.status_code == 200
    assert "ETag" not in response
    assert response["Cache-Control"] == conditional.PRIVATE


@pytest.mark.parametrize("url", ["/api/v1/events/nobody/", "/api/v1/events/?date_from=never", "/api/v1/nothing/"])
def test_errors_are_neither_cached_nor_tagged(api_client, world, url):
    first = api_client.get(url)
    assert first.status_code >= 400
    assert first["Cache-Control"] == "no-store"
    assert "ETag" not in first
    assert not _stored(url)


@pytest.mark.parametrize("url", [*EXPORTS, "/api/v1/events/export/?format=ndjson"])
def test_exports_and_html_are_tagged_but_never_stored(api_client, world, url):
    first, _ = _queries(api_client, url)
    assert GENERATION_TAG.match(first["ETag"])
    again, queries = _queries(api_client, url)
    assert again.status_code == 200
    assert queries > 0
    assert not _stored(url)


def test_the_accept_header_is_part_of_the_key(api_client, world):
    as_json = api_client.get("/api/v1/events/", HTTP_ACCEPT="application/json")
    indented = api_client.get("/api/v1/events/", HTTP_ACCEPT="application/json; indent=2")
    assert as_json["ETag"] != indented["ETag"]
    assert indented.content != as_json.content
    assert api_client.get("/api/v1/events/", HTTP_ACCEPT="application/json").content == as_json.content
    assert api_client.get("/api/v1/events/", HTTP_ACCEPT="application/json; indent=2").content == indented.content


def test_the_host_and_scheme_are_part_of_the_key(api_client, world, settings):
    """Answers hold absolute URLs: one host's answer is never served to another, and a host outside ALLOWED_HOSTS
    is refused before anything is stored."""
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]
    here = api_client.get("/api/v1/events/")
    there = api_client.get("/api/v1/events/", HTTP_HOST="mirror.example")
    secure = api_client.get("/api/v1/events/", secure=True)
    assert len({here["ETag"], there["ETag"], secure["ETag"]}) == 3
    assert "http://mirror.example/" in there.json()["results"][0]["api_url"]
    assert "https://testserver/" in secure.json()["results"][0]["api_url"]
    assert "http://testserver/" in api_client.get("/api/v1/events/").json()["results"][0]["api_url"]
    evil = api_client.get("/api/v1/events/", HTTP_HOST="evil.example")
    assert evil.status_code == 400
    assert evil["Content-Type"] == "application/problem+json"
    assert "evil.example" not in api_client.get("/api/v1/events/").content.decode()


def test_no_cache_reads_past_a_change_made_outside_the_services(api_client, world):
    """An update() sends no signal and advances no generation: the cached answer stays until it expires, unless the
    request asks for a fresh one, which also refreshes what is stored."""
    url = "/api/v1/events/brussels-meeting/"
    first = api_client.get(url)
    Event.objects.filter(slug="brussels-meeting").update(title="Edited by hand")
    assert api_client.get(url).content == first.content
    fresh, queries = _queries(api_client, url, HTTP_CACHE_CONTROL="no-cache")
    assert queries > 0
    assert fresh.json()["title"] == "Edited by hand"
    assert api_client.get(url).json()["title"] == "Edited by hand"
    pragma, queries = _queries(api_client, url, HTTP_PRAGMA="no-cache", HTTP_IF_NONE_MATCH=fresh["ETag"])
    assert queries > 0


def test_the_cache_can_be_turned_off_and_etags_still_answer(api_client, world, settings):
    settings.TRACKER_RESPONSE_CACHE = False
    first = api_client.get("/api/v1/events/")
    again, queries = _queries(api_client, "/api/v1/events/")
    assert queries > 0
    assert again.content == first.content
    not_modified, queries = _queries(api_client, "/api/v1/events/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert (not_modified.status_code, queries) == (304, 0)


def test_answers_over_the_size_bound_are_not_stored(api_client, world, settings):
    settings.TRACKER_RESPONSE_CACHE_MAX_BYTES = 100
    api_client.get("/api/v1/events/")
    _, queries = _queries(api_client, "/api/v1/events/")
    assert queries > 0


def test_a_replica_behind_the_newest_write_is_neither_stored_nor_tagged(api_client, world, monkeypatch):
    monkeypatch.setattr(replicas, "cache_may_store", lambda: False)
    response = api_client.get("/api/v1/events/")
    assert "ETag" not in response
    assert response["Cache-Control"] == "no-cache"
    _, queries = _queries(api_client, "/api/v1/events/")
    assert queries > 0


def test_the_change_feed_is_neither_cached_nor_tagged(api_client, world):
    first = api_client.get("/api/v1/changes/")
    assert first.status_code == 200
    assert "ETag" not in first
    assert first["Cache-Control"] == "no-cache"
    _, queries = _queries(api_client, "/api/v1/changes/")
    assert queries > 0


def test_the_date_is_part_of_the_tag(api_client, world, monkeypatch):
    """Whether a pledge is overdue changes with the date, not with a write."""
    today = api_client.get("/api/v1/pledges/?overdue=true")
    monkeypatch.setattr(dates, "today_utc", _tomorrow)
    tomorrow, queries = _queries(api_client, "/api/v1/pledges/?overdue=true", HTTP_IF_NONE_MATCH=today["ETag"])
    assert tomorrow.status_code == 200
    assert queries > 0
    assert tomorrow["ETag"] != today["ETag"]


def _tomorrow():
    import datetime

    return datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=1)


def test_the_generation_is_seeded_from_the_clock_and_a_lost_one_starts_higher(api_client, world):
    cache.delete(GENERATION_KEY)
    first = current_generation()
    assert first >= seeded() - 10_000_000  # microseconds: within ten seconds of now
    etag = api_client.get("/api/v1/events/")["ETag"]
    cache.delete(GENERATION_KEY)  # evicted, flushed, or a restarted cache
    assert current_generation() > first
    again = api_client.get("/api/v1/events/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200


def test_a_write_outside_a_request_seeds_the_generation_too(db):
    cache.delete(GENERATION_KEY)
    Actor.objects.create(slug="nobody", name="Nobody", kind="state")
    assert current_generation() >= seeded() - 10_000_000


def test_a_hit_skips_the_view_but_not_the_outer_security_headers(api_client, world):
    first = api_client.get("/api/v1/events/")
    second = api_client.get("/api/v1/events/", HTTP_ORIGIN="http://elsewhere.example")
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert second.get(header) == first.get(header), header
    assert not_modified_headers(api_client, first["ETag"]) >= {"X-Frame-Options", "Content-Security-Policy"}


def not_modified_headers(api_client, etag) -> set[str]:
    response = api_client.get("/api/v1/events/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    return {name for name, _ in response.items()}


def test_entries_are_stored_with_their_generation(api_client, world):
    from django.test import RequestFactory

    api_client.get("/api/v1/events/")
    # The key of /api/v1/events/ as the test client asks for it.
    entry = cache.get(conditional.ENTRY_KEY.format(conditional.digest(RequestFactory().get("/api/v1/events/"))))
    assert entry["generation"] == current_generation()
    assert entry["status"] == 200


def test_an_anonymous_record_is_tagged_by_the_generation_since_it_shows_related_records(api_client, editor, world):
    """An event shows its participants' names: renaming an actor leaves the event's version alone, so the version
    cannot tell an anonymous reader's copy is stale; the generation's tag can."""
    url = "/api/v1/events/brussels-meeting/"
    before = api_client.get(url)
    assert GENERATION_TAG.match(before["ETag"])
    assert api_client.get(url, HTTP_IF_NONE_MATCH='"1"').status_code == 200  # a version is no anonymous tag
    us = Actor.objects.get(slug="united-states")
    renamed = editor.patch(
        "/api/v1/actors/united-states/", {"name": "USA"}, format="json", HTTP_IF_MATCH=f'"{us.version}"'
    )
    assert renamed.status_code == 200
    after = api_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert "USA" in {p["actor"]["name"] for p in after.json()["participants"]}
    # Signed in, the record's tag is its version, for If-Match.
    signed_in = editor.get(url)
    assert signed_in["ETag"] == f'"{Event.objects.get(slug="brussels-meeting").version}"'
    assert signed_in["Cache-Control"] == "private, no-cache"
    assert editor.get(url, HTTP_IF_NONE_MATCH=signed_in["ETag"]).status_code == 304


def test_a_renamed_account_retires_the_histories_that_name_it(api_client, editor, world, django_user_model):
    """Histories show who made each change: renaming (or removing the name of) an account changes them."""
    event = Event.objects.get(slug="brussels-meeting")
    assert (
        editor.patch(
            "/api/v1/events/brussels-meeting/", {"title": "Met"}, format="json", HTTP_IF_MATCH=f'"{event.version}"'
        ).status_code
        == 200
    )
    url = "/api/v1/events/brussels-meeting/history/"
    before = api_client.get(url)
    user = django_user_model.objects.get(username="editor")
    user.first_name, user.last_name = "Ed", "Itor"
    user.save()
    after = api_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert "Ed Itor" in after.content.decode()
    # A login saves last_login alone, which no answer shows: the cache stays.
    from django.contrib.auth.models import update_last_login

    update_last_login(None, user)
    assert api_client.get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_an_html_answer_with_a_csrf_cookie_is_never_public(world, settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.get("/api/v1/events/?format=api")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response
    record = client.get("/api/v1/events/brussels-meeting/?format=api")
    assert "csrftoken" in record.cookies
    assert "ETag" not in record  # not even the record's version, which is a signed-in client's tag


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/events/brussels-meeting/"),
        ("delete", "/api/v1/events/brussels-meeting/"),
        ("post", "/api/v1/events/"),
        ("get", "/api/v2/events/"),
        ("get", "/api/"),
    ],
)
def test_every_api_error_is_no_store_whatever_the_method(api_client, world, method, url):
    response = getattr(api_client, method)(url)
    assert response.status_code >= 400
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("url", ["/api/v1/events/", "/api/v1/events/brussels-meeting/", *EXPORTS])
def test_if_none_match_star_matches_any_current_answer(api_client, world, url):
    """RFC 9110, 13.1.2: "*" is 304 where there is an answer, and not where there is none."""
    response, _ = _queries(api_client, url, HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 304
    assert GENERATION_TAG.match(response["ETag"])
    # Again, now that the answer is stored, and by HEAD.
    assert _queries(api_client, url, HTTP_IF_NONE_MATCH="*")[0].status_code == 304
    assert api_client.head(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert api_client.get("/api/v1/events/nobody/", HTTP_IF_NONE_MATCH="*").status_code == 404


@pytest.mark.parametrize("tag", ['"1"', 'W/"1"', "*", '"0", "1"'])
def test_a_signed_in_reader_s_version_tag_compares_weakly_and_star_matches(editor, world, tag):
    assert editor.get("/api/v1/actors/france/", HTTP_IF_NONE_MATCH=tag).status_code == 304
    assert editor.get("/api/v1/actors/nobody/", HTTP_IF_NONE_MATCH=tag).status_code == 404
