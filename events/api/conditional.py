"""Repeated reads answered without the database: ETags from the data generation, and a shared response cache.

Every anonymous GET or HEAD of the API (lists, records, the timeline, exports; not the change feed, whose settle
horizon moves with the clock) is tagged ``"g<generation>-<digest>"``: the data generation (events.generation), which
every write advances on every app server, and a digest of what else the answer depends on, which is the scheme,
host, path, query (sorted by name, each name's values in their order), ``Accept`` header and today's date (UTC; a
pledge becomes overdue with the date, not with a write). ``If-None-Match`` with that tag answers 304 before the view
runs, so before any SQL. Records too: an anonymous reader cannot write, and a record's version (its ETag for a
signed-in client, which writes check in ``If-Match``) does not move when a related record it shows changes.

Anonymous JSON answers of 200 are also kept in the shared cache (Redis in production, local memory in the embedded
default) with the generation they were computed under. The hit is one ``get_many`` of the generation and the entry;
an entry from an older generation is a miss. Never kept: an answer to a signed-in client, an error, an export or
any other format than JSON, an answer that sets a cookie, one over ``TRACKER_RESPONSE_CACHE_MAX_BYTES``, or one read
from a replica that had not replayed the newest write (``tracker.replicas.cache_may_store``), which would otherwise
be stored, or tagged, under a generation its data predates.

A request's ``Cache-Control: no-cache`` (or ``Pragma: no-cache``) skips the hit and the 304, computes the answer
afresh and stores it: the way to read past a change made outside the services (a database edited by hand), as ``check_evidence`` does.

What clients and proxies may keep: anonymous answers ``public, max-age=0, must-revalidate`` (revalidate every time,
cheaply), signed-in answers ``private, no-cache``, errors ``no-store``.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from tracker import replicas

from .. import dates
from ..generation import GENERATION_KEY, current_generation

API_PREFIX = "/api/v1/"
# Not cached and not tagged: token issue and revoke (writes, or signed-in answers), and the change feed, whose
# answer changes with the clock as recent writes settle (its `settled_until`).
EXCLUDED_PREFIXES = ("/api/v1/auth/", "/api/v1/changes/")
READ_METHODS = frozenset({"GET", "HEAD"})
# Stored answers: the API's JSON. The browsable API's HTML carries a CSRF token and the user; CSV, NDJSON and
# GeoJSON are exports, streamed or large, which the issue keeps out of the cache.
STORED_TYPES = ("application/json",)
ENTRY_KEY = "tracker:response:{}"
PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-cache"
NO_STORE = "no-store"
VARY = ("Accept", "Authorization", "Cookie")
# Headers an answer is stored with; the outer middleware (security, CSP, CORS) sets its own on every answer.
SKIPPED_HEADERS = frozenset({"set-cookie", "content-length", "cache-control", "vary", "etag"})


def anonymous(request) -> bool:
    """No credential of any kind: no Authorization header, no session cookie (even an empty one, which the session
    middleware answers by deleting it: an answer that sets a cookie is never public), and no user forced by a test
    client (DRF's force_authenticate sets no header)."""
    return not (
        request.META.get("HTTP_AUTHORIZATION")
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or getattr(request, "_force_auth_user", None) is not None
    )


def asks_fresh(request) -> bool:
    control = request.headers.get("Cache-Control", "").lower()
    return "no-cache" in control or "no-store" in control or "no-cache" in request.headers.get("Pragma", "").lower()


def in_scope(request) -> bool:
    return (
        request.method in READ_METHODS
        and request.path.startswith(API_PREFIX)
        and not request.path.startswith(EXCLUDED_PREFIXES)
    )


def digest(request) -> str:
    """What, besides the data, the answer depends on. get_host() refuses a host outside ALLOWED_HOSTS."""
    query = sorted(request.GET.lists())
    parts = [
        request.scheme,
        request.get_host(),
        request.path,
        repr(query),
        request.headers.get("Accept", ""),
        dates.today_utc().isoformat(),
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def generation_etag(generation: int, key: str) -> str:
    return f'"g{generation}-{key[:12]}"'


def is_generation_etag(tag: str) -> bool:
    """Whether a tag (weak or strong) is one generation_etag made: an anonymous answer's, never a record's version."""
    return tag.removeprefix("W/").startswith('"g')


def matches(request, etag: str, *, exists: bool = False) -> bool:
    """Whether If-None-Match names ``etag`` (weak comparison, as RFC 9110 asks of it), or is "*" and ``exists``:
    only once there is known to be a current answer (a stored one, or the view's) may "*" answer 304, not for a
    record that is gone."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = {tag.removeprefix("W/") for tag in parse_etags(header)}
    return etag.removeprefix("W/") in tags or (exists and "*" in tags)


class Lookup:
    """What the middleware learned of a request before its view ran."""

    def __init__(self, generation: int, key: str):
        self.generation = generation
        self.key = key
        self.etag = generation_etag(generation, key)
        self.hit = False


class ResponseCacheMiddleware:
    """After tracker.replicas.ReplicaMiddleware (which decides where a request reads, and so whether what it read
    may be stored); before the session and authentication middleware, whose work a hit skips."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        if response.status_code >= 400:
            # Whatever the method or version asked for: an error is never kept.
            response["Cache-Control"] = NO_STORE
            return response
        if request.method not in READ_METHODS or not request.path.startswith(API_PREFIX):
            return response
        lookup: Lookup | None = getattr(request, "_tracker_lookup", None)
        if lookup is not None and lookup.hit:
            if response.cookies:
                # A stored answer or a 304 on which an inner middleware set a cookie (the CSRF middleware replaces a
                # malformed csrftoken on any request): the client's own, so never public. A 304 keeps its tag.
                response["Cache-Control"] = PRIVATE
                if response.status_code != 304:
                    del response["ETag"]
            return response
        patch_vary_headers(response, VARY)
        if not anonymous(request) or _signed_in(request) or response.cookies:
            # Signed-in answers may name users (history, the change feed's authors), and an answer that sets a
            # cookie (the browsable API's CSRF token) is the client's own: never shared, never tagged with a
            # generation ETag that an anonymous client could hold. A signed-in client's record keeps its version.
            response["Cache-Control"] = PRIVATE
            if not _signed_in(request) and response.has_header("ETag"):
                # Not signed in (an empty or stale session cookie, or a cookie set on the way out): a record's
                # version is no tag for this reader, who cannot write and whose If-None-Match it would never answer.
                del response["ETag"]
            return response
        if lookup is None or not replicas.cache_may_store():
            # The change feed (see EXCLUDED_PREFIXES), or an answer read on a replica behind the newest write:
            # neither stored nor tagged under a generation its data may predate.
            response["Cache-Control"] = "no-cache"
            if lookup is not None and response.has_header("ETag"):
                del response["ETag"]
            return response
        # Also on a record, in place of its version: the version does not move when a related record the answer
        # shows changes (an actor's name on an event), the generation does. Anonymous readers cannot write, so
        # they never need the version for If-Match.
        response["ETag"] = lookup.etag
        response["Cache-Control"] = PUBLIC
        if _storable(request, response):
            _store(lookup, response)
        if response.status_code == 200 and matches(request, lookup.etag, exists=True):
            # RFC 9110, 13.1.2: "*" matches any current representation.
            return self._not_modified(lookup.etag)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not in_scope(request) or not anonymous(request):
            return None
        key = digest(request)
        entry_key = ENTRY_KEY.format(key)
        fresh = asks_fresh(request)
        stored = settings.TRACKER_RESPONSE_CACHE and not fresh
        found = cache.get_many([GENERATION_KEY, entry_key] if stored else [GENERATION_KEY])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            generation = current_generation()
        lookup = Lookup(generation, key)
        request._tracker_lookup = lookup
        if not fresh and matches(request, lookup.etag):
            lookup.hit = True
            return self._not_modified(lookup.etag)
        entry = found.get(entry_key)
        if entry is None or entry["generation"] != generation:
            return None
        lookup.hit = True
        if matches(request, entry["etag"], exists=True):
            return self._not_modified(entry["etag"])
        response = HttpResponse(entry["content"], status=entry["status"])
        for name, value in entry["headers"]:
            response[name] = value
        response["ETag"] = entry["etag"]
        response["Cache-Control"] = PUBLIC
        patch_vary_headers(response, VARY)
        return response

    @staticmethod
    def _not_modified(etag: str) -> HttpResponseNotModified:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = PUBLIC
        patch_vary_headers(response, VARY)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _storable(request, response) -> bool:
    return (
        settings.TRACKER_RESPONSE_CACHE
        and request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").split(";")[0].strip() in STORED_TYPES
        and len(response.content) <= settings.TRACKER_RESPONSE_CACHE_MAX_BYTES
    )


def _store(lookup: Lookup, response) -> None:
    headers = [(name, value) for name, value in response.items() if name.lower() not in SKIPPED_HEADERS]
    entry = {
        "generation": lookup.generation,
        "status": response.status_code,
        "headers": headers,
        "etag": response["ETag"],
        "content": response.content,
    }
    cache.set(ENTRY_KEY.format(lookup.key), entry, timeout=settings.TRACKER_RESPONSE_CACHE_SECONDS)
