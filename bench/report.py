"""Writes bench/RESULTS.md from the measurements bench/run.py collected (bench/results/results.json).

.venv/bin/python bench/report.py [bench/results/results.json] [bench/RESULTS.md]   # rewrite without re-running
"""

import json
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TARGET_RATIO = 0.6
TARGET_DEEP = 1.5
TARGET_SEARCH_P95_MS = 100
# A streamed export's peak memory must not grow with the data: 10x the rows may cost at most this much more.
TARGET_EXPORT_GROWTH_MIB = 64
RATIO_SCENARIOS = ("list", "filter", "search", "search_common")
# Issue 15: throughput at c=4 against the baseline's, p99 at c=4 at most twice the baseline's, and at 1M nothing
# slower than the figures committed before it (bench/results-before.json).
TARGETS_15 = {"list": 0.6, "filter": 0.6, "search": 0.6, "cold_mix": 0.6, "warm_mix": 3.0}
TARGET_P99 = 2.0
# Throughput varies by a few percent between runs of the same code on this shared machine: "not slower" allows that.
NOISE = 0.05
BEFORE = BENCH / "results-before.json"
PROFILES = BENCH / "profiles"
PLANNED = ("list", "filter", "search", "search_common", "deep_page")
# A sequential scan that reads fewer rows than this is a small table's (a look-up table joined to the page, or one
# the synthetic data leaves empty); no index would make it cheaper, so the index target does not count it.
SMALL_SCAN_ROWS = 1000
SCAN_NODE = re.compile(r"Seq Scan on (\S+) .*?\(actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)\)")
REMOVED = re.compile(r"Rows Removed by Filter: (\d+)")

# Where a missed target's time goes, in short; bench/ANALYSIS.md says it in full.
WHY = {
    "list throughput": "the API's fixed cost per request (DRF dispatch, ORM query compilation, serializers): see "
    "the analysis",
    "filter throughput": "the SQL is the baseline's; what remains is the API's fixed cost per request, about "
    "7-12 ms of CPU against 1.4 ms (DRF dispatch, django-filter, five ORM queries compiled per request): see the "
    "analysis",
    "search throughput": "as for the filter: the same SQL, the API's fixed cost per request (see the analysis)",
    "deep page": "page numbers skip rows with OFFSET; cursors (`next`) do not (see the analysis)",
    "search p95": "ranking reads every match's vector: O(matches), about 110k for a common phrase at 1m; "
    "`ordering=date` skips ranking (see the analysis)",
    "filter/ordering queries use indexes": "see the plans below",
    "query count constant": "see the probe's queries per request",
}
DESCRIPTIONS = {
    "cold_mix": "cold mix: the distinct filter and search queries in turn, response cache off",
    "warm_mix": "warm mix: the same queries with a Zipf popularity, response cache on (Redis)",
    "list": "events list, default page",
    "filter": "date range (one year) + busiest actor",
    "search": "search, a place name (selective)",
    "search_common": "search, a common topic phrase",
    "deep_page": "page at 90% of the events, reached by cursor (`next` links)",
    "deep_offset": "page at 90% of the events, by page number (OFFSET)",
    "timeline": "timeline, default page",
    "detail": "one event",
    "list_100": "events list, 100 per page (in-process only)",
    "filter_100": "filter, 100 per page (in-process only)",
}


def _mib(value: float) -> str:
    return f"{value / 1024 / 1024:,.0f} MiB"


def _ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("**met**" if flag else "**missed**")


def _db_ms(probe: dict) -> float:
    return sum(float(q["time"]) for q in probe["sql"]) * 1000


def write_report(info: dict, path: Path) -> None:
    m = info["machine"]
    args = info["args"]
    lines: list[str] = []
    add = lines.append
    add("# Benchmark results")
    add("")
    add(
        f"Written by `make bench` (`bench/run.py`) on {m['date']}; the whole run took "
        f"{info.get('total_seconds', 0) / 60:.1f} minutes. Raw measurements: `bench/results/` (not committed; "
        "`results.json`, the probe's captured SQL and plans, gunicorn logs)."
    )
    flags = [f"--{k.replace('_', '-')}" for k in ("reuse", "no_export") if args.get(k)]
    if flags:
        add("")
        add(
            f"This report comes from `bench/run.py {' '.join(flags)}`: the databases (and, with --no-export, the CSV "
            "export figures) were kept from the `make bench` run that built them; every load, query-count and plan "
            "figure was measured again."
        )
    add("")
    add("## Machine and software")
    add("")
    add("| | |")
    add("|---|---|")
    add(f"| CPU | {m['cpu']}, {m['cores']} cores (shared by gunicorn, PostgreSQL and wrk) |")
    add(f"| memory | {m['memory_gib']} GiB |")
    add(f"| OS | {m['os']}, kernel {m['kernel']} |")
    add(
        f"| software | Python {m['python']}, Django {m['django']}, DRF {m['drf']}, gunicorn {m['gunicorn']}, "
        f"psycopg {m['psycopg']}, PostgreSQL {m['postgresql']}, {m['wrk'].split(' Copyright')[0]} |"
    )
    add(f"| PostgreSQL settings | {', '.join(f'{k}={v}' for k, v in m['pg_settings'].items())} (server defaults) |")
    add("")
    add("## How it was run")
    add("")
    first = next(iter(info["sizes"].values()), None)
    add("- Data: for each size a fresh PostgreSQL database (`DROP DATABASE … WITH (FORCE)`, `CREATE DATABASE`, ")
    add("  `manage.py migrate`), filled by `manage.py generate_synthetic --events N --seed 20251121` (see below).")
    if first and "server_command" in first:
        add("- Server: `DJANGO_SETTINGS_MODULE=tracker.settings.bench` (production settings plus the baseline route), ")
        add("  `DEBUG` off, `DJANGO_CONN_MAX_AGE=600` (persistent connections), `DJANGO_SECURE_SSL_REDIRECT=false`, ")
        add(
            "  `CACHE_URL=locmemcache://`, `TRACKER_RESPONSE_CACHE=false` (the cold path: no response cache) and throttle"
        )
        add("  rates no single client reaches (throttling still runs):")
        add(f"  `{first['server_command'].split(' --error-logfile')[0]}`")
        add("  (`bench/gc_hooks.py` only times each worker's garbage collections, for the profiles).")
        add(
            "- Caches per scenario: every scenario and every baseline run goes to the server above (count cache and "
            "throttle counters in each worker's local memory, response cache off), except the warm mix's API runs, "
            "which go to a second, identical server with `TRACKER_RESPONSE_CACHE=true` and `CACHE_URL` a Redis "
            "database (shared by its workers, as production shares it between app servers), flushed before the "
            "warm mix (see the query mixes below)."
        )
    add(
        f"- Load: wrk in its own process on 127.0.0.1, 1 thread, {args['connections']} connections, "
        f"{args['warmup']} s warm-up then {args['seconds']} s measured per scenario, `--timeout 60s`, "
        "`bench/report.lua` for p50/p90/p95/p99. One scenario at a time; the API and the baseline alternate."
    )
    add(
        "- Queries per request: a separate in-process pass (`bench/probe.py`) through Django's test client with the "
        "same settings and database, `CaptureQueriesContext`, after one warm-up request; it also runs "
        "`EXPLAIN (ANALYZE, BUFFERS)` on every SELECT of the list, filter, search, deep-page and timeline requests, "
        "and checks that the baseline answers the same page as the API (count, records, and whether there is a next "
        "and a previous page: the API's links carry cursors, the baseline's page numbers)."
    )
    add(
        "- Baseline: `bench/baseline.py` at `/bench/baseline/events/`: plain SQL (one query for the page, its "
        "count and the undated events a date range leaves out, one for the page's participants, citations, statements and pledges) and orjson, same gunicorn, "
        "same records. It counts on every request, as a bare view would; the API keeps its count in the cache "
        "until the data changes (`events/pagination.py`), one of the techniques measured here."
    )
    add(
        "- CSV export: a one-worker gunicorn streams `/api/v1/events/export/?format=csv` to a reader on loopback while the "
        "worker's RSS is sampled every 0.2 s from /proc (peak = max of the samples and VmHWM)."
    )
    add("")
    add("## Data")
    add("")
    add(
        "| size | events | participants | statements | pledges | citations | actors | sources | database | generation |"
    )
    add("|---|---|---|---|---|---|---|---|---|---|")
    approximate = False
    for name, entry in info["sizes"].items():
        exact = set(entry["stats"].get("exact_counts", []))
        approximate |= not exact
        t = {k: (f"{v['rows']:,}" if k in exact else f"≈{v['rows']:,}") for k, v in entry["stats"]["tables"].items()}
        build = entry["build"]
        timing = (
            f"{build['generate_seconds'] / 60:.1f} min (+ migrate {build['migrate_seconds']:.0f} s)"
            if "generate_seconds" in build
            else ""
        )
        if build.get("reused"):
            timing += " (database reused from the run that built it)"
        add(
            f"| {name} | {t.get('events_event')} | {t.get('events_eventparticipant')} | "
            f"{t.get('events_statement')} | {t.get('events_pledge')} | {t.get('events_citation')} | "
            f"{t.get('events_actor')} | {t.get('events_source')} | "
            f"{_mib(entry['stats']['database_bytes'])} | {timing} |"
        )
    add("")
    if approximate:
        add("≈: PostgreSQL's statistics (n_live_tup), not exact counts; the generator's output below is exact.")
        add("")
    for name, entry in info["sizes"].items():
        if "generate_output" in entry["build"]:
            add(f"`{entry['build']['generate_command']}` ({name}):")
            add("")
            add("```")
            add(entry["build"]["generate_output"])
            add("```")
            add("")

    add("## Results")
    add("")
    for name, entry in info["sizes"].items():
        params = entry["params"]
        add(f"### {name} events")
        add("")
        add(
            f"Parameters: filter `date_after={'2020-01-01'}&date_before=2020-12-31&actor={params['actor_slug']}` "
            f"(the busiest actor, {params['actor_events']:,} events; {params['filter_matches']:,} match), search "
            f"`{params['place']}`, common search `police training`, deep page {params['deep_page']:,} (cursor "
            f"`{params.get('deep_cursor', '')}`), "
            f"detail `{params['detail_slug']}`."
        )
        add("")
        connections = args["connections"]
        add(
            f"| scenario | variant | c=1 p50 ms | c=1 p95 ms | c=1 p99 ms | c=1 n | c={connections} req/s | "
            f"c={connections} p50 ms | c={connections} p95 ms | c={connections} p99 ms | c={connections} n | errors | "
            "queries/request | bytes | in-process ms (DB ms) | load avg |"
        )
        add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        probes = {p["name"]: p for p in entry["probe"]}
        pairs = dict.fromkeys(tuple(key.split("/")[:2]) for key in entry["load"])
        for scenario, variant in pairs:
            one = entry["load"].get(f"{scenario}/{variant}/latency", {})
            many = entry["load"].get(f"{scenario}/{variant}/throughput", {})
            p = probes.get(scenario, {})
            queries = p.get("queries") if variant == "api" else p.get("baseline_queries")
            timing = f"{p['seconds'] * 1000:.0f} ({_db_ms(p):.0f})" if p and variant == "api" else ""
            add(
                f"| {scenario} ({DESCRIPTIONS.get(scenario, '')}) | {variant} | {one.get('p50_ms')} | "
                f"{one.get('p95_ms')} | {one.get('p99_ms')} | {one.get('requests')} | "
                f"{many.get('requests_per_second', 0):.1f} | {many.get('p50_ms')} | {many.get('p95_ms')} | "
                f"{many.get('p99_ms')} | {many.get('requests')} | {one.get('errors', 0) + many.get('errors', 0)} | {queries} | "
                f"{p.get('bytes', '') if variant == 'api' else ''} | {timing} | "
                f"{one.get('loadavg_before', '')} / {many.get('loadavg_before', '')} |"
            )
        add("")
        add(
            f"c=1: one request at a time (latency without queueing); c={connections}: {connections} concurrent "
            "connections (throughput; the sync workers queue what they cannot take). n: requests completed in the "
            "run (runs of slow scenarios last longer, up to 60 s, so that several complete). In-process ms: one "
            "request through the test client after a warm-up, and the SQL time within it (CaptureQueriesContext). "
            "Load avg: 1-minute load average before the c=1 / c=N runs (2 cores: 2 or more means the machine was "
            "fully busy; our own gunicorn, PostgreSQL and wrk count too, so anything well above 2-3 means other work "
            "competed with the benchmark)."
        )
        add("")
        breakdowns = [p for p in entry["probe"] if p.get("breakdown")]
        if breakdowns:
            phases = list(dict.fromkeys(k for p in breakdowns for k in p["breakdown"]))
            add("Where the time of an API request goes (in-process, average of 10 requests, ms):")
            add("")
            add("| phase | " + " | ".join(p["name"] for p in breakdowns) + " |")
            add("|---|" + "---|" * len(breakdowns))
            for phase in phases:
                add(f"| {phase} | " + " | ".join(str(p["breakdown"].get(phase, "")) for p in breakdowns) + " |")
            add("")
        same = [p["name"] for p in entry["probe"] if p.get("baseline_same_json")]
        differ = [p["name"] for p in entry["probe"] if "baseline_same_json" in p and not p["baseline_same_json"]]
        add(
            f"Baseline answers the same JSON as the API for: {', '.join(same) or 'none'}"
            + (f"; **differs** for: {', '.join(differ)}" if differ else "")
            + "."
        )
        add("")

    issue15_targets(info, add)
    mixes_section(info, add)
    profiles_section(info, add)

    add("## Ratios and targets")
    add("")
    add(f"| size | scenario | API req/s (c={args['connections']}) | baseline req/s | API / baseline | target ≥ 0.6 |")
    add("|---|---|---|---|---|---|")
    targets: list[tuple[str, str, bool | None, str]] = []
    for name, entry in info["sizes"].items():
        load = entry["load"]
        for scenario in RATIO_SCENARIOS:
            api, base = load.get(f"{scenario}/api/throughput"), load.get(f"{scenario}/baseline/throughput")
            if not api or not base or not base["requests_per_second"]:
                continue
            ratio = api["requests_per_second"] / base["requests_per_second"]
            add(
                f"| {name} | {scenario} | {api['requests_per_second']:.1f} | {base['requests_per_second']:.1f} | "
                f"{ratio:.2f}× | {_ok(ratio >= TARGET_RATIO)} |"
            )
            if scenario != "search_common":
                targets.append((f"{scenario} throughput ≥ 0.6× baseline ({name})", f"{ratio:.2f}×", ratio >= 0.6, ""))
    add("")

    big = info["sizes"].get("1m") or (list(info["sizes"].values())[-1] if info["sizes"] else None)
    big_name = "1m" if "1m" in info["sizes"] else (list(info["sizes"])[-1] if info["sizes"] else "")
    if big:
        load = big["load"]
        first, deep = load.get("list/api/latency"), load.get("deep_page/api/latency")
        if first and deep:
            ratio = deep["p50_ms"] / first["p50_ms"] if first["p50_ms"] else 0
            tput = first["requests_per_second"] / deep["requests_per_second"] if deep["requests_per_second"] else 0
            targets.append(
                (
                    f"deep page ≤ 1.5× slower than the first page ({big_name})",
                    f"c=1 p50 {deep['p50_ms']} ms vs {first['p50_ms']} ms = {ratio:.2f}× (c=1 throughput {tput:.2f}×)",
                    ratio <= TARGET_DEEP,
                    "",
                )
            )
        for scenario in ("search", "search_common"):
            r = load.get(f"{scenario}/api/latency")
            if r:
                targets.append(
                    (
                        f"search p95 < 100 ms ({big_name}, {DESCRIPTIONS[scenario]}, c=1)",
                        f"{r['p95_ms']} ms",
                        r["p95_ms"] < TARGET_SEARCH_P95_MS,
                        "",
                    )
                )
    # Query counts: the same for 20 and 100 records per page, and at every size (measured after a warm-up, so with
    # the count cached; tests pin the uncached counts, one more, in tests/test_api.py).
    counts = {name: {p["name"]: p["queries"] for p in entry["probe"]} for name, entry in info["sizes"].items()}
    for one, many in (("list", "list_100"), ("filter", "filter_100")):
        seen = {
            f"{name} {scenario}": c[scenario] for name, c in counts.items() for scenario in (one, many) if scenario in c
        }
        if seen:
            targets.append(
                (
                    f"query count constant in page size and N ({one}; count cached, +1 uncached)",
                    ", ".join(f"{k}: {v}" for k, v in seen.items()),
                    len(set(seen.values())) == 1,
                    "",
                )
            )
    for name, entry in info["sizes"].items():
        scans = {p["name"]: seq_scans(p.get("explain", [])) for p in entry["probe"] if p["name"] in PLANNED}
        found = {k: sorted({t for t, rows in v if rows >= SMALL_SCAN_ROWS}) for k, v in scans.items()}
        found = {k: v for k, v in found.items() if v}
        small = sorted({f"{t} ({rows:,} rows)" for v in scans.values() for t, rows in v if rows < SMALL_SCAN_ROWS})
        measured = "; ".join(f"{k}: Seq Scan on {', '.join(v)}" for k, v in found.items()) or "no Seq Scan"
        if small:
            measured += f" (not counted, under {SMALL_SCAN_ROWS:,} rows read: {', '.join(small)})"
        targets.append((f"filter/ordering queries use indexes, no sequential scan ({name})", measured, not found, ""))
    exports = {name: e["export"] for name, e in info["sizes"].items() if "export" in e}
    if exports:
        peaks = {name: e["rss_peak_mib"] for name, e in exports.items()}
        complete = all(e["complete"] and e["status"] == 200 for e in exports.values())
        growth = max(peaks.values()) - min(peaks.values()) if len(peaks) > 1 else None
        bounded = complete and (growth is None or growth < TARGET_EXPORT_GROWTH_MIB)
        targets.append(
            (
                "CSV export streams in bounded memory (peak worker RSS does not grow with the rows)",
                ", ".join(f"{n}: peak {v} MiB" for n, v in peaks.items())
                + (f"; growth {growth:.0f} MiB" if growth is not None else ""),
                bounded,
                "" if complete else "an export did not finish within the cap",
            )
        )
    if big and "generate_seconds" in big["build"]:
        minutes = big["build"]["generate_seconds"] / 60
        targets.append(
            (f"generate {big_name} events in minutes, not hours", f"{minutes:.1f} min", minutes < 60, ""),
        )
    why = WHY if (BENCH / "ANALYSIS.md").exists() else {}
    add("| target | measured | result | why (see the analysis below) |")
    add("|---|---|---|---|")
    for target, measured, met, note in targets:
        reason = next((text for prefix, text in why.items() if target.startswith(prefix)), "") if not met else ""
        add(f"| {target} | {measured}{' (' + note + ')' if note else ''} | {_ok(met)} | {reason} |")
    add("")

    add("## Query plans (EXPLAIN ANALYZE of every SELECT, in-process pass)")
    add("")
    for name, entry in info["sizes"].items():
        add(f"### {name}")
        add("")
        add("| scenario | query | DB time ms | Seq Scan |")
        add("|---|---|---|---|")
        for p in entry["probe"]:
            for i, e in enumerate(p.get("explain", []), 1):
                timing = next(
                    (ln.split(":")[1].strip() for ln in e["plan"].splitlines() if ln.startswith("Execution Time")), ""
                )
                add(
                    f"| {p['name']} | {i}. `{_short(e['sql'])}` | {timing.replace(' ms', '')} | "
                    f"{', '.join(e['seq_scans']) or '—'} |"
                )
        add("")
        for p in entry["probe"]:
            if p["name"] not in ("list", "filter", "search", "deep_page", "timeline") or not p.get("explain"):
                continue
            add(f"<details><summary>{name} {p['name']}: plans</summary>")
            add("")
            for i, e in enumerate(p["explain"], 1):
                add(f"{i}. `{_short(e['sql'], 300)}`")
                add("")
                add("```")
                add(e["plan"])
                add("```")
                add("")
            add("</details>")
            add("")

    if exports:
        add("## CSV export memory")
        add("")
        add("| size | status | complete | lines | MiB sent | seconds | rows/s | first byte s | RSS before | RSS peak |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for name, e in exports.items():
            add(
                f"| {name} | {e['status']} | {e['complete']} | {e['lines']:,} | {e['bytes'] / 1048576:,.0f} | "
                f"{e['seconds']} | {e['rows_per_second']:,.0f} | {e['first_byte_seconds']} | "
                f"{e['rss_before_mib']} MiB | {e['rss_peak_mib']} MiB |"
            )
        add("")
        if any(e.get("reused") for e in exports.values()):
            add("(Export figures carried over from the run that built the databases: `--reuse --no-export`.)")
            add("")

    analysis = BENCH / "ANALYSIS.md"
    if analysis.exists():
        add(analysis.read_text().strip())
        add("")

    # The load and fault figures come from bench/load_faults.py (issue 6), written up in their own file.
    load_and_faults = BENCH / "LOAD_AND_FAULTS.md"
    if load_and_faults.exists():
        add(load_and_faults.read_text().strip())
        add("")

    add("## Raw wrk output")
    add("")
    for name, entry in info["sizes"].items():
        add(f"<details><summary>{name}</summary>")
        add("")
        add("```")
        for key, r in entry["load"].items():
            add(f"# {key}: {r['command']}")
            add(r["raw"])
            add("")
        add("```")
        add("")
        add("</details>")
        add("")
    # The response sizes are measured by bench/response_sizes.py, not by this run: keep its section.
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        begin, end = "<!-- response-sizes: begin -->", "<!-- response-sizes: end -->"
        if begin in old and end in old:
            kept = "\n" + old[old.index(begin) : old.index(end) + len(end)] + "\n"
    path.write_text("\n".join(lines) + kept)


def seq_scans(explained: list[dict]) -> list[tuple[str, int]]:
    """Each Seq Scan node of the plans as (table, rows it read): rows returned and removed by its filter, per loop."""
    found = []
    for e in explained:
        lines = e["plan"].splitlines()
        for i, line in enumerate(lines):
            node = SCAN_NODE.search(line)
            if not node:
                continue
            table, rows, loops = node.group(1), int(node.group(2)), int(node.group(3))
            removed = 0
            # The node's own details follow it, indented deeper, until the next node ("->") or a shallower line.
            depth = len(line) - len(line.lstrip())
            for detail in lines[i + 1 :]:
                if "->" in detail or len(detail) - len(detail.lstrip()) <= depth:
                    break
                if match := REMOVED.search(detail):
                    removed = int(match.group(1))
            found.append((table, (rows + removed) * loops))
    return found


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _rps(run: dict | None) -> str:
    return f"{run['requests_per_second']:.1f}" if run else ""


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def issue15_targets(info: dict, add) -> None:
    """The cold and warm targets side by side with the baseline, and at the largest size against the figures before."""
    c = info["args"]["connections"]
    add("## Targets of issue 15")
    add("")
    add(
        f"Throughput at c={c} against the baseline's on the same requests (≥ 0.6×; the warm mix ≥ 3×), and p99 at "
        f"c={c} at most {TARGET_P99:.0f}× the baseline's; both measured side by side in this run."
    )
    add("")
    add(
        "| size | scenario | API req/s | baseline req/s | API / baseline | target | result | API p99 ms | "
        "baseline p99 ms | p99 API / baseline | ≤ 2× |"
    )
    add("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, entry in info["sizes"].items():
        load = entry.get("load", {})
        for scenario, target in TARGETS_15.items():
            api, base = load.get(f"{scenario}/api/throughput"), load.get(f"{scenario}/baseline/throughput")
            if not api or not base:
                continue
            ratio = _ratio(api["requests_per_second"], base["requests_per_second"])
            tail = _ratio(api.get("p99_ms"), base.get("p99_ms"))
            add(
                f"| {name} | {scenario} | {api['requests_per_second']:.1f} | {base['requests_per_second']:.1f} | "
                f"{_x(ratio)} | ≥ {target:g}× | {_ok(None if ratio is None else ratio >= target)} | "
                f"{api.get('p99_ms')} | {base.get('p99_ms')} | {_x(tail)} | "
                f"{_ok(None if tail is None else tail <= TARGET_P99)} |"
            )
        if entry.get("warm_skipped"):
            add(f"| {name} | warm_mix | not run: {entry['warm_skipped']} | | | | | | | | |")
    add("")
    if not BEFORE.exists():
        return
    before = json.loads(BEFORE.read_text())
    sizes = [n for n in info["sizes"] if n in before["sizes"]]
    if not sizes:
        return
    name = sizes[-1]
    old, new = before["sizes"][name]["load"], info["sizes"][name].get("load", {})
    add(
        f"Nothing slower at {name} than before issue 15 ({before['source']}, measured {before['measured']}). "
        "The machine's speed drifts between runs (the baseline, unchanged, shows by how much), so the verdict "
        f"is on the API/baseline ratio at c={c}; it is met when that ratio is at least the one before, less "
        f"{NOISE:.0%} for noise."
    )
    add("")
    add(
        "| scenario | API req/s before → now | baseline req/s before → now | API/baseline before → now | "
        "c=1 p50 ms before → now | result |"
    )
    add("|---|---|---|---|---|---|")
    for scenario in ("list", "filter", "search", "search_common", "deep_page", "timeline", "detail"):
        a0, a1 = old.get(f"{scenario}/api/throughput"), new.get(f"{scenario}/api/throughput")
        if not a0 or not a1:
            continue
        b0, b1 = old.get(f"{scenario}/baseline/throughput"), new.get(f"{scenario}/baseline/throughput")
        l0, l1 = old.get(f"{scenario}/api/latency", {}), new.get(f"{scenario}/api/latency", {})
        r0 = _ratio(a0["requests_per_second"], b0["requests_per_second"]) if b0 else None
        r1 = _ratio(a1["requests_per_second"], b1["requests_per_second"]) if b1 else None
        if r0 is not None and r1 is not None:
            met = r1 >= r0 * (1 - NOISE)
        else:  # no baseline for this scenario: the API's own throughput
            met = a1["requests_per_second"] >= a0["requests_per_second"] * (1 - NOISE)
        add(
            f"| {scenario} | {a0['requests_per_second']:.1f} → {a1['requests_per_second']:.1f} | "
            f"{_rps(b0)} → {_rps(b1)} | "
            f"{_x(r0)} → {_x(r1)} | {l0.get('p50_ms')} → {l1.get('p50_ms')} | {_ok(met)} |"
        )
    add("")


def mixes_section(info: dict, add) -> None:
    mixes = {name: entry["mix"] for name, entry in info["sizes"].items() if entry.get("mix")}
    if not mixes:
        return
    add("## The query mixes")
    add("")
    add(
        "`bench/mix.py` chooses the queries from each database (seeded): actors with events (by slug, sometimes by "
        "name), alone, with a year or with a month-to-half-year range; month-to-half-year date ranges; place names "
        "(selective searches); actors' names as search terms; topic phrases (common: a few percent of the events "
        "each), mostly with a year or an actor; a few second and third pages and page sizes of 10 or 50. Only "
        "parameters the baseline also understands. `bench/mix.lua` sends them in turn from a file, to the API's "
        "path or the baseline's; each run starts at its own place in the sequence, after a warm-up on the queries "
        "just before it. The cold mix walks the distinct queries in a seeded shuffle; the warm mix walks a sequence "
        "drawn from them with a Zipf popularity (rank r with probability ∝ 1/r^s, ranks given in a seeded shuffle)."
    )
    add("")
    add(
        "| size | distinct queries | kinds | Zipf s | warm: top query's share, top 10, top 100 | "
        "distinct in the first 1k / 5k / 20k draws | API and baseline agree (sample) | matches (median, max) |"
    )
    add("|---|---|---|---|---|---|---|---|")
    for name, mix in mixes.items():
        check = mix["check"]
        first = mix["warm_distinct_in_first"]
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(mix["kinds"].items(), key=lambda kv: -kv[1]))
        add(
            f"| {name} | {mix['distinct']:,} | {kinds} | {mix['zipf_s']} | {mix['warm_top1_share']:.0%}, "
            f"{mix['warm_top10_share']:.0%}, {mix['warm_top100_share']:.0%} | "
            f"{' / '.join(str(v) for v in first.values())} | {check['same']} of {check['sample']}"
            + (f" (differ: {', '.join(d['query'] for d in check['differ'][:3])})" if check["differ"] else "")
            + f" | {check['matches_median']}, {check['matches_max']} |"
        )
    add("")
    for name, mix in mixes.items():
        kinds = mix["check"].get("by_kind")
        if not kinds:
            continue
        add(
            f"{name}: each kind's share of the mix, and its sampled queries' in-process time the first time each is "
            "asked (test client, API uncached, one request after the other), against the baseline's:"
        )
        add("")
        add("| kind | share | sampled | API ms | baseline ms | API / baseline time | matches (median) |")
        add("|---|---|---|---|---|---|---|")
        for kind, t in sorted(kinds.items(), key=lambda kv: -mix["kinds"].get(kv[0], 0)):
            add(
                f"| {kind} | {mix['kinds'].get(kind, 0) / mix['distinct']:.0%} | {t['n']} | {t['api_ms']} | "
                f"{t['baseline_ms']} | {_x(_ratio(t['api_ms'], t['baseline_ms']))} | {t['matches_median']} |"
            )
        add("")
    warm = [
        (name, mode, r)
        for name, entry in info["sizes"].items()
        for mode in ("latency", "throughput")
        if (r := entry.get("load", {}).get(f"warm_mix/api/{mode}")) and "first_time_share" in r
    ]
    if warm:
        add(
            "Warm mix, API: the Redis database is flushed once, before a warm-up of "
            f"{info['args'].get('warm_mix_warmup', '?')} s; the cache then stays from the c=1 run to the c=N run. The "
            "share of each measured run's requests that asked for a query for the first time since the flush "
            "(misses the response cache could not avoid): "
            + "; ".join(f"{name} c={r['connections']} {r['first_time_share']:.0%}" for name, _, r in warm)
            + "."
        )
        add("")


def _profile_pair(info: dict) -> dict[tuple[str, str], dict[str, dict]]:
    """(size, scenario) -> {"before": summary, "after": summary}, from this run and bench/profiles/."""
    pairs: dict[tuple[str, str], dict[str, dict]] = {}
    for path in sorted(PROFILES.glob("*.json")) if PROFILES.exists() else []:
        data = json.loads(path.read_text())
        pairs.setdefault((data["size"], data["scenario"]), {})[data["label"]] = data
    for name, entry in info["sizes"].items():
        for scenario, data in (entry.get("profile") or {}).items():
            pairs.setdefault((name, scenario), {})[data.get("label", "after")] = data
    return pairs


def profiles_section(info: dict, add) -> None:
    pairs = _profile_pair(info)
    if not pairs:
        return
    add("## Profiles: where filter and search spend a request, before and after")
    add("")
    add(
        "`bench/profile_server.py`: `py-spy record --format raw --subprocesses --idle --nonblocking --rate 200` on "
        "the gunicorn master while wrk drives the scenario at c=4 (after a warm-up), the cold server's settings. "
        "Shares are of the samples taken inside a request (waiting on PostgreSQL included: `--idle`). *Area*: each "
        "sample once, to the innermost frame that belongs to one (a standard-library frame counts for its "
        "caller). *Phase*: samples with that function on the stack (phases overlap). gc: each worker's collections "
        "timed through `gc.callbacks` (`bench/gc_hooks.py`; the worker thread's CPU time), per "
        "request of the window. The profiler costs throughput; its req/s are not the benchmark's. *before*: the "
        "code before issue 15 (`bench/profiles/before-*`, committed); *after*: this run."
    )
    add("")
    for (size, scenario), found in sorted(pairs.items()):
        labels = [label for label in ("before", "after") if label in found]
        add(f"### {scenario} at {size}: `{next(iter(found.values()))['url']}`")
        add("")
        add("| | " + " | ".join(labels) + " |")
        add("|---|" + "---|" * len(labels))
        add("| requests in the window (req/s under the profiler) | " + " | ".join(
            f"{found[label]['requests']} ({found[label]['requests_per_second']})" for label in labels
        ) + " |")  # fmt: skip
        add("| 1-minute load average before / after (2 cores) | " + " | ".join(
            str(found[label].get("loadavg", "?")) for label in labels
        ) + " |")  # fmt: skip
        add("| gc ms per request (generations 0/1/2) | " + " | ".join(
            f"{found[label]['gc']['ms_per_request']} ({' / '.join(str(v) for v in found[label]['gc']['ms_per_request_by_generation'])})"
            for label in labels
        ) + " |")  # fmt: skip
        for kind, key, title in (("phases", "phase", "phase"), ("areas", "area", "area")):
            names = list(dict.fromkeys(row[key] for label in labels for row in found[label].get(kind, [])))
            for row_name in names:
                shares = [
                    next((f"{r['share']}%" for r in found[label].get(kind, []) if r[key] == row_name), "")
                    for label in labels
                ]
                add(f"| {title}: {row_name.strip()} | " + " | ".join(shares) + " |")
        add("")
        for label in labels:
            data = found[label]
            add(f"<details><summary>{scenario} at {size}, {label}: top {len(data['self'])} functions</summary>")
            add("")
            add("| self | function | area |  | inclusive | function | area |")
            add("|---|---|---|---|---|---|---|")
            for own, inc in zip(data["self"], data["inclusive"], strict=False):
                add(
                    f"| {own['share']}% | `{own['function']}` | {own['area']} | | {inc['share']}% | "
                    f"`{inc['function']}` | {inc['area']} |"
                )
            add("")
            add("</details>")
            add("")


def _short(sql: str, limit: int = 110) -> str:
    flat = " ".join(sql.split()).replace("|", "\\|").replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results" / "results.json"
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else BENCH / "RESULTS.md"
    write_report(json.loads(source.read_text()), target)
    print(f"wrote {target}")
