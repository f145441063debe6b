"""Read replicas (tracker/replicas.py): where each request reads, read-your-writes, and skipping a replica that is
down or lags. tests/replication/ runs the same against a real primary and replica (.ci/replicas.sh)."""

import time

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from events.models import Event
from tracker import replicas
from tracker.replicas import Health, Reading, ReplicaMiddleware, ReplicaRouter

LSN = 0x3_0000_0100


@pytest.fixture
def replica(monkeypatch):
    """One configured replica, alias replica1, whose health the test sets (usable, replayed to LSN)."""
    state = {"replica1": Health(True, LSN, 0.0, time.monotonic())}
    monkeypatch.setattr(replicas, "replica_aliases", lambda: list(state))
    monkeypatch.setattr(replicas, "health", lambda alias, now=None: state[alias])
    monkeypatch.setattr(replicas, "mark_down", lambda alias: state.update({alias: Health(False, None, None, 0.0)}))
    return state


def _in(reading: Reading, model=Event) -> str:
    token = replicas._reading.set(reading)
    try:
        return ReplicaRouter().db_for_read(model)
    finally:
        replicas._reading.reset(token)


def test_lsn_positions_compare_as_numbers():
    assert replicas.parse_lsn("3/100") == LSN
    assert replicas.parse_lsn("0/FFFFFFFF") < replicas.parse_lsn("1/0")
    assert replicas.parse_lsn(None) is None


def test_a_reading_request_reads_the_tracker_data_from_a_healthy_replica(replica):
    assert _in(Reading(primary=False)) == "replica1"
    # Accounts and tokens stay on the primary: a token issued a moment ago must authenticate at once.
    assert _in(Reading(primary=False), User) == "default"


def test_writes_requests_that_write_and_reads_outside_a_request_use_the_primary(replica):
    router = ReplicaRouter()
    assert router.db_for_write(Event) == "default"
    assert _in(Reading(primary=True)) == "default"
    assert router.db_for_read(Event) == "default"  # a command, the shell: no request
    assert router.allow_migrate("replica1", "events") is False
    assert router.allow_migrate("default", "events") is True


def test_a_replica_that_is_down_or_lags_is_skipped(replica):
    replica["replica1"] = Health(False, LSN, 60.0, time.monotonic())
    assert _in(Reading(primary=False)) == "default"
    replica["replica1"] = Health(False, None, None, time.monotonic())
    assert _in(Reading(primary=False)) == "default"


def test_a_writer_reads_from_the_primary_until_the_replica_has_replayed_its_write(replica):
    assert _in(Reading(primary=False, written=LSN + 1)) == "default"
    assert _in(Reading(primary=False, written=LSN)) == "replica1"
    assert _in(Reading(primary=False, written=LSN - 1)) == "replica1"


def test_a_request_keeps_its_replica_and_fails_over_to_the_primary(replica):
    reading = Reading(primary=False)
    assert _in(reading) == "replica1"
    assert reading.fail_over() is True
    assert replica["replica1"].usable is False
    assert _in(reading) == "default"
    assert reading.fail_over() is False  # an error on the primary is the primary's


def test_the_middleware_notes_a_write_for_that_client_and_routes_its_next_read(replica, monkeypatch):
    monkeypatch.setattr(replicas, "primary_lsn", lambda: LSN + 5)
    seen = []

    def view(request):
        seen.append(replicas.current())
        return HttpResponse()

    middleware = ReplicaMiddleware(view)
    factory = RequestFactory()
    middleware(factory.post("/api/v1/actors/", HTTP_AUTHORIZATION="Token abc"))
    assert seen[-1].primary
    middleware(factory.get("/api/v1/actors/", HTTP_AUTHORIZATION="Token abc"))
    assert (seen[-1].primary, seen[-1].written) == (False, LSN + 5)
    assert _in(seen[-1]) == "default"  # the replica is at LSN, behind the write
    middleware(factory.get("/api/v1/actors/", HTTP_AUTHORIZATION="Token other"))
    assert (seen[-1].written, _in(seen[-1])) == (None, "replica1")
    middleware(factory.get("/admin/events/event/"))
    assert seen[-1].primary
    assert replicas.current() is None


def test_an_export_streams_with_its_request_s_reading(replica):
    """A streamed export reads its chunks after the middleware returned: they read where the request did."""

    def chunks():
        yield _in(replicas.current()).encode()

    response = ReplicaMiddleware(lambda request: StreamingHttpResponse(chunks()))(RequestFactory().get("/api/v1/x"))
    assert b"".join(response.streaming_content) == b"replica1"


def test_a_replica_failing_mid_request_is_answered_again_from_the_primary(replica):
    calls = []

    def view(request):
        reading = replicas.current()
        calls.append(_in(reading))
        if calls[-1] == "replica1":
            reading.fail_over()  # what the API's exception handler does with the replica's OperationalError
            return HttpResponse(status=503)
        return HttpResponse("ok")

    response = ReplicaMiddleware(view)(RequestFactory().get("/api/v1/events/"))
    assert (response.status_code, calls) == (200, ["replica1", "default"])


def test_without_replicas_the_middleware_changes_nothing(monkeypatch):
    monkeypatch.setattr(replicas, "replica_aliases", list)

    def view(request):
        assert replicas.current() is None
        return HttpResponse("ok")

    assert ReplicaMiddleware(view)(RequestFactory().get("/api/v1/events/")).content == b"ok"


@pytest.mark.django_db
def test_the_replica_status_query_runs_on_postgresql(settings):
    """The health query itself, on the test database (a primary, so current and at its own WAL position); any other
    database fails it and counts as down."""
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    health = replicas.health("default")
    if connection.vendor == "postgresql":
        assert health.usable
        assert health.lag == 0
        assert health.lsn > 0
    else:
        assert not health.usable
