"""Where a running server spends a request's time: py-spy on every gunicorn worker while wrk drives one scenario.

Run by bench/run.py after the load runs (`--no-profile` skips it), or alone against a bench database:

    .venv/bin/python bench/profile_server.py --db tracker_bench_100k --label before   # writes bench/profiles/before-*.json

For each scenario: a warm-up, then `py-spy record --format raw --subprocesses --idle --nonblocking` on the gunicorn
master for N seconds while wrk keeps c connections busy. The raw stacks are summarised by self time (the leaf
function), by inclusive time (every function on the stack, once per sample), and by area (the innermost frame that
belongs to one: django-filter, ORM compilation, DRF, serializers, rendering, middleware, psycopg round trips …).
The garbage collector runs in C inside allocations, where py-spy does not see it: bench/gc_hooks.py times it in each
worker, and the summary gives its share of the same window.
"""

import argparse
import collections
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PROFILES = BENCH / "profiles"
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
TOP = 15

# Areas, tried in order on each frame from the leaf towards the root; the first frame that matches gives the sample
# its area. A frame in the standard library (copy, re, json's encoder …) has none, so its caller's area counts.
AREAS: list[tuple[str, str, str]] = [
    # (area, file prefix or substring, function-name pattern or "")
    ("psycopg: SQL round trips and adaptation", "psycopg", ""),
    ("ORM: rows and model instances", "django/db/models/sql/compiler.py", r"results_iter|apply_converters|convert_"),
    ("ORM: SQL compilation (as_sql)", "django/db/models/sql/compiler.py", ""),
    ("ORM: SQL compilation (as_sql)", "django/db/models/", r"as_sql|as_postgresql|compile|process_[lr]hs|get_db_prep"),
    ("ORM: SQL compilation (as_sql)", "django/db/backends/", r"quote_name|compile|as_sql|operations"),
    ("ORM: rows and model instances", "django/db/models/base.py", ""),
    ("ORM: Django's cursor wrappers", "django/db/backends/", ""),
    ("ORM: query building (filter, clone, resolve)", "django/db/models/", ""),
    ("ORM: query building (filter, clone, resolve)", "django/db/", ""),
    ("django-filter and its form", "django_filters/", ""),
    ("django-filter and its form", "django/forms/", ""),
    ("tracker filters and actor look-ups", "events/api/filters.py", ""),
    ("tracker filters and actor look-ups", "events/search.py", ""),
    ("pagination and counts", "events/api/pagination.py", ""),
    ("related rows (events/api/rows.py)", "events/api/rows.py", ""),
    ("serializers", "events/api/representation.py", ""),
    ("serializers", "rest_framework/serializers.py", ""),
    ("serializers", "rest_framework/fields.py", ""),
    ("rendering", "rest_framework/renderers.py", ""),
    ("rendering", "rest_framework/utils/encoders.py", ""),
    ("DRF dispatch (auth, throttling, negotiation, permissions)", "rest_framework/", ""),
    ("tracker views and the rest", "events/", ""),
    ("middleware, URL routing, handler", "django/", ""),
    ("middleware, URL routing, handler", "whitenoise/", ""),
    ("middleware, URL routing, handler", "corsheaders/", ""),
    ("middleware, URL routing, handler", "csp/", ""),
    ("middleware, URL routing, handler", "axes/", ""),
    ("middleware, URL routing, handler", "tracker/", ""),
    ("gunicorn: reading the request, writing the response", "gunicorn/", ""),
]
# Phases of a request: the share of in-request samples with a matching frame on the stack (they overlap).
PHASES = [
    ("filter_queryset (FilterSet, its form, actor look-ups)", "filter_queryset ("),
    ("  of which the FilterSet form's is_valid", "BaseFilterSet.is_valid ("),
    ("paginate_queryset (count, keys, page)", "paginate_queryset ("),
    ("related rows (events/api/rows.py load)", "load (events/api/rows.py"),
    ("serializers (to_representation)", "to_representation ("),
    ("rendering (DRF renderers)", "render (rest_framework/renderers.py"),
    ("ORM SQL compilation (SQLCompiler.as_sql)", "SQLCompiler.as_sql ("),
    ("psycopg (sending SQL, waiting for PostgreSQL, reading rows)", "(psycopg/"),
    ("DRF initial (authentication, permissions, throttling)", "APIView.initial ("),
]
# Frames every request passes through: shown in no inclusive ranking (they would fill it at 100%).
WRAPPERS = ("gunicorn/", "django/core/handlers/", "django/utils/deprecation.py", "<frozen", "selectors.py")
# Nor do the functions on nearly every request's stack (middleware, DRF's dispatch, the view): they say nothing.
WRAPPER_SHARE = 0.8
BUSY_MARK = "handle_request (gunicorn/workers/sync.py"


def parse_frame(frame: str) -> tuple[str, str]:
    match = FRAME.match(frame)
    if not match:
        return frame, ""
    return match["func"], match["file"]


def area_of(frames: list[tuple[str, str]]) -> str:
    for func, file in reversed(frames):
        for area, where, pattern in AREAS:
            if where in file and (not pattern or re.search(pattern, func)):
                return area
    return "other"


def summarise(raw: str) -> dict:
    """Self, inclusive and area shares of the samples taken while a worker handled a request."""
    busy = idle = 0
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    areas: collections.Counter = collections.Counter()
    phases: collections.Counter = collections.Counter()
    area_of_function: dict[str, str] = {}
    for line in raw.splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        n = int(count)
        if BUSY_MARK not in stack:
            idle += n
            continue
        busy += n
        frames = [parse_frame(f) for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        names = [f"{func} ({file})" for func, file in frames]
        own[names[-1]] += n
        for name in set(names):
            inclusive[name] += n
        area = area_of(frames)
        areas[area] += n
        for phase, marker in PHASES:
            if marker in stack:
                phases[phase] += n
        area_of_function.setdefault(names[-1], area)
        for i, name in enumerate(names):
            area_of_function.setdefault(name, area_of(frames[: i + 1]))

    def share(n: int) -> float:
        return round(100 * n / busy, 1) if busy else 0.0

    return {
        "samples": busy + idle,
        "busy_samples": busy,
        "idle_share": round(100 * idle / (busy + idle), 1) if busy + idle else 0.0,
        "areas": [{"area": a, "share": share(n)} for a, n in areas.most_common()],
        "phases": [{"phase": p, "share": share(phases[p])} for p, _ in PHASES],
        "self": [{"function": f, "area": area_of_function[f], "share": share(n)} for f, n in own.most_common(TOP)],
        "inclusive": [
            {"function": f, "area": area_of_function[f], "share": share(n)}
            for f, n in inclusive.most_common()
            if not any(w in f for w in WRAPPERS) and n < WRAPPER_SHARE * busy
        ][:TOP],
    }


def gc_totals(directory: Path) -> dict:
    """The workers' garbage-collection totals, summed (see bench/gc_hooks.py)."""
    collections_, seconds = [0, 0, 0], [0.0, 0.0, 0.0]
    for path in directory.glob("gc-*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for g in range(3):
            collections_[g] += data["collections"][g]
            seconds[g] += data["seconds"][g]
    return {"collections": collections_, "seconds": seconds}


def record(server, url: str, *, seconds: int, rate: int, connections: int, raw_path: Path, wrk) -> dict:
    """py-spy on the server's workers while ``wrk`` (run.wrk) drives ``url``; returns the summary."""
    wrk(server.url + url, seconds=3, connections=connections)  # warm-up: first requests, imports, caches
    gc_dir = Path(server.env["BENCH_GC_DIR"])
    time.sleep(0.6)
    gc_before = gc_totals(gc_dir)
    spy = subprocess.Popen(
        [
            str(PY_SPY), "record", "--format", "raw", "--pid", str(server.process.pid), "--subprocesses",
            "--duration", str(seconds), "--rate", str(rate), "--nonblocking", "--idle", "--output", str(raw_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        load = wrk(server.url + url, seconds=seconds, connections=connections)
    finally:
        try:
            output, _ = spy.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            spy.kill()
            output, _ = spy.communicate()
    time.sleep(0.6)
    gc_after = gc_totals(gc_dir)
    if not raw_path.exists():
        raise SystemExit(f"py-spy wrote nothing:\n{output}")
    summary = summarise(raw_path.read_text())
    requests = max(1, load["requests"])
    delta = [gc_after["seconds"][g] - gc_before["seconds"][g] for g in range(3)]
    summary.update(
        url=url,
        seconds=seconds,
        rate=rate,
        connections=connections,
        requests=load["requests"],
        requests_per_second=load["requests_per_second"],
        loadavg=f"{load['loadavg_before']} / {load['loadavg_after']}",
        py_spy=" ".join(line for line in output.splitlines() if "Samples" in line).replace("py-spy> ", ""),
        gc={
            "ms_per_request": round(sum(delta) / requests * 1000, 3),
            "collections_per_request": [
                round((gc_after["collections"][g] - gc_before["collections"][g]) / requests, 2) for g in range(3)
            ],
            "ms_per_request_by_generation": [round(d / requests * 1000, 3) for d in delta],
        },
    )
    return summary


def text(summary: dict, title: str) -> str:
    """A plain-text rendering of one summary (bench/profiles/*.txt)."""
    lines = [
        title,
        f"{summary['url']}: {summary['seconds']} s at {summary['rate']} Hz, c={summary['connections']}, "
        f"{summary['requests']} requests ({summary['requests_per_second']} req/s under the profiler), load average "
        f"{summary.get('loadavg', '?')} before / after; "
        f"{summary['busy_samples']} samples in a request, {summary['idle_share']}% of all samples idle. "
        f"{summary['py_spy']}",
        f"gc: {summary['gc']['ms_per_request']} ms per request (by generation 0/1/2: "
        f"{summary['gc']['ms_per_request_by_generation']} ms; collections per request "
        f"{summary['gc']['collections_per_request']})",
        "",
        "By area (each sample once, to the innermost frame with an area; % of in-request samples):",
    ]
    lines += [f"  {a['share']:5.1f}%  {a['area']}" for a in summary["areas"]]
    lines += ["", "By phase (samples with the phase on the stack; phases overlap):"]
    lines += [f"  {p['share']:5.1f}%  {p['phase']}" for p in summary.get("phases", [])]
    lines += ["", f"Top {TOP} by self time:"]
    lines += [f"  {f['share']:5.1f}%  {f['function']}  [{f['area']}]" for f in summary["self"]]
    lines += ["", f"Top {TOP} by inclusive time (functions on more than {WRAPPER_SHARE:.0%} of the stacks left out):"]
    lines += [f"  {f['share']:5.1f}%  {f['function']}  [{f['area']}]" for f in summary["inclusive"]]
    return "\n".join(lines) + "\n"


def profile(
    server, scenarios: list[dict], *, label: str, size: str, seconds: int, rate: int, connections: int, wrk, out
):
    """Profiles each scenario (dicts with name and url) and writes bench/profiles/{label}-{size}-{name}.json/.txt."""
    PROFILES.mkdir(exist_ok=True)
    results = {}
    for scenario in scenarios:
        raw = out / f"py-spy-{label}-{size}-{scenario['name']}.txt"
        summary = record(
            server, scenario["url"], seconds=seconds, rate=rate, connections=connections, raw_path=raw, wrk=wrk
        )
        summary["label"], summary["size"], summary["scenario"] = label, size, scenario["name"]
        stem = PROFILES / f"{label}-{size}-{scenario['name']}"
        stem.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
        stem.with_suffix(".txt").write_text(text(summary, f"{label} profile, {size}, {scenario['name']}"))
        results[scenario["name"]] = summary
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="tracker_bench_100k")
    parser.add_argument("--label", default="after", help="before or after: the name of the files it writes.")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    import run  # bench/run.py: the same server, wrk and scenarios as the benchmark

    run.OUT.mkdir(exist_ok=True)
    size = args.db.removeprefix("tracker_bench_")
    params_file = run.OUT / f"params-{size}.json"
    run.run([run.PYTHON, BENCH / "probe.py", "params", params_file], env=run.app_env(args.db), timeout=1800)
    chosen = [s for s in run.scenarios_for(json.loads(params_file.read_text())) if s["name"] in ("filter", "search")]
    with run.Server(args.db, workers=args.workers, timeout=120, name=f"profile-{size}") as server:
        results = profile(
            server,
            chosen,
            label=args.label,
            size=size,
            seconds=args.seconds,
            rate=args.rate,
            connections=args.connections,
            wrk=run.wrk,
            out=run.OUT,
        )
    for name, summary in results.items():
        print(text(summary, f"{args.label} profile, {size}, {name}"))


if __name__ == "__main__":
    main()
