"""Read replicas: reads of the tracker's data go to a healthy streaming replica, everything else to the primary.

``DATABASE_REPLICA_URLS`` adds one database alias per replica (``replica1``, ``replica2``…; see settings/base.py).
With none configured, no router is installed and nothing here runs.

What goes where:

- Only a request with a safe method (GET, HEAD, OPTIONS) outside the admin reads from a replica, and only the
  ``events`` app's tables. Accounts, tokens, sessions and lockouts are read on the primary, so that a token issued a
  moment ago authenticates at once. Management commands, the shell and anything outside a request use the primary.
- A request with an unsafe method runs wholly on the primary, so it reads what it writes.
- Read-your-writes across requests: after a client's write, the primary's WAL position (``pg_current_wal_lsn()``)
  is kept in the shared cache under a digest of the client's credential (its ``Authorization`` header or session
  cookie). That client's reads stay on the primary until a replica reports a replay position
  (``pg_last_wal_replay_lsn()``) at or past it. A time window would have to guess the lag; the LSN knows it.
- A replica is skipped when it cannot be reached, or when it lags more than ``DATABASE_REPLICA_MAX_LAG_SECONDS``.
  Each process checks each replica at most every ``DATABASE_REPLICA_CHECK_SECONDS`` (one query, or one failed
  connection attempt). A replica that fails during a request is marked down and the request is answered again from
  the primary (``ReplicaMiddleware``), and an export resumes on the primary from its last chunk (renderers.py): no
  client sees an error because a replica went away.
"""

import hashlib
import logging
import random
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
# The apps whose tables are read from replicas: the tracker's records, their history and tombstones.
REPLICATED_APPS = frozenset({"events"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long a client's write position is remembered; replicas within the lag bound have replayed it long before.
MARKER_SECONDS = 300
MARKER_KEY = "tracker:replicas:written:{}"
# The newest write position of all, for caches that must not store a replica's answer from before it.
LATEST_WRITE_KEY = "tracker:replicas:latest-write"

# One query on the replica: where its replay stands, and how far behind the primary it is. A replica that has
# replayed all it received is current (0 s), however long ago the primary last wrote; one still replaying is as old
# as the last transaction it replayed. A server not in recovery (a replica URL pointing at a primary) is current.
STATUS_SQL = """
SELECT
    CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text,
    CASE
        WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    END::float8
"""


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != PRIMARY]


def parse_lsn(text: str | None) -> int | None:
    """A WAL position 'X/Y' (two hex numbers) as one comparable integer."""
    if not text:
        return None
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


# Health --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    usable: bool
    lsn: int | None  # replay position when checked
    lag: float | None  # seconds
    checked: float  # time.monotonic()


_health: dict[str, Health] = {}
_health_lock = threading.Lock()


def health(alias: str, *, now: float | None = None) -> Health:
    """The replica's health as this process last saw it, checked again when older than the check interval."""
    now = time.monotonic() if now is None else now
    known = _health.get(alias)
    if known is not None and now - known.checked < settings.DATABASE_REPLICA_CHECK_SECONDS:
        return known
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(STATUS_SQL)
            lsn, lag = cursor.fetchone()
        known = Health(lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS, parse_lsn(lsn), lag, now)
    except DatabaseError:
        _discard(alias)
        known = Health(False, None, None, now)
    with _health_lock:
        _health[alias] = known
    return known


def mark_down(alias: str) -> None:
    with _health_lock:
        _health[alias] = Health(False, None, None, time.monotonic())
    _discard(alias)


def _discard(alias: str) -> None:
    """Close a broken connection so that the next use reconnects."""
    try:
        connections[alias].close()
    except DatabaseError:
        pass


def primary_lsn() -> int | None:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return parse_lsn(cursor.fetchone()[0])


# Per request ---------------------------------------------------------------------------------------------------


@dataclass
class Reading:
    """Where one request reads: the primary, or one replica chosen at its first read and kept for the rest of it,
    so that a page and its count come from the same server."""

    primary: bool
    written: int | None = None  # the client's last write position, if remembered
    alias: str | None = None
    failed: list[str] = field(default_factory=list)

    def alias_for_read(self) -> str:
        if self.primary:
            return PRIMARY
        if self.alias is None:
            self.alias = self._choose()
        return self.alias

    def _choose(self) -> str:
        candidates = [a for a in replica_aliases() if a not in self.failed]
        random.shuffle(candidates)
        for alias in candidates:
            state = health(alias)
            if state.usable and (self.written is None or (state.lsn is not None and state.lsn >= self.written)):
                return alias
        return PRIMARY

    def fail_over(self) -> bool:
        """After an error on this request's replica: mark it down and read from the primary from now on. False if
        the request was not reading from a replica (the error is the primary's, and is answered as such)."""
        if self.primary or self.alias in (None, PRIMARY):
            return False
        logger.warning("Read replica %s failed; this request reads from the primary.", self.alias)
        mark_down(self.alias)
        self.failed.append(self.alias)
        self.alias = PRIMARY
        return True


_reading: ContextVar[Reading | None] = ContextVar("tracker_reading", default=None)


def current() -> Reading | None:
    return _reading.get()


def fail_over() -> bool:
    reading = current()
    return reading is not None and reading.fail_over()


def cache_may_store() -> bool:
    """Whether what this request read may be stored in a shared cache under the current data generation: read on
    the primary, or on a replica that had replayed the newest write when last checked."""
    reading = current()
    if reading is None or reading.alias in (None, PRIMARY):
        return True
    latest = cache.get(LATEST_WRITE_KEY)
    replayed = health(reading.alias).lsn
    return latest is None or (replayed is not None and replayed >= latest)


def _raise_to(key: str, lsn: int | None) -> None:
    # Not atomic: of two writes finishing at the same moment, the one that sets last may leave the lower position,
    # and for as long as a replica stands between the two, the other write may not yet show there. A client's own
    # writes race so only when it sends them in parallel; the newest write of all, when writers collide.
    if lsn is not None and (cache.get(key) or 0) < lsn:
        cache.set(key, lsn, timeout=MARKER_SECONDS)


def client_key(request) -> str | None:
    """A digest of the request's credential, or None for an anonymous client (which cannot write)."""
    credential = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not credential:
        return None
    return MARKER_KEY.format(hashlib.sha256(credential.encode()).hexdigest())


class ReplicaRouter:
    """Reads of REPLICATED_APPS in a reading request go to its replica; all else to the primary."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        reading = current()
        if reading is None or model._meta.app_label not in REPLICATED_APPS:
            return PRIMARY
        return reading.alias_for_read()

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == PRIMARY


class ReplicaMiddleware:
    """Decides where each request reads (see the module's docstring), and answers a read again from the primary
    when its replica failed during it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        key = client_key(request)
        writing = request.method not in SAFE_METHODS
        primary = writing or request.path.startswith("/admin/")
        written = None if primary or key is None else cache.get(key)
        reading = Reading(primary=primary, written=written)
        token = _reading.set(reading)
        try:
            response = self.get_response(request)
            if reading.failed and response.status_code >= 500 and not response.streaming:
                # The replica went away mid-request (the API answered 503): read it all again on the primary.
                response = self.get_response(request)
            if writing and response.status_code < 500:
                _note_write(key)
        finally:
            _reading.reset(token)
        if response.streaming and not reading.primary:
            response.streaming_content = _within(reading, response.streaming_content)
        return response


def _note_write(key: str | None) -> None:
    """After a write: the position this client's reads wait for, and the newest write of all. Writes by management
    commands pass no request, and are not noted."""
    try:
        lsn = primary_lsn()
    except DatabaseError:
        # The primary went away after answering: the write's own error, if any, was the client's answer.
        return
    _raise_to(LATEST_WRITE_KEY, lsn)
    if key is not None:
        _raise_to(key, lsn)


def _within(reading: Reading, content):
    """Stream ``content`` with this request's reading decision in force, as the view had it: an export reads its
    chunks while it streams, after the middleware has returned."""
    iterator = iter(content)
    while True:
        token = _reading.set(reading)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _reading.reset(token)
        yield chunk
