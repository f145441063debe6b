"""Real replication: live servers on a PostgreSQL primary, its streaming replica and a PgBouncer in transaction mode.

`.ci/replicas.sh` builds the pair and the pooler, loads synthetic data on the primary and runs this module with
their URLs in TRACKER_REPLICATION_*; without them (the normal suite) it is skipped. The tests run in file order:
the last one stops the replica.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest

PRIMARY = os.environ.get("TRACKER_REPLICATION_PRIMARY_URL")
REPLICA = os.environ.get("TRACKER_REPLICATION_REPLICA_URL")
POOLER = os.environ.get("TRACKER_REPLICATION_POOLER_URL")
REPLICA_CLUSTER = os.environ.get("TRACKER_REPLICATION_REPLICA_CLUSTER", "")  # "15/ci_replica"

pytestmark = pytest.mark.skipif(
    not (PRIMARY and REPLICA), reason="needs a primary and a replica of our own: bash .ci/replicas.sh"
)

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "replication-test-password-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(**extra: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "tracker.settings.production",
        "DJANGO_SECRET_KEY": "replication-tests-only-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        # One worker process: the read-your-writes positions live in its cache (Redis in production).
        "CACHE_URL": "locmemcache://",
        "DJANGO_THROTTLE_ANON": "100000/minute",
        "DJANGO_THROTTLE_USER": "100000/minute",
        **extra,
    }


class Server:
    def __init__(self, **env: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "tracker.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=_environment(**env),
            stderr=self.errors,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("/api/v1/")
                return
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)

    def request(self, path: str, *, method: str = "GET", token: str | None = None, body: bytes | None = None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Token {token}"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(self, path: str, **kwargs):
        return self.request(path, **kwargs)

    def log(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.errors.close()


def _sql(url: str, query: str, params=()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        return connection.execute(query, params).fetchall()


def _replay(wanted: str) -> None:
    """Wait until the replica has replayed the primary's current position."""
    target = _sql(PRIMARY, "SELECT pg_current_wal_lsn()")[0][0]
    deadline = time.monotonic() + 20
    while _sql(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (str(target),))[0][0] is not True:
        assert time.monotonic() < deadline, f"the replica did not replay {wanted}"
        time.sleep(0.1)


def _ran_on(url: str, marker: str) -> bool:
    """Whether a backend of the server at ``url`` (other than ours) last ran a statement containing ``marker``."""
    rows = _sql(
        url,
        "SELECT application_name FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND position(%s in query) > 0",
        (marker,),
    )
    return bool(rows)


@pytest.fixture(scope="module")
def server():
    live = Server(DATABASE_URL=PRIMARY, DATABASE_REPLICA_URLS=REPLICA, DJANGO_CONN_MAX_AGE="60")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def token(server):
    username = f"replication-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", username, "--email", ""],
        cwd=ROOT,
        env=_environment(DATABASE_URL=PRIMARY, DJANGO_SUPERUSER_PASSWORD=PASSWORD),
        check=True,
    )
    body = f'{{"username": "{username}", "password": "{PASSWORD}"}}'.encode()
    status, answer = server.request("/api/v1/auth/token/", method="POST", body=body)
    assert status == 200, answer

    return json.loads(answer)["token"]


def _new_actor(server, token: str) -> str:
    slug = f"replicated-{uuid.uuid4().hex[:10]}"
    body = f'{{"slug": "{slug}", "name": "Replicated {slug[-10:]}", "kind": "state"}}'.encode()
    status, answer = server.request("/api/v1/actors/", method="POST", token=token, body=body)
    assert status == 201, answer
    return slug


def test_reads_go_to_the_replica(server):
    """An anonymous list is read on the replica, under the replica's application_name, and not on the primary."""
    marker = f"zq{uuid.uuid4().hex[:12]}"
    status, _ = server.get(f"/api/v1/events/?search={marker}")
    assert status == 200
    assert _ran_on(REPLICA, marker)
    assert not _ran_on(PRIMARY, marker)
    names = {name for (name,) in _sql(REPLICA, "SELECT application_name FROM pg_stat_activity")}
    assert "tracker-replica1" in names


def test_writes_go_to_the_primary(server, token):
    slug = _new_actor(server, token)
    assert _sql(PRIMARY, "SELECT count(*) FROM events_actor WHERE slug = %s", (slug,)) == [(1,)]
    _replay("the new actor")
    assert _sql(REPLICA, "SELECT count(*) FROM events_actor WHERE slug = %s", (slug,)) == [(1,)]


def test_a_client_reads_its_own_write_while_the_replica_lags(server, token):
    """With the replica's replay paused, the writer still reads its write (from the primary); once the replica has
    replayed it, the writer's reads go back to the replica."""
    _sql(REPLICA, "SELECT pg_wal_replay_pause()")
    try:
        slug = _new_actor(server, token)
        assert _sql(REPLICA, "SELECT count(*) FROM events_actor WHERE slug = %s", (slug,)) == [(0,)]
        status, answer = server.get(f"/api/v1/actors/{slug}/", token=token)
        assert status == 200, answer
        assert slug.encode() in answer
        status, answer = server.get("/api/v1/actors/?ordering=-updated_at&page_size=1", token=token)
        assert status == 200
        assert slug.encode() in answer
    finally:
        _sql(REPLICA, "SELECT pg_wal_replay_resume()")
    _replay("the writer's actor")
    marker = f"zq{uuid.uuid4().hex[:12]}"
    deadline = time.monotonic() + 10
    while True:
        assert server.get(f"/api/v1/actors/?search={marker}", token=token)[0] == 200
        if _ran_on(REPLICA, marker):
            break
        assert time.monotonic() < deadline, "the writer's reads never went back to the replica"
        time.sleep(0.3)


@pytest.mark.skipif(not POOLER, reason="needs a PgBouncer of our own: bash .ci/replicas.sh")
def test_exports_stream_through_a_transaction_pooler(server):
    """Behind PgBouncer in transaction mode (server-side cursors off, as the README says), the timeline's export of
    some four thousand rows streams whole, and equals the export read directly from the replica."""
    pooled = Server(DATABASE_URL=POOLER, DATABASE_DISABLE_SERVER_SIDE_CURSORS="true", DJANGO_CONN_MAX_AGE="0")
    try:
        status, through_pooler = pooled.get("/api/v1/timeline/export/?format=ndjson")
    finally:
        pooled.stop()
    assert status == 200
    status, direct = server.get("/api/v1/timeline/export/?format=ndjson")
    assert status == 200
    expected = sum(
        count
        for (count,) in _sql(
            PRIMARY,
            "SELECT count(*) FROM events_event UNION ALL SELECT count(*) FROM events_pledge UNION ALL SELECT count(*) FROM events_statement",
        )
    )
    assert expected >= 4000
    assert through_pooler.count(b"\n") == expected
    assert through_pooler.replace(pooled.url.encode(), b"") == direct.replace(server.url.encode(), b"")


def test_stopping_the_replica_keeps_every_request_answered(server, token):
    """Clients read and write without pause while the replica is stopped: every request is answered, none with a
    5xx, and reads carry on from the primary.

    Two more servers check the replica's health only once a minute, so they still take it for well after the stop:
    their first reads meet the dead replica. One answers a list (the API's error handler fails over and the request
    is answered again), the other streams an export (its chunk is read again on the primary)."""
    assert REPLICA_CLUSTER, "TRACKER_REPLICATION_REPLICA_CLUSTER names the replica's cluster (version/name)"
    version, name = REPLICA_CLUSTER.split("/")
    trusting = [
        Server(
            DATABASE_URL=PRIMARY,
            DATABASE_REPLICA_URLS=REPLICA,
            DJANGO_CONN_MAX_AGE="60",
            DATABASE_REPLICA_CHECK_SECONDS="60",
        )
        for _ in range(2)
    ]
    for late in trusting:
        marker = f"zq{uuid.uuid4().hex[:12]}"
        assert late.get(f"/api/v1/events/?search={marker}")[0] == 200
        assert _ran_on(REPLICA, marker)
    paths = [
        "/api/v1/events/",
        "/api/v1/events/?search=agreement",
        "/api/v1/statements/?ordering=-date",
        "/api/v1/timeline/",
        "/api/v1/events/export/?format=ndjson",
    ]
    (events,) = _sql(PRIMARY, "SELECT count(*) FROM events_event")[0]
    answers: list[tuple[str, int]] = []
    failures: list[str] = []
    stop = threading.Event()

    def reader(client_token):
        number = 0
        while not stop.is_set():
            path = paths[number % len(paths)]
            number += 1
            try:
                status, body = server.get(path, token=client_token)
                answers.append((path, status))
                records = body.count(b"\n")
                if path.endswith("ndjson") and status == 200 and records != events:
                    failures.append(f"{path}: {records} records of {events}")
            except Exception as error:  # noqa: BLE001 (any failure to answer is what this test looks for)
                failures.append(f"{path}: {error!r}")

    threads = [threading.Thread(target=reader, args=(t,)) for t in (None, None, token)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        as_root = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*as_root, "pg_ctlcluster", version, name, "stop", "-m", "fast"], check=True)
        listing, exporting = trusting
        status, body = listing.get("/api/v1/statements/?ordering=-date")
        assert status == 200, body
        status, body = exporting.get("/api/v1/events/export/?format=ndjson")
        assert status == 200
        assert body.count(b"\n") == events
        time.sleep(2)
        _new_actor(server, token)
        time.sleep(1)
        logs = [late.log() for late in trusting]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for late in trusting:
            late.stop()
    for log in logs:
        assert "Read replica replica1 failed; this request reads from the primary." in log
        assert "Traceback" not in log
    assert not failures, failures
    assert len(answers) > 20
    errors = [(path, status) for path, status in answers if status >= 500]
    assert not errors, errors
    assert all(status == 200 for _path, status in answers), answers
    marker = f"zq{uuid.uuid4().hex[:12]}"
    assert server.get(f"/api/v1/events/?search={marker}")[0] == 200
    assert _ran_on(PRIMARY, marker)
