"""Load and fault test: the production server on PostgreSQL under mixed reads and authenticated writes.

    .venv/bin/python bench/load_faults.py [--seconds 60] [--readers 6] [--writers 4] [--out bench/results/load.md]

1. Load: readers (lists, filters, search, timeline, details) and writers (create an actor, then PATCH it with
   If-Match, again and again) run together for --seconds. Zero errors allowed. Afterwards every acknowledged
   write is in the database exactly once, and history holds one row per acknowledged change.
2. Fault, worker killed mid-write: writers create events (two participants, one citation each) while a gunicorn
   worker is SIGKILLed. No event is half-written and every acknowledged event is present.
3. Fault, PostgreSQL restarted during load: answers are 2xx or 503 (never another 5xx), and service returns by
   itself once the database is back, with no app restart.

Everything runs on loopback against databases the script creates (tracker_load), and stops by itself.
"""

import argparse
import collections
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
DB = "tracker_load"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
PORT = 8931
BASE = f"http://127.0.0.1:{PORT}"
READ_PATHS = [
    "/api/v1/events/",
    "/api/v1/events/?actor=france&include_children=true&date_after=2025-11-01",
    "/api/v1/statements/?search=gendarmes",
    "/api/v1/pledges/?status=announced,in_progress&ordering=-quantity",
    "/api/v1/timeline/?page_size=50",
    "/api/v1/actors/turkey/relations/",
    "/api/v1/events/brussels-meeting-post-war-gaza/",
    "/api/v1/actors/?search=ankara",
]


def env() -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "tracker.settings.production",
        "DJANGO_SECRET_KEY": "load-test-" + "k" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_CONN_MAX_AGE": "60",
        "DJANGO_THROTTLE_ANON": "1000000/minute",
        "DJANGO_THROTTLE_USER": "1000000/minute",
        "CACHE_URL": "redis://127.0.0.1:6379/3",
        "DATABASE_URL": DB_URL,
    }


def manage(*args: str) -> str:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env(), check=True, capture_output=True, text=True
    ).stdout


def prepare(writers: int) -> list[str]:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    manage("migrate", "--noinput")
    manage("load_story")
    manage("collectstatic", "--noinput")
    script = (
        "from django.contrib.auth.models import Group, User\n"
        "from knox.models import AuthToken\n"
        "group = Group.objects.get(name='editors')\n"
        f"for i in range({writers}):\n"
        "    u = User.objects.create_user(f'writer{i}', password='load-pass-1')\n"
        "    u.groups.add(group)\n"
        "    print(AuthToken.objects.create(user=u)[1])\n"
    )
    tokens = [word for word in manage("shell", "-c", script).split() if re.fullmatch(r"[0-9a-f]{64}", word)]
    assert len(tokens) == writers, tokens
    return tokens


class Server:
    def __init__(self, workers: int = 3):
        # A file, not a pipe: nobody reads gunicorn's log while it runs, and a full pipe would block the workers.
        log = ROOT / "bench" / "results" / "load-gunicorn.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "tracker.wsgi",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(BASE + "/api/v1/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.codes: collections.Counter = collections.Counter()
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def record(self, label: str, response: requests.Response | None, started: float, ok=(200, 201)) -> None:
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            code = response.status_code if response is not None else "connection-error"
            self.codes[code] += 1
            if response is None or response.status_code not in ok:
                self.errors.append(f"{label}: {code} {'' if response is None else response.text[:200]}")


def reader(stop: threading.Event, stats: Stats) -> None:
    session, i = requests.Session(), 0
    while not stop.is_set():
        path = READ_PATHS[i % len(READ_PATHS)]
        i += 1
        started = time.perf_counter()
        try:
            response = session.get(BASE + path, timeout=30)
        except requests.RequestException:
            response = None
        stats.record(f"GET {path}", response, started)


def writer(stop: threading.Event, stats: Stats, token: str, acked: dict, prefix: str) -> None:
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}"})
    n = 0
    while not stop.is_set():
        slug = f"{prefix}-{n}"
        n += 1
        started = time.perf_counter()
        try:
            response = session.post(
                BASE + "/api/v1/actors/",
                json={"slug": slug, "name": f"Load actor {slug}", "kind": "other", "force": True},
                timeout=30,
            )
        except requests.RequestException:
            response = None
        stats.record("POST actor", response, started)
        if response is None or response.status_code != 201:
            continue
        acked[slug] = {"description": "", "changes": 0}
        etag = response.headers["ETag"]
        for edit in range(2):
            if stop.is_set():
                break
            description = f"edit {edit} of {slug}"
            started = time.perf_counter()
            try:
                response = session.patch(
                    BASE + f"/api/v1/actors/{slug}/",
                    json={"description": description},
                    headers={"If-Match": etag},
                    timeout=30,
                )
            except requests.RequestException:
                response = None
            stats.record("PATCH actor", response, started)
            if response is not None and response.status_code == 200:
                etag = response.headers["ETag"]
                acked[slug] = {"description": description, "changes": acked[slug]["changes"] + 1}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def check_actors(acked: dict, prefix: str) -> dict:
    script = (
        "import json\n"
        "from events.models import Actor\n"
        f"rows = Actor.objects.filter(slug__startswith='{prefix}-')\n"
        "out = {a.slug: {'description': a.description, 'history': a.history.count()} for a in rows}\n"
        "print(json.dumps(out))\n"
    )
    stored = json.loads(manage("shell", "-c", script).strip().splitlines()[-1])
    missing = [slug for slug in acked if slug not in stored]
    wrong = [s for s, a in acked.items() if s in stored and stored[s]["description"] != a["description"]]
    history = [s for s, a in acked.items() if s in stored and stored[s]["history"] != 1 + a["changes"]]
    return {
        "acknowledged": len(acked),
        "stored": len(stored),
        "missing": missing,
        "wrong_content": wrong,
        "history_mismatch": history,
    }


def phase_load(seconds: int, readers: int, tokens: list[str]) -> dict:
    stats, stop, acked = Stats(), threading.Event(), {}
    prefix = "load-" + uuid.uuid4().hex[:6]
    threads = [threading.Thread(target=reader, args=(stop, stats)) for _ in range(readers)]
    threads += [
        threading.Thread(target=writer, args=(stop, stats, t, acked, f"{prefix}-w{i}")) for i, t in enumerate(tokens)
    ]
    started = time.time()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.time() - started
    total = sum(stats.codes.values())
    return {
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "status_codes": dict(stats.codes),
        "errors": stats.errors[:20],
        "error_count": len(stats.errors),
        "latency_ms": {
            "p50": round(percentile(stats.latencies, 0.5), 1),
            "p95": round(percentile(stats.latencies, 0.95), 1),
            "p99": round(percentile(stats.latencies, 0.99), 1),
            "mean": round(statistics.mean(stats.latencies) * 1000, 1) if stats.latencies else 0,
        },
        "integrity": check_actors(acked, prefix),
    }


def phase_kill_worker(server: Server, token: str) -> dict:
    """Writers create events with two participants and a citation; a worker is SIGKILLed mid-stream."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}"})
    prefix = "kill-" + uuid.uuid4().hex[:6]
    acked, outcomes, stop = [], collections.Counter(), threading.Event()

    def write_events(k: int) -> None:
        local = requests.Session()
        local.headers.update(session.headers)
        n = 0
        while not stop.is_set():
            slug = f"{prefix}-{k}-{n}"
            n += 1
            body = {
                "slug": slug,
                "title": f"Load event {slug}",
                "event_type": "other",
                "date": "2025-11-20",
                "date_precision": "day",
                "participants": [
                    {"actor": "france", "role": "participant"},
                    {"actor": "turkey", "role": "participant"},
                ],
                "citations": [
                    {
                        "source": "isf-deploy-very-soon-trump",
                        "excerpt": "It’s going to be very soon. And Gaza is working out very well,",
                    }
                ],
            }
            try:
                response = local.post(BASE + "/api/v1/events/", json=body, timeout=30)
                outcomes[response.status_code] += 1
                if response.status_code == 201:
                    acked.append(slug)
            except requests.RequestException:
                outcomes["connection-error"] += 1

    threads = [threading.Thread(target=write_events, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    killed = []
    for _ in range(3):
        time.sleep(2)
        pids = server.worker_pids()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    script = (
        "import json\n"
        "from django.db.models import Count\n"
        "from events.models import Event\n"
        f"rows = Event.objects.filter(slug__startswith='{prefix}-').annotate(p=Count('participants', distinct=True),"
        " c=Count('citations', distinct=True))\n"
        "print(json.dumps({e.slug: [e.p, e.c, e.history.count()] for e in rows}))\n"
    )
    stored = json.loads(manage("shell", "-c", script).strip().splitlines()[-1])
    half = {slug: v for slug, v in stored.items() if v[0] != 2 or v[1] != 1}
    return {
        "workers_killed": len(killed),
        "outcomes": {str(k): v for k, v in outcomes.items()},
        "acknowledged": len(acked),
        "stored": len(stored),
        "acknowledged_missing": [s for s in acked if s not in stored],
        "half_written": half,
        "service_after": requests.get(BASE + "/api/v1/events/", timeout=10).status_code,
    }


def phase_restart_postgres(readers: int) -> dict:
    """Readers run while PostgreSQL restarts; answers must be 2xx or 503, and service must return."""
    stats, stop = Stats(), threading.Event()
    codes_during: collections.Counter = collections.Counter()
    down = threading.Event()

    def read_and_classify() -> None:
        while not stop.is_set():
            try:
                # A new connection each time: gunicorn's sync workers close theirs, and a pooled one may be stale.
                response = requests.get(
                    BASE + "/api/v1/events/?page_size=5", timeout=30, headers={"Connection": "close"}
                )
                code = response.status_code
            except requests.RequestException as error:
                code = "connection-error"
                print("READER", time.strftime("%H:%M:%S"), repr(error)[:160], file=sys.stderr)
            with stats.lock:
                (codes_during if down.is_set() else stats.codes)[code] += 1

    threads = [threading.Thread(target=read_and_classify) for _ in range(readers)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    cluster = sorted(os.listdir("/etc/postgresql"))[-1]
    down.set()
    t0 = time.time()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "stop", "-m", "fast"], check=True)
    time.sleep(4)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"], check=True)
    restarted = time.time()
    recovered_after = None
    while time.time() - restarted < 30:
        try:
            probe = requests.get(BASE + "/api/v1/events/?page_size=5", timeout=10)
            if probe.status_code == 200:
                recovered_after = round(time.time() - restarted, 2)
                break
            print("PROBE", time.strftime("%H:%M:%S"), probe.status_code, probe.text[:100], file=sys.stderr)
        except requests.RequestException as error:
            print("PROBE", time.strftime("%H:%M:%S"), repr(error)[:160], file=sys.stderr)
        time.sleep(0.2)
    down.clear()
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    bad = {str(k): v for k, v in codes_during.items() if k not in (200, 503)}
    return {
        "down_seconds": round(restarted - t0, 1),
        "codes_while_down_or_recovering": {str(k): v for k, v in codes_during.items()},
        "codes_otherwise": {str(k): v for k, v in stats.codes.items()},
        "unexpected_while_down": bad,
        "recovered_seconds_after_start": recovered_after,
        "app_restarted": False,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    parser.add_argument("--skip-restart", action="store_true", help="Leave PostgreSQL running (no restart phase).")
    args = parser.parse_args()
    tokens = prepare(args.writers)
    server = Server()
    try:
        results = {
            "load": phase_load(args.seconds, args.readers, tokens),
            "kill_worker": phase_kill_worker(server, tokens[0]),
        }
        if not args.skip_restart:
            results["restart_postgresql"] = phase_restart_postgres(args.readers)
        results["gunicorn_master_alive"] = server.process.poll() is None
    finally:
        server.stop()
    load, kill = results["load"], results["kill_worker"]
    restart = results.get("restart_postgresql", {"unexpected_while_down": {}, "recovered_seconds_after_start": 0})
    integrity = load["integrity"]
    results["verdict"] = {
        "load_zero_errors": load["error_count"] == 0,
        "every_acknowledged_write_once": not integrity["missing"]
        and not integrity["wrong_content"]
        and integrity["stored"] == integrity["acknowledged"],
        "history_one_row_per_change": not integrity["history_mismatch"],
        "kill_no_half_written": not kill["half_written"],
        "kill_no_lost_acknowledged": not kill["acknowledged_missing"],
        "restart_only_503_while_down": not restart["unexpected_while_down"],
        "restart_recovered_without_app_restart": restart["recovered_seconds_after_start"] is not None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0 if all(results["verdict"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
