"""Repeated anonymous reads answered without the database: conditional GET and a shared response cache.

Every anonymous GET under /api/v1/ that is not a single record (lists, a record's history and citations, the
timeline, exports, the change feed, aggregates…) carries an ETag derived from the data generation
(events/generation.py) and the normalised request: scheme and host (absolute links in the body depend on them), path,
query (sorted by key, a repeated key's values in their order, blank values kept) and Accept (content negotiation
changes the body). The same request at the same generation answers the same body, so an ``If-None-Match`` naming that
ETag is answered 304 before the view runs, and before any SQL. Single records keep their version ETags (views.py).

Anonymous 200s (not exports, not streams, not HTML, not with a cookie, not larger than
``TRACKER_RESPONSE_CACHE_MAX_BYTES``) are kept in the default cache (Redis in production) under the same normalised
request, with the generation they were computed under: one ``get_many`` of the generation and the entry answers a
hit, and an entry of another generation is a miss. Every write on any app server advances the generation, so it
invalidates every entry at once. An answer is stored only when ``tracker.replicas.cache_may_store()`` says its
replica had replayed the newest write.

Anonymous means no Authorization header and no session cookie: decided from the request alone, without a query. A
request with either goes the normal way, and its answer is ``private``: a signed-in client may be shown what an
anonymous one is not (usernames in histories), and a shared cache must never hand it on.
"""

import hashlib
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags

from tracker import replicas

from ..generation import GENERATION_KEY, current_generation, seeded

PREFIX = "/api/v1/"
RESPONSE_KEY = "tracker:response:{}"
VARY = ("Accept", "Authorization", "Cookie")
# Kinds of read, from the view that answers it (see read_kind).
GENERATION = "generation"  # the ETag is the data generation's, and a 304 needs no query
RECORD = "record"  # a single record: the view's own version ETag; cached all the same
# The headers a 304 repeats from the 200 it stands for (RFC 9110, 15.4.5).
NOT_MODIFIED_HEADERS = ("ETag", "Cache-Control", "Vary", "Content-Location", "Expires")
# Set on a response by a view whose answer may still change at this generation (the change feed, while entries
# are settling): it gets no ETag and is not stored.
UNSETTLED = "tracker_unsettled"
# On a view whose answers at one generation are equivalent, not byte-equal: its ETag is weak.
WEAK = "weak_etag"


def anonymous(request) -> bool:
    return not request.META.get("HTTP_AUTHORIZATION") and settings.SESSION_COOKIE_NAME not in request.COOKIES


def read_kind(view_func, method: str) -> str | None:
    """How an anonymous read of this view is made conditional: GENERATION, RECORD, or None for views that are not
    the data's (the token endpoints, editors' reads: ``conditional_reads = False`` or ``private_actions``)."""
    cls = getattr(view_func, "cls", None)
    if cls is None or not getattr(cls, "conditional_reads", True):
        return None
    actions = getattr(view_func, "actions", None) or {}
    action = actions.get(method.lower()) or actions.get("get")
    if action in getattr(cls, "private_actions", ()):
        return None
    return RECORD if action == "retrieve" else GENERATION


def normalised(request) -> str:
    """What determines an anonymous answer besides the data: scheme, host, path, query and Accept."""
    query = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    # sorted() is stable: a repeated key keeps its values in the order sent.
    query.sort(key=lambda pair: pair[0])
    accept = request.META.get("HTTP_ACCEPT", "")
    return f"{request.scheme}://{request.get_host()}{request.path}?{urlencode(query)}\n{accept}"


def matches(header: str | None, etag: str | None) -> bool:
    """If-None-Match against an ETag, by weak comparison (RFC 9110, 13.1.2): W/ aside; ``*`` is any ETag."""
    if not header or not etag:
        return False
    tags = parse_etags(header)
    if tags == ["*"]:
        return True
    bare = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == bare for tag in tags)


def not_modified(response_headers) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    for name in NOT_MODIFIED_HEADERS:
        if name in response_headers:
            response.headers[name] = response_headers[name]
    return response


def public(response) -> None:
    """What a shared cache may keep: everyone's copy, revalidated on every use (cheaply, with the ETag)."""
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
    patch_vary_headers(response, VARY)


class ResponseCacheMiddleware:
    """Conditional GET and the shared response cache for anonymous reads under /api/v1/ (see the module).

    Placed after the CORS, CSP and security middleware, so that their headers are added to every answer from here,
    and after ReplicaMiddleware, whose decision ``cache_may_store`` reads; before the rest, which a hit skips.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or not request.path.startswith(PREFIX):
            return self.get_response(request)
        if not anonymous(request):
            response = self.get_response(request)
            if response.status_code >= 400:
                patch_cache_control(response, no_store=True)
            else:
                # Only the client's own cache may keep it, and revalidates it before each use.
                patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, VARY)
            return response
        try:
            digest = hashlib.blake2b(normalised(request).encode(), digest_size=16).hexdigest()
        except DisallowedHost:
            return self.get_response(request)
        key = RESPONSE_KEY.format(digest)
        storing = settings.TRACKER_RESPONSE_CACHE and request.method == "GET"
        if storing:
            found = cache.get_many([GENERATION_KEY, key])
            generation, entry = found.get(GENERATION_KEY), found.get(key)
            if generation is None:
                generation = seeded()
            elif entry is not None and entry[0] == generation:
                return self.hit(request, entry)
        else:
            generation = current_generation()
        etag = f'"g{generation}-{digest[:12]}"'
        request.tracker_conditional = (generation, etag)
        response = self.get_response(request)
        kind = getattr(request, "tracker_read_kind", None)
        if getattr(response, "tracker_not_modified", False):
            return response
        if response.status_code >= 400:
            patch_cache_control(response, no_store=True)
            patch_vary_headers(response, VARY)
            return response
        if kind is None:
            return response
        if response.status_code == 304:
            # A record's own 304 (its version ETag).
            public(response)
            return response
        if response.status_code != 200:
            return response
        if getattr(response, UNSETTLED, False):
            patch_cache_control(response, no_cache=True)
            patch_vary_headers(response, VARY)
            return response
        if kind == GENERATION:
            response.headers["ETag"] = request.tracker_etag
        public(response)
        if matches(request.META.get("HTTP_IF_NONE_MATCH"), response.get("ETag")):
            # Only ``*`` gets here (a tag named would have been answered before the view): there is a current one.
            return not_modified(response)
        if storing and self.storable(response):
            entry = (generation, tuple(response.items()), response.content)
            cache.set(key, entry, timeout=settings.TRACKER_RESPONSE_CACHE_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """After URL resolution, before the view (and any query): a 304 when the client's ETag is current."""
        conditional = getattr(request, "tracker_conditional", None)
        if conditional is None:
            return None
        kind = read_kind(view_func, request.method)
        request.tracker_read_kind = kind
        if kind != GENERATION:
            return None
        etag = conditional[1]
        if getattr(view_func.cls, WEAK, False):
            etag = f"W/{etag}"
        request.tracker_etag = etag
        tags = request.META.get("HTTP_IF_NONE_MATCH")
        if not tags or parse_etags(tags) == ["*"]:
            # ``*`` matches only a representation that exists: the view must answer first.
            return None
        if not matches(tags, etag):
            return None
        response = HttpResponseNotModified()
        response.headers["ETag"] = etag
        public(response)
        response.tracker_not_modified = True
        return response

    @staticmethod
    def storable(response) -> bool:
        return (
            not response.streaming
            and not response.cookies
            and not response.has_header("Set-Cookie")
            and not response.get("Content-Type", "").startswith("text/html")
            and len(response.content) <= settings.TRACKER_RESPONSE_CACHE_MAX_BYTES
            and replicas.cache_may_store()
        )

    @staticmethod
    def hit(request, entry) -> HttpResponse:
        _, headers, content = entry
        response = HttpResponse(content)
        for name, value in headers:
            response.headers[name] = value
        if matches(request.META.get("HTTP_IF_NONE_MATCH"), response.get("ETag")):
            return not_modified(response)
        return response
