"""Writes bench/RESULTS.md from the measurements bench/run.py collected (bench/results/results.json).

.venv/bin/python bench/report.py [bench/results/results.json] [bench/RESULTS.md]   # rewrite without re-running
"""

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TARGET_RATIO = 0.6
TARGET_DEEP = 1.5
TARGET_SEARCH_P95_MS = 100
# A streamed export's peak memory must not grow with the data: 10x the rows may cost at most this much more.
TARGET_EXPORT_GROWTH_MIB = 64
RATIO_SCENARIOS = ("list", "filter", "search", "search_common")
PLANNED = ("list", "filter", "search", "search_common", "deep_page")

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
        add("  `CACHE_URL=locmemcache://` and throttle rates no single client reaches (throttling still runs):")
        add(f"  `{first['server_command'].split(' --error-logfile')[0]}`")
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
        "- Baseline: `bench/baseline.py` at `/bench/baseline/events/`: plain SQL (one query for the page and its "
        "count, one for the page's participants, citations, statements and pledges) and orjson, same gunicorn, "
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
            f"c={connections} p50 ms | c={connections} p95 ms | c={connections} n | errors | queries/request | bytes | "
            "in-process ms (DB ms) | load avg |"
        )
        add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
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
                f"{many.get('requests')} | {one.get('errors', 0) + many.get('errors', 0)} | {queries} | "
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
        scans = {
            p["name"]: sorted({t for e in p.get("explain", []) for t in e["seq_scans"]})
            for p in entry["probe"]
            if p["name"] in PLANNED
        }
        found = {k: v for k, v in scans.items() if v}
        targets.append(
            (
                f"filter/ordering queries use indexes, no sequential scan ({name})",
                "; ".join(f"{k}: Seq Scan on {', '.join(v)}" for k, v in found.items()) or "no Seq Scan",
                not found,
                "",
            )
        )
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


def _short(sql: str, limit: int = 110) -> str:
    flat = " ".join(sql.split()).replace("|", "\\|").replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results" / "results.json"
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else BENCH / "RESULTS.md"
    write_report(json.loads(source.read_text()), target)
    print(f"wrote {target}")
