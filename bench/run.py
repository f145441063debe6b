"""End-to-end load benchmark: `make bench` (or `.venv/bin/python bench/run.py`).

For each data size (default 100k and 1M events) it:
1. creates its own PostgreSQL database (tracker_bench_100k, tracker_bench_1m), migrates it and fills it with
   `manage.py generate_synthetic` (timed);
2. measures, in-process, the SQL queries per request, the EXPLAIN plans of the filter/ordering queries, and that the
   baseline view answers the same JSON as the API (bench/probe.py);
3. chooses the cold and warm query mixes from the data (bench/mix.py: 3,000 distinct filter and search queries, and
   a Zipf-popular sequence of them), and checks that the baseline answers the same records for a sample;
4. serves the app with gunicorn (tracker.settings.bench = production settings plus the baseline route; response
   cache off) and drives it from a separate wrk process on 127.0.0.1: a short warm-up, then a fixed-duration run per
   scenario, the API and the baseline in turn; the warm mix's API runs go to a second server with the response
   cache on, in Redis (--redis-url, flushed before the warm mix);
5. at the first size, profiles filter and search with py-spy (bench/profile_server.py, --no-profile skips it);
6. streams the CSV export of every event through a one-worker gunicorn, sampling the worker's RSS;
and writes bench/RESULTS.md (plus raw JSON and plans under bench/results/). Every loop is bounded in time and every
process it starts is stopped by it.
"""

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PG = "postgres://postgres@127.0.0.1:5432"
SEED = 20251121
LABELS = {100_000: "100k", 1_000_000: "1m"}
MAX_RUN = 60  # seconds: the longest a single wrk run may last
MIX_WARMUP_QUERIES = 1000  # a mix's warm-up sends the queries just before those its measured run starts with
MIXES = ("cold_mix", "warm_mix")
PROFILED = ("filter", "search")
SHOWN_ENV = ("CACHE_URL", "TRACKER_RESPONSE_CACHE", "DJANGO_CONN_MAX_AGE")
FILTER_RANGE = ("2020-01-01", "2020-12-31")
COMMON_TERM = "police training"


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def label(size: int) -> str:
    return LABELS.get(size, f"{size // 1000}k" if size % 1000 == 0 else str(size))


def app_env(db: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings.bench",
        DJANGO_SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_DEBUG="false",
        DATABASE_URL=f"{PG}/{db}",
        DJANGO_CONN_MAX_AGE="600",
        # Throttling stays on (its cost is measured) with per-process counters and a rate one client on loopback
        # cannot reach; production shares its counters through CACHE_URL (e.g. Redis).
        CACHE_URL="locmemcache://",
        # The cold path is measured without the response cache (the warm mix turns it on, with Redis).
        TRACKER_RESPONSE_CACHE="false",
        DJANGO_THROTTLE_ANON="100000000/minute",
        DJANGO_THROTTLE_USER="100000000/minute",
        PYTHONPATH=str(ROOT),
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


def run(cmd: list[str], *, env=None, timeout: float = 3600, capture: bool = True) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    result = subprocess.run(
        [str(c) for c in cmd], cwd=ROOT, env=env, timeout=timeout, text=True, capture_output=capture, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"command failed ({result.returncode}): {cmd}\n{result.stdout}\n{result.stderr}")
    return result


# Machine and tools ---------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("wrk not found: installing Debian's package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, timeout=600)
    subprocess.run(
        [*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        timeout=600,
    )
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("could not install wrk")
    return path


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line))
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    versions = subprocess.run(
        [
            PYTHON,
            "-c",
            "import django, gunicorn, psycopg, rest_framework; print(django.__version__, gunicorn.__version__, "
            "psycopg.__version__, rest_framework.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "django": versions[0] if versions else "?",
        "gunicorn": versions[1] if len(versions) > 1 else "?",
        "psycopg": versions[2] if len(versions) > 2 else "?",
        "drf": versions[3] if len(versions) > 3 else "?",
        "postgresql": sql_value("postgres", "SHOW server_version"),
        "pg_settings": {
            name: sql_value("postgres", f"SHOW {name}")
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather")
        },
        "wrk": (wrk.stdout or wrk.stderr or "?").splitlines()[0].split(" Copyright")[0],
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


# PostgreSQL ---------------------------------------------------------------------------------------------------


def sql_value(db: str, sql: str, params=None):
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()[0]


def sql_rows(db: str, sql: str, params=None) -> list[tuple]:
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def database_ready(db: str, size: int) -> bool:
    """Whether ``db`` already holds exactly this generation (for --reuse)."""
    if not sql_value("postgres", "SELECT count(*) FROM pg_database WHERE datname = %s", [db]):
        return False
    try:
        return sql_value(db, "SELECT count(*) FROM events_event WHERE slug LIKE 'syn-%%'") == size
    except Exception:  # noqa: BLE001 - an unmigrated or broken database is simply rebuilt
        return False


def build_database(db: str, size: int) -> dict:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    env = app_env(db)
    started = time.monotonic()
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env=env)
    migrated = time.monotonic()
    command = [PYTHON, "manage.py", "generate_synthetic", "--events", size, "--seed", SEED, "--no-progress"]
    result = run(command, env=env, timeout=3 * 3600)
    generated = time.monotonic()
    log(result.stdout.strip())
    return {
        "migrate_seconds": round(migrated - started, 1),
        "generate_seconds": round(generated - migrated, 1),
        "generate_command": "manage.py " + " ".join(str(c) for c in command[2:]),
        "generate_output": result.stdout.strip(),
    }


def database_stats(db: str) -> dict:
    tables = sql_rows(
        db,
        "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables "
        "WHERE relname LIKE 'events\\_%%' AND relname NOT LIKE 'events\\_historical%%' ORDER BY relname",
    )
    exact = {
        name: sql_value(db, f'SELECT count(*) FROM "{name}"')
        for name in ("events_event", "events_eventparticipant", "events_statement", "events_pledge", "events_citation")
    }
    return {
        "database_bytes": sql_value(db, "SELECT pg_database_size(current_database())"),
        "tables": {name: {"rows": exact.get(name, rows), "bytes": size} for name, rows, size in tables},
        "exact_counts": sorted(exact),
    }


# gunicorn -----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own process group, stopped (and waited for) on exit."""

    def __init__(self, db: str, *, workers: int, timeout: int, name: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(GUNICORN),
            "tracker.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            str(timeout),
            "--graceful-timeout",
            "5",
            "--error-logfile",
            str(OUT / f"gunicorn-{name}.log"),
            # Each worker times its garbage collections for the profile summaries (bench/gc_hooks.py).
            "--config",
            str(BENCH / "gc_hooks.py"),
        ]
        gc_dir = OUT / f"gc-{name}"
        shutil.rmtree(gc_dir, ignore_errors=True)
        gc_dir.mkdir(parents=True)
        self.env = app_env(db, BENCH_GC_DIR=str(gc_dir), **(env or {}))
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        log("$ " + " ".join(self.command))
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.command[-1]}")
            try:
                with urllib.request.urlopen(self.url + "/api/v1/", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer within 90 s")

    def workers(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __exit__(self, *exc) -> None:
        self.stop()


# Load ---------------------------------------------------------------------------------------------------------


def wrk(url: str, *, seconds: int, connections: int, script: Path | None = None, script_args=()) -> dict:
    loadavg = Path("/proc/loadavg").read_text().split()[0]
    cmd = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "60s",
        "--script",
        str(script or BENCH / "report.lua"),
        url,
    ]
    if script_args:
        cmd += ["--", *(str(a) for a in script_args)]
    env = {**os.environ, "BENCH_REPORT_LUA": str(BENCH / "report.lua")}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False, env=env)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {url}:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line[len("WRKJSON ") :])
    data["requests_per_second"] = round(data["requests"] / (data["duration_us"] / 1e6), 2)
    for key in ("p50", "p90", "p95", "p99"):
        data[f"{key}_ms"] = round(data[f"{key}_us"] / 1000, 1)
    data["errors"] = sum(data[k] for k in data if k.startswith("errors_"))
    data["raw"] = result.stdout.replace(line, "").strip()
    data["loadavg_after"] = Path("/proc/loadavg").read_text().split()[0]
    data["command"] = (
        " ".join(cmd[: cmd.index(url)]) + f" '{url}'" + "".join(f" {a}" for a in cmd[cmd.index(url) + 1 :])
    )
    data["loadavg_before"] = loadavg
    return data


def load(servers: dict[str, Server], scenarios: list[dict], single: dict[str, float], args) -> dict:
    """Two passes per scenario: latency at concurrency 1 (p50/p95/p99 without queueing) and throughput at
    ``args.connections`` (req/s). A run lasts long enough for about eight requests per connection to complete,
    judged from the scenario's in-process time ``single``, and never more than MAX_RUN seconds.

    The API runs on the server its scenario names (``cold``: response cache off; ``warm``: on, in Redis); the
    baseline always on the cold server. A mix's runs each start at their own place in its sequence (the API's and
    the baseline's runs of a mode at the same place, so that they send the same queries), after a warm-up on the
    queries just before it."""
    results = {}
    for scenario in scenarios:
        if scenario.get("probe_only"):
            continue
        seconds_one = single.get(scenario["name"], 0.1)
        for variant, key in (("api", "url"), ("baseline", "baseline_url")):
            if not scenario.get(key):
                continue
            server = servers[scenario.get("server", "cold")] if variant == "api" else servers["cold"]
            for mode, connections in (("latency", 1), ("throughput", args.connections)):
                needed = math.ceil(seconds_one * 8 * connections / min(connections, os.cpu_count() or 1))
                duration = min(MAX_RUN, max(args.seconds, needed))
                warmup = min(20, max(args.warmup, math.ceil(seconds_one * 1.5)))
                if scenario.get("mix"):
                    url = server.url + "/"
                    length = scenario["length"]
                    start = 0 if mode == "latency" else length // 2
                    # The cold mix warms up on the queries just before its run's, distinct from them; the warm mix on
                    # other draws of the same popularity, far from its run's (as earlier traffic would have).
                    before = (start + length // 4) if scenario["mix"] == "warm" else (start - MIX_WARMUP_QUERIES)
                    before %= length
                    warm_args = {"script": BENCH / "mix.lua", "script_args": (scenario["file"], scenario[key], before)}
                    run_args = {"script": BENCH / "mix.lua", "script_args": (scenario["file"], scenario[key], start)}
                    if variant == "api" and scenario.get("flush") and mode == "latency":
                        # The warm mix starts from an empty response cache, fills it from its own traffic (a longer
                        # warm-up first), and keeps it from its c=1 run to its c=N run, as a live site would.
                        flush_cache(scenario["flush"])
                        scenario["seen"] = set()
                        warmup = max(warmup, args.warm_mix_warmup)
                else:
                    url, warm_args, run_args = server.url + scenario[key], {}, {}
                warmed = wrk(url, seconds=warmup, connections=connections, **warm_args)
                measured = wrk(url, seconds=duration, connections=connections, **run_args)
                measured["connections"], measured["seconds"] = connections, duration
                if scenario.get("mix") == "warm":
                    if variant == "api":
                        measured["first_time_share"] = first_time_share(
                            Path(scenario["file"]),
                            seen=scenario["seen"],
                            warmup=(before, warmed["requests"]),
                            run=(start, measured["requests"]),
                        )
                    measured["warmup_seconds"] = warmup
                results[f"{scenario['name']}/{variant}/{mode}"] = measured
                log(
                    f"  {scenario['name']:>14} {variant:<8} c={connections} {duration:>2}s "
                    f"{measured['requests_per_second']:>8.1f} req/s  p50 {measured['p50_ms']:>8.1f} ms  "
                    f"p95 {measured['p95_ms']:>8.1f} ms  p99 {measured['p99_ms']:>8.1f} ms  n={measured['requests']}"
                    f"  errors {measured['errors']}"
                )
    return results


def first_time_share(path: Path, *, seen: set[str], warmup: tuple[int, int], run: tuple[int, int]) -> float:
    """The share of a warm-mix run's requests that asked a query for the first time since the cache was flushed
    (not in ``seen``, the queries sent since, nor in this run's warm-up, nor earlier in the run): the misses the
    response cache could not avoid. ``seen`` is updated. Exact up to the few requests in flight at each end."""
    lines = path.read_text().split()
    seen |= {lines[(warmup[0] + i) % len(lines)] for i in range(warmup[1])}
    first = 0
    for i in range(run[1]):
        query = lines[(run[0] + i) % len(lines)]
        if query not in seen:
            first += 1
            seen.add(query)
    return round(first / run[1], 3) if run[1] else 0.0


def flush_cache(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def redis_problem(url: str) -> str | None:
    """Why the warm mix cannot use ``url``, or None."""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as error:  # noqa: BLE001 - any failure means: no warm mix, said in the report
        return f"{type(error).__name__}: {error}"
    return None


# Query mixes --------------------------------------------------------------------------------------------------


def build_mix(db: str, name: str) -> dict:
    prefix = OUT / f"mix-{name}"
    run([PYTHON, BENCH / "mix.py", "build", prefix], env=app_env(db), timeout=1800)
    summary = json.loads(prefix.with_suffix(".json").read_text())
    summary["files"] = {kind: str(OUT / f"mix-{name}-{kind}.txt") for kind in ("queries", "cold", "warm")}
    return summary


def mix_scenarios(mix: dict, *, warm_cache: str | None) -> list[dict]:
    events, base = "/api/v1/events/", "/bench/baseline/events/"
    cold = {
        "name": "cold_mix",
        "mix": "cold",
        "url": events,
        "baseline_url": base,
        "file": mix["files"]["cold"],
        "length": mix["distinct"],
    }
    if warm_cache is None:
        return [cold]
    warm = {
        **cold,
        "name": "warm_mix",
        "mix": "warm",
        "file": mix["files"]["warm"],
        "length": mix["warm_length"],
        "server": "warm",
        "flush": warm_cache,
    }
    return [cold, warm]


# CSV export memory --------------------------------------------------------------------------------------------


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def export_memory(db: str, name: str, *, cap_seconds: int) -> dict:
    """Stream /api/v1/events/export/?format=csv through a one-worker gunicorn and sample the worker's resident memory."""
    with Server(db, workers=1, timeout=cap_seconds + 600, name=f"export-{name}") as server:
        (worker,) = server.workers()
        with urllib.request.urlopen(server.url + "/api/v1/events/?page_size=100", timeout=120) as response:
            response.read()
        before_kb = _status_kb(worker, "VmRSS")
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                try:
                    samples.append(_status_kb(worker, "VmRSS"))
                except OSError:
                    return
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        rows = size = 0
        complete = True
        first_byte = None
        with urllib.request.urlopen(server.url + "/api/v1/events/export/?format=csv", timeout=600) as response:
            status = response.status
            while True:
                chunk = response.read(1 << 20)
                if first_byte is None:
                    first_byte = time.monotonic() - started
                if not chunk:
                    break
                size += len(chunk)
                rows += chunk.count(b"\n")
                if time.monotonic() - started > cap_seconds:
                    complete = False
                    break
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join(timeout=5)
        peak_kb = max([_status_kb(worker, "VmHWM"), *samples])
    return {
        "status": status,
        "complete": complete,
        "seconds": round(elapsed, 1),
        "first_byte_seconds": round(first_byte or 0, 2),
        "bytes": size,
        "lines": rows,
        "rows_per_second": round(rows / elapsed, 1) if elapsed else 0,
        "rss_before_mib": round(before_kb / 1024, 1),
        "rss_peak_mib": round(peak_kb / 1024, 1),
        "rss_last_mib": round(samples[-1] / 1024, 1) if samples else None,
        "samples": len(samples),
    }


# Scenarios ----------------------------------------------------------------------------------------------------


def scenarios_for(params: dict) -> list[dict]:
    after, before = FILTER_RANGE
    filtered = urllib.parse.urlencode({"date_after": after, "date_before": before, "actor": params["actor_slug"]})
    search = urllib.parse.urlencode({"search": params["place"]})
    common = urllib.parse.urlencode({"search": COMMON_TERM})
    events, base = "/api/v1/events/", "/bench/baseline/events/"
    return [
        {"name": "list", "url": events, "baseline_url": base, "explain": True, "breakdown": True},
        {
            "name": "filter",
            "url": f"{events}?{filtered}",
            "baseline_url": f"{base}?{filtered}",
            "explain": True,
            "breakdown": True,
        },
        {"name": "search", "url": f"{events}?{search}", "baseline_url": f"{base}?{search}", "explain": True},
        {"name": "search_common", "url": f"{events}?{common}", "baseline_url": f"{base}?{common}", "explain": True},
        {
            # What a client walking the list by its `next` links asks for at 90% of the events; the baseline pages by
            # number (OFFSET), the same rows.
            "name": "deep_page",
            "url": f"{events}?cursor={params['deep_cursor']}",
            "baseline_url": f"{base}?page={params['deep_page']}",
            "explain": True,
        },
        {
            "name": "deep_offset",
            "url": f"{events}?page={params['deep_page']}",
            "baseline_url": f"{base}?page={params['deep_page']}",
            "explain": True,
        },
        {"name": "timeline", "url": "/api/v1/timeline/", "explain": True},
        # In-process only: the query count must not change with the page size.
        {"name": "list_100", "url": f"{events}?page_size=100", "probe_only": True},
        {"name": "filter_100", "url": f"{events}?{filtered}&page_size=100", "probe_only": True},
        {"name": "detail", "url": f"{events}{params['detail_slug']}/", "explain": False, "breakdown": True},
    ]


def probe(db: str, name: str, scenarios: list[dict]) -> tuple[dict, list[dict]]:
    env = app_env(db)
    params_file, scenarios_file, out_file = (OUT / f"{kind}-{name}.json" for kind in ("params", "scenarios", "probe"))
    run([PYTHON, BENCH / "probe.py", "params", params_file], env=env, timeout=1800)
    params = json.loads(params_file.read_text())
    chosen = scenarios or scenarios_for(params)
    scenarios_file.write_text(json.dumps(chosen, indent=2))
    run([PYTHON, BENCH / "probe.py", "measure", scenarios_file, out_file], env=env, timeout=3600)
    return params, json.loads(out_file.read_text())


# Main ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="Comma-separated numbers of events.")
    parser.add_argument("--seconds", type=int, default=10, help="Shortest measured duration of each wrk run.")
    parser.add_argument("--warmup", type=int, default=3, help="Warm-up duration before each wrk run.")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (concurrent requests).")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers.")
    parser.add_argument("--reuse", action="store_true", help="Keep a bench database that already holds the data.")
    parser.add_argument("--export-cap", type=int, default=1500, help="Stop a CSV export after this many seconds.")
    parser.add_argument("--no-export", action="store_true", help="Skip the CSV export memory measurement.")
    parser.add_argument("--report", default=str(BENCH / "RESULTS.md"), help="Where to write the report.")
    parser.add_argument(
        "--only",
        default="",
        help="Comma-separated parts to run: scenario names (list, filter, search, search_common, deep_page, "
        "deep_offset, timeline, detail, cold_mix, warm_mix), `mix` for both mixes, `profile`, `export`. "
        "Default: all of them. The in-process probe always runs (it chooses the parameters).",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="The shared response cache of the warm mix: a Redis database that the run FLUSHES before each warm "
        "run (env BENCH_REDIS_URL). Without a reachable Redis the warm mix is skipped, and the report says so.",
    )
    parser.add_argument(
        "--warm-mix-warmup",
        type=int,
        default=60,
        help="Seconds of warm-up after the warm mix's cache is flushed: long enough that the measured run mostly "
        "repeats queries, as on a live site; the report gives the share it asked for the first time.",
    )
    parser.add_argument("--no-profile", action="store_true", help="Skip the py-spy profiles of filter and search.")
    parser.add_argument("--profile-seconds", type=int, default=15, help="py-spy duration per profiled scenario.")
    args = parser.parse_args()
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    known = {
        s["name"]
        for s in scenarios_for(dict.fromkeys(("actor_slug", "place", "deep_cursor", "deep_page", "detail_slug"), ""))
    }
    unknown = only - known - set(MIXES) - {"mix", "profile", "export"}
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    if "mix" in only:
        only |= set(MIXES)
    wanted = lambda part: not only or part in only  # noqa: E731
    if only and "export" not in only:
        args.no_export = True

    started = time.monotonic()
    OUT.mkdir(exist_ok=True)
    ensure_wrk()
    info = {"machine": machine(), "args": vars(args), "sizes": {}}
    log(f"machine: {info['machine']['cpu']}, {info['machine']['cores']} cores, {info['machine']['memory_gib']} GiB")
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=app_env("postgres"))

    sizes = [int(s) for s in args.sizes.split(",")]
    previous = {}
    if args.reuse and (OUT / "results.json").exists():
        previous = json.loads((OUT / "results.json").read_text()).get("sizes", {})
    # First every database, then every measurement, so that the measurements run back to back.
    for size in sizes:
        name = label(size)
        db = f"tracker_bench_{name}"
        log(f"== building {db}: {size} events")
        entry: dict = {"database": db}
        if args.reuse and database_ready(db, size):
            # Keep the generation figures of the run that built it, when they are at hand.
            entry["build"] = {**previous.get(name, {}).get("build", {}), "reused": True}
            log("reusing the existing database; applying any new migration")
            migrated = run([PYTHON, "manage.py", "migrate", "--noinput"], env=app_env(db), timeout=3 * 3600)
            if "No migrations to apply" not in migrated.stdout:
                # A migration that rewrote a table leaves stale statistics and visibility maps.
                run([PYTHON, "manage.py", "dbshell", "--", "-c", "VACUUM ANALYZE"], env=app_env(db), timeout=3600)
                entry["build"]["migrated_on_reuse"] = migrated.stdout.strip().splitlines()[-10:]
        else:
            entry["build"] = build_database(db, size)
        info["sizes"][name] = entry
        (OUT / "results.json").write_text(json.dumps(info, indent=2, default=str))

    for size in sizes:
        name = label(size)
        entry = info["sizes"][name]
        db = entry["database"]
        log(f"== measuring {size} events in {db}")
        entry["stats"] = database_stats(db)
        params, measured = probe(db, name, [])
        entry["params"], entry["probe"] = params, measured
        scenarios = [s for s in scenarios_for(params) if wanted(s["name"])]
        log("in-process: " + ", ".join(f"{m['name']} {m['queries']}q {m['seconds'] * 1000:.0f}ms" for m in measured))
        single = {m["name"]: m["seconds"] for m in measured}
        warm_cache = None
        if any(wanted(m) for m in MIXES):
            entry["mix"] = build_mix(db, name)
            check = entry["mix"]["check"]
            log(f"mix: {entry['mix']['distinct']} queries; API and baseline agree on {check['same']}/{check['sample']}")
            single["cold_mix"] = single["warm_mix"] = check["api_seconds_mean"]
            if wanted("warm_mix"):
                problem = redis_problem(args.redis_url)
                if problem:
                    entry["warm_skipped"] = f"no Redis at {args.redis_url}: {problem}"
                    log("warm mix skipped: " + entry["warm_skipped"])
                else:
                    warm_cache = args.redis_url
            scenarios += [s for s in mix_scenarios(entry["mix"], warm_cache=warm_cache) if wanted(s["name"])]
        with contextlib.ExitStack() as stack:
            servers = {"cold": stack.enter_context(Server(db, workers=args.workers, timeout=120, name=name))}
            entry["server_command"] = " ".join(servers["cold"].command)
            entry["server_env"] = {k: servers["cold"].env[k] for k in SHOWN_ENV}
            if warm_cache:
                warm_env = {"CACHE_URL": warm_cache, "TRACKER_RESPONSE_CACHE": "true"}
                servers["warm"] = stack.enter_context(
                    Server(db, workers=args.workers, timeout=120, name=f"{name}-warm", env=warm_env)
                )
                entry["warm_server_env"] = {k: servers["warm"].env[k] for k in SHOWN_ENV}
            entry["load"] = load(servers, scenarios, single, args)
            if wanted("profile") and not args.no_profile and size == sizes[0]:
                import profile_server  # bench/profile_server.py

                log(f"py-spy profiles of {', '.join(PROFILED)} ({args.profile_seconds} s each)")
                entry["profile"] = profile_server.profile(
                    servers["cold"],
                    [s for s in scenarios_for(params) if s["name"] in PROFILED],
                    label="after",
                    size=name,
                    seconds=args.profile_seconds,
                    rate=200,
                    connections=args.connections,
                    wrk=wrk,
                    out=OUT,
                )
        if not args.no_export:
            log("CSV export of every event, one worker")
            entry["export"] = export_memory(db, name, cap_seconds=args.export_cap)
            log(f"  {entry['export']}")
        elif args.reuse and "export" in previous.get(name, {}):
            # --reuse --no-export: carry the previous run's export measurement over, marked as such.
            entry["export"] = {**previous[name]["export"], "reused": True}
        info["sizes"][name] = entry
        (OUT / "results.json").write_text(json.dumps(info, indent=2, default=str))

    info["total_seconds"] = round(time.monotonic() - started, 1)
    (OUT / "results.json").write_text(json.dumps(info, indent=2, default=str))
    from report import write_report  # bench/report.py: run as a script, bench/ is on sys.path

    write_report(info, Path(args.report))
    log(f"done in {info['total_seconds'] / 60:.1f} min; report in {args.report}")


if __name__ == "__main__":
    main()
