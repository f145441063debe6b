"""Per-row costs measured on this machine, for bench/SCALING.md's estimate of 100M events. Prints Markdown.

    .venv/bin/python bench/scaling.py storage                 # sizes in the bench databases (read-only)
    .venv/bin/python bench/scaling.py plans                   # EXPLAIN ANALYZE at 100k and 1M (read-only)
    .venv/bin/python bench/scaling.py backup                  # pg_dump -Fc of the 100k database (read-only)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_scale CACHE_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/scaling.py writes --seconds 15 --concurrency 1,2,4
    .venv/bin/python bench/scaling.py partition --scratch h_scale

`writes` needs a scratch database with the schema and the story (`manage.py migrate`, `manage.py load_story`); it
adds events to it. `partition` copies the 1M database's event keys into two tables of the scratch database (one
plain, one partitioned by year) and compares their plans. The bench databases are only read.
"""

import argparse
import datetime
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432/"
SIZES = {"100k": "tracker_bench_100k", "1m": "tracker_bench_1m"}
TARGET_EVENTS = 100_000_000
MIB = 1024 * 1024
GIB = 1024 * MIB


def psql(database: str, sql: str) -> list[list[str]]:
    """Rows of one statement through psql (no Django, so the bench databases are opened read-only in spirit)."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-AtX", "-F", "\t", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def human(n: float) -> str:
    for unit, size in (("TiB", 1024 * GIB), ("GiB", GIB), ("MiB", MIB), ("KiB", 1024)):
        if abs(n) >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} B"


# ---------------------------------------------------------------------------------------------------------- storage

RELATIONS_SQL = """
select c.relname, 'heap', pg_relation_size(c.oid) from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'r' and c.relname like 'events\\_%'
union all
select c.relname, 'toast', coalesce(pg_total_relation_size(c.reltoastrelid), 0)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'r' and c.relname like 'events\\_%'
union all
select t.relname, i.relname, pg_relation_size(i.oid) from pg_index x join pg_class i on i.oid = x.indexrelid
  join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = t.relnamespace
  where n.nspname = 'public' and t.relname like 'events\\_%'
"""


def sizes(database: str) -> dict[tuple[str, str], int]:
    return {(table, part): int(size) for table, part, size in psql(database, RELATIONS_SQL)}


def storage(_args) -> dict:
    measured = {label: sizes(db) for label, db in SIZES.items()}
    events = {label: int(psql(db, "select count(*) from events_event")[0][0]) for label, db in SIZES.items()}
    totals = {label: int(psql(db, "select pg_database_size(current_database())")[0][0]) for label, db in SIZES.items()}
    print("### Storage per event, by table (bench databases, `generate_synthetic`, indexes built after the load)\n")
    print(
        "| table | rows per event (1m) | heap+TOAST B/event | indexes B/event | 1m/100k | 100M: heap+TOAST | 100M: indexes |"
    )
    print("|---|---|---|---|---|---|---|")
    tables = sorted({t for t, _ in measured["1m"]})
    counts = {
        t: int(r[0])
        for t, r in zip(
            tables,
            psql(
                SIZES["1m"],
                " union all ".join(f"select reltuples::bigint from pg_class where relname = '{t}'" for t in tables),
            ),
            strict=True,
        )
    }
    for table in sorted(tables, key=lambda t: -sum(v for (x, _), v in measured["1m"].items() if x == t)):
        data = {
            lab: sum(v for (x, p), v in measured[lab].items() if x == table and p in ("heap", "toast")) for lab in SIZES
        }
        index = {
            lab: sum(v for (x, p), v in measured[lab].items() if x == table and p not in ("heap", "toast"))
            for lab in SIZES
        }
        if data["1m"] + index["1m"] < 4 * MIB:
            continue
        d, i = data["1m"] / events["1m"], index["1m"] / events["1m"]
        ratio = (data["1m"] + index["1m"]) / events["1m"] / ((data["100k"] + index["100k"]) / events["100k"])
        print(
            f"| {table.removeprefix('events_')} | {counts[table] / events['1m']:.2f} | {d:,.0f} | {i:,.0f} | "
            f"{ratio:.2f} | {human(d * TARGET_EVENTS)} | {human(i * TARGET_EVENTS)} |"
        )
    print()
    print("### Storage per event, by relation\n")
    print(f"Events: {events['100k']:,} and {events['1m']:,}. Bytes per event = relation size / events.\n")
    print("| table | relation | 100k B/event | 1m B/event | 1m/100k | 100M estimate |")
    print("|---|---|---|---|---|---|")
    per_table: dict[str, float] = {}
    for key in sorted(measured["1m"], key=lambda k: (k[0], k[1] != "heap", k[1] != "toast", k[1])):
        big, small = measured["1m"][key], measured["100k"].get(key, 0)
        if big < 1 * MIB:
            continue
        b_small, b_big = small / events["100k"], big / events["1m"]
        ratio = f"{b_big / b_small:.2f}" if b_small else ""
        per_table[key[0]] = per_table.get(key[0], 0) + b_big
        print(
            f"| {key[0].removeprefix('events_')} | {key[1]} | {b_small:,.0f} | {b_big:,.0f} | {ratio} | {human(b_big * TARGET_EVENTS)} |"
        )
    whole = {label: totals[label] / events[label] for label in SIZES}
    print(
        f"| **database** | pg_database_size | {whole['100k']:,.0f} | {whole['1m']:,.0f} | "
        f"{whole['1m'] / whole['100k']:.2f} | **{human(whole['1m'] * TARGET_EVENTS)}** |\n"
    )
    heap = sum(v for (t, p), v in measured["1m"].items() if p in ("heap", "toast")) / events["1m"]
    index = sum(v for (t, p), v in measured["1m"].items() if p not in ("heap", "toast")) / events["1m"]
    print(f"At 1m: heap and TOAST {heap:,.0f} B/event, indexes {index:,.0f} B/event.\n")
    columns = psql(
        SIZES["1m"],
        "select avg(pg_column_size(search_text))::int, avg(pg_column_size(search_vector))::int, "
        "avg(pg_column_size(t.*))::int from events_event t tablesample system (1)",
    )[0]
    print(
        f"Events at 1m, 1% sample: search_text {columns[0]} B, search_vector {columns[1]} B, whole row {columns[2]} B "
        "(average column sizes as stored).\n"
    )
    return {"bytes": {k: {f"{t}/{p}": v for (t, p), v in s.items()} for k, s in measured.items()}, "events": events}


# ------------------------------------------------------------------------------------------------------------ plans

PLANS = {
    "page of one year (date range, first 20 by date, slug)": "select id from events_event where date >= '2020-01-01' "
    "and date <= '2020-12-31' order by date, slug limit 20",
    "count of one year": "select count(*) from events_event where date >= '2020-01-01' and date <= '2020-12-31'",
    "count of all events": "select count(*) from events_event",
    "events per year (aggregate over all)": "select date_part('year', date), count(*) from events_event group by 1",
    "common phrase, ranked (search_common)": "select id from events_event, websearch_to_tsquery('english', "
    "'police training') q where search_vector @@ q order by ts_rank(search_vector, q) desc, date, slug limit 20",
    "common phrase, by date (ordering=date)": "select id from events_event, websearch_to_tsquery('english', "
    "'police training') q where search_vector @@ q order by date, slug limit 20",
    "matches of the common phrase": "select count(*) from events_event where search_vector @@ "
    "websearch_to_tsquery('english', 'police training')",
    "selective phrase, ranked": "select id from events_event, websearch_to_tsquery('english', 'Xanugrad') q "
    "where search_vector @@ q order by ts_rank(search_vector, q) desc, date, slug limit 20",
}


def explain(database: str, sql: str) -> dict:
    lines = psql(database, f"explain (analyze, buffers, format json) {sql}")
    plan = json.loads("\n".join("\t".join(line) for line in lines))[0]
    top = plan["Plan"]
    return {
        "ms": plan["Execution Time"],
        "rows": top.get("Actual Rows"),
        "hit": top.get("Shared Hit Blocks", 0),
        "read": top.get("Shared Read Blocks", 0),
        "node": top["Node Type"],
    }


def plans(_args) -> dict:
    print("### Query costs at 100k and 1m (EXPLAIN ANALYZE, second run of each, warm cache)\n")
    print("| query | 100k ms | 1m ms | 1m/100k | 1m buffers (hit+read) | 100M estimate |")
    print("|---|---|---|---|---|---|")
    out = {}
    for name, sql in PLANS.items():
        row = {}
        for label, db in SIZES.items():
            explain(db, sql)
            row[label] = explain(db, sql)
        growth = row["1m"]["ms"] / max(row["100k"]["ms"], 0.01)
        linear = row["1m"]["ms"] * TARGET_EVENTS / 1_000_000
        buffers = row["1m"]["hit"] + row["1m"]["read"]
        estimate = f"≈{linear / 1000:,.0f} s if linear" if growth > 3 else "flat"
        print(
            f"| {name} | {row['100k']['ms']:,.1f} | {row['1m']['ms']:,.1f} | {growth:.1f}× | {buffers:,} "
            f"({human(buffers * 8192)}) | {estimate} |"
        )
        out[name] = row
    print()
    return out


# ----------------------------------------------------------------------------------------------------------- writes


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings.local")
    import django

    django.setup()


def _wal(cursor) -> int:
    cursor.execute("select pg_current_wal_lsn() - '0/0'::pg_lsn")
    return int(cursor.fetchone()[0])


def _backend_cpu() -> tuple[int, float]:
    """This process's PostgreSQL backend and the CPU seconds it has used so far (from /proc: same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid, _cpu_of(pid)


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace("\n", " ").split(". ")]
    return [p for p in parts if 20 <= len(p) <= 400]


def _service_worker(worker: int, seconds: float, queue) -> None:
    _django()
    from events import services
    from events.inputs import CitationData, EventInput, ParticipantData
    from events.models import Actor, Event, EventParticipant, Source

    rng = random.Random(worker)
    actors = list(Actor.objects.all())
    excerpts = [(s, e) for s in Source.objects.all() for e in _sentences(s.text) if e in s.text]
    roles = [r for r, _ in EventParticipant.Role.choices]
    types = [t for t, _ in Event.Type.choices]
    latencies, n, errors = [], 0, 0
    cpu = time.process_time()
    backend, db_cpu = _backend_cpu()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        day = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(3650))
        cited = rng.sample(excerpts, 2)
        data = EventInput(
            title=f"Scaling write {worker}-{n} {rng.choice(['talks', 'deployment', 'ceasefire', 'meeting'])}",
            event_type=rng.choice(types),
            date=day,
            description="A meeting of officials about police training and the stabilisation force.",
            participants=[
                ParticipantData(actor=a, role=r)
                for a, r in zip(rng.sample(actors, 3), rng.sample(roles, 3), strict=True)
            ],
            citations=[CitationData(source=s, excerpt=e) for s, e in cited],
        )
        start = time.perf_counter()
        try:
            services.record_create(data=data)
        except Exception as error:  # noqa: BLE001 - counted and reported, not hidden
            errors += 1
            if errors == 1:
                print(f"worker {worker}: {error!r}", file=sys.stderr)
            continue
        latencies.append(time.perf_counter() - start)
    queue.put((latencies, errors, time.process_time() - cpu, _cpu_of(backend) - db_cpu))


RAW_EVENT = """
insert into events_event (slug, title, description, event_type, status, location, country, place_id, coding_note,
  date, date_precision, date_end, date_note, search_text, version, created_at, updated_at)
select %s, title, description, event_type, status, location, country, place_id, coding_note, date, date_precision,
  date_end, date_note, search_text, 1, now(), now() from events_event where id = %s returning id
"""
RAW_PARTICIPANTS = """
insert into events_eventparticipant (event_id, actor_id, role, event_date, event_date_end)
select %s, actor_id, role, event_date, event_date_end from events_eventparticipant where event_id = %s
"""
RAW_CITATIONS = """
insert into events_citation (source_id, excerpt, event_id, created_at, updated_at)
select source_id, excerpt, %s, now(), now() from events_citation where event_id = %s
"""


def _raw_worker(worker: int, seconds: float, queue) -> None:
    """The same rows (an event, its participants and citations) by plain INSERTs, one transaction each: no
    validation, history, change feed, search-text refresh or generation bump."""
    _django()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "select e.id from events_event e where exists (select 1 from events_eventparticipant p "
            "where p.event_id = e.id) and exists (select 1 from events_citation c where c.event_id = e.id) "
            "and e.title not like 'Scaling write%%'"
        )
        templates = [r[0] for r in cursor.fetchall()]
    rng = random.Random(worker)
    latencies, n = [], 0
    cpu = time.process_time()
    backend, db_cpu = _backend_cpu()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        template = rng.choice(templates)
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RAW_EVENT, [f"scaling-raw-{os.getpid()}-{time.time_ns()}", template])
            new = cursor.fetchone()[0]
            cursor.execute(RAW_PARTICIPANTS, [new, template])
            cursor.execute(RAW_CITATIONS, [new, template])
        latencies.append(time.perf_counter() - start)
    queue.put((latencies, 0, time.process_time() - cpu, _cpu_of(backend) - db_cpu))


def _table_bytes(cursor) -> dict[str, int]:
    cursor.execute(
        "select relname, pg_total_relation_size(oid) from pg_class where relkind = 'r' and relname like 'events\\_%%'"
    )
    return dict(cursor.fetchall())


def _run(kind: str, concurrency: int, seconds: float) -> dict:
    from django.db import connection, connections

    with connection.cursor() as cursor:
        before_wal, before_tables = _wal(cursor), _table_bytes(cursor)
        cursor.execute("select count(*) from events_event")
        before_events = cursor.fetchone()[0]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    target = _service_worker if kind == "services" else _raw_worker
    workers = [context.Process(target=target, args=(w, seconds, queue)) for w in range(concurrency)]
    started = time.monotonic()
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    with connection.cursor() as cursor:
        after_wal, after_tables = _wal(cursor), _table_bytes(cursor)
        cursor.execute("select count(*) from events_event")
        created = cursor.fetchone()[0] - before_events
    latencies = sorted(x for r in results for x in r[0])
    growth = {t: after_tables[t] - before_tables.get(t, 0) for t in after_tables}
    return {
        "kind": kind,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "writes": created,
        "errors": sum(r[1] for r in results),
        "per_second": created / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "app_cpu_ms_per_write": 1000 * sum(r[2] for r in results) / max(len(latencies), 1),
        "db_cpu_ms_per_write": 1000 * sum(r[3] for r in results) / max(len(latencies), 1),
        "wal_per_write": (after_wal - before_wal) / max(created, 1),
        "bytes_per_write": {t: g / max(created, 1) for t, g in growth.items() if g > 0},
    }


def writes(args) -> dict:
    _django()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select current_database(), count(*) from events_event")
        database, existing = cursor.fetchone()
    if database in SIZES.values():
        raise SystemExit(f"{database} is a bench database: writes run only against a scratch database")
    runs, load_before = [], os.getloadavg()[0]
    for kind in ("services", "raw"):
        for concurrency in args.concurrency:
            seconds = args.seconds if kind == "services" else args.seconds / 2
            runs.append(_run(kind, concurrency, seconds))
    print(
        f"### Write rate (database {database}, {existing:,} events before; {os.cpu_count()} cores shared; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)\n"
    )
    print("An event with 3 participants and 2 citations per write; `services` = `services.record_create`, one")
    print("transaction each; `raw` = the same rows by three INSERT … SELECT in one transaction.\n")
    print(
        "| door | processes | s | writes | errors | writes/s | p50 ms | p95 ms | app CPU ms/write | DB CPU ms/write | WAL KiB/write |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r['kind']} | {r['concurrency']} | {r['seconds']} | {r['writes']:,} | {r['errors']} | "
            f"{r['per_second']:,.1f} | {r['p50_ms']:,.1f} | {r['p95_ms']:,.1f} | {r['app_cpu_ms_per_write']:,.1f} | {r['db_cpu_ms_per_write']:,.1f} | {r['wal_per_write'] / 1024:,.1f} |"
        )
    print()
    for kind in ("services", "raw"):
        total: dict[str, float] = {}
        for r in runs:
            if r["kind"] == kind:
                for table, b in r["bytes_per_write"].items():
                    total[table] = total.get(table, 0) + b * r["writes"]
        count = sum(r["writes"] for r in runs if r["kind"] == kind)
        rows = sorted(((b / count, t) for t, b in total.items()), reverse=True)
        print(f"Bytes added per write through `{kind}` (heap, TOAST and indexes, all runs): ", end="")
        print(", ".join(f"{t.removeprefix('events_')} {b:,.0f}" for b, t in rows if b >= 50), end="")
        print(f"; total {sum(b for b, _ in rows):,.0f} B.\n")
    return {"runs": runs, "history": history_per_event()}


HISTORY_TABLES = ("historicalevent", "historicaleventparticipant", "historicalcitation", "change")


def history_per_event() -> dict:
    """What the history tables and the change feed hold per event written through the services, over the whole
    scratch database (thousands of rows, so that page granularity does not matter; raw writes add none)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select count(*) from events_historicalevent where history_type = '+'")
        created = cursor.fetchone()[0]
        out = {}
        for table in HISTORY_TABLES:
            cursor.execute(
                f"select count(*), pg_relation_size('events_{table}'), pg_indexes_size('events_{table}'), "
                f"pg_total_relation_size('events_{table}') from events_{table}"
            )
            rows, heap, index, total = cursor.fetchone()
            out[table] = {"rows": rows, "heap": heap, "indexes": index, "total": total}
    print(f"History and change feed in the scratch database, per event created through the services ({created:,}):\n")
    print("| table | rows per event | heap B/event | index B/event | total B/event | 100M events |")
    print("|---|---|---|---|---|---|")
    for table, o in out.items():
        print(
            f"| {table} | {o['rows'] / created:.2f} | {o['heap'] / created:,.0f} | {o['indexes'] / created:,.0f} | "
            f"{o['total'] / created:,.0f} | {human(o['total'] / created * TARGET_EVENTS)} |"
        )
    total = sum(o["total"] for o in out.values()) / created
    print(f"| **all** | | | | **{total:,.0f}** | **{human(total * TARGET_EVENTS)}** |\n")
    return out


# -------------------------------------------------------------------------------------------------------- partition

COPY_COLUMNS = "id bigint, slug varchar(100), date date, date_end date, event_type varchar(30), title varchar(300)"
PARTITION_QUERIES = {
    "page of one year": "select id from {t} where date >= '2020-01-01' and date <= '2020-12-31' "
    "order by date, slug limit 20",
    "count of one year": "select count(*) from {t} where date >= '2020-01-01' and date <= '2020-12-31'",
    "first page, all years": "select id from {t} order by date, slug limit 20",
    "page at 90% by cursor": "select id from {t} where (date, slug) > ('2025-06-08', 'syn-event-0366081') "
    "order by date, slug limit 20",
    "one event by slug (detail)": "select id from {t} where slug = 'syn-event-0555596'",
    "count of all events": "select count(*) from {t}",
}


def partition(args) -> dict:
    db = args.scratch
    if db in SIZES.values():
        raise SystemExit("the partition experiment writes: give it a scratch database")
    source = f"host=127.0.0.1 user=postgres dbname={SIZES['1m']}"
    started = time.monotonic()
    statements = [
        "create extension if not exists dblink",
        "drop table if exists scaling_flat, scaling_part",
        f"create table scaling_flat ({COPY_COLUMNS})",
        f"insert into scaling_flat select * from dblink('{source}', 'select id, slug, date, date_end, event_type, "
        f"title from events_event') as t({COPY_COLUMNS})",
        f"create table scaling_part ({COPY_COLUMNS}) partition by range (date)",
    ]
    for sql in statements:
        psql(db, sql)
    low, high = (
        int(v)
        for v in psql(db, "select min(date_part('year', date)), max(date_part('year', date)) from scaling_flat")[0]
    )
    years = list(range(low, high + 1))
    for y in years:
        psql(
            db,
            f"create table scaling_part_{y} partition of scaling_part for values from ('{y}-01-01') "
            f"to ('{y + 1}-01-01')",
        )
    psql(db, "create table scaling_part_default partition of scaling_part default")
    psql(db, "insert into scaling_part select * from scaling_flat")
    psql(db, "alter table scaling_flat add primary key (id)")
    psql(db, "create unique index on scaling_flat (slug)")
    psql(db, "create index on scaling_flat (date, slug)")
    psql(db, "create index on scaling_part (date, slug)")
    psql(db, "create index on scaling_part (slug)")
    try:
        psql(db, "create unique index on scaling_part (slug)")
        unique_error = "(accepted)"
    except subprocess.CalledProcessError as error:
        unique_error = error.stderr.strip().splitlines()[0]
    psql(db, "vacuum analyze scaling_flat")
    psql(db, "vacuum analyze scaling_part")
    built = time.monotonic() - started
    print(f"### Partitioned by year vs one table (1M events' keys copied into {db}, {len(years)} yearly partitions")
    print(f"{years[0]}–{years[-1]} and a default one for undated events; built in {built:.0f} s)\n")
    print("| query | one table ms | buffers | partitioned ms | buffers | partitions scanned |")
    print("|---|---|---|---|---|---|")
    out = {}
    for name, sql in PARTITION_QUERIES.items():
        row = {}
        for t in ("scaling_flat", "scaling_part"):
            explain(db, sql.format(t=t))
            row[t] = explain(db, sql.format(t=t))
        plan = "\n".join(r[0] for r in psql(db, "explain " + sql.format(t="scaling_part")))
        scanned = len({line.split(" on ")[1].split()[0] for line in plan.splitlines() if " on scaling_part_" in line})
        f, p = row["scaling_flat"], row["scaling_part"]
        print(
            f"| {name} | {f['ms']:,.2f} | {f['hit'] + f['read']:,} | {p['ms']:,.2f} | {p['hit'] + p['read']:,} | "
            f"{scanned} of {len(years) + 1} |"
        )
        out[name] = row
    print(f"\nA unique index on the slug alone over the partitioned table: `{unique_error}`\n")
    return out


def backup(_args) -> dict:
    """pg_dump -Fc of the 100k database (read-only), to a temporary file that is removed."""
    import tempfile

    database = SIZES["100k"]
    events = int(psql(database, "select count(*) from events_event")[0][0])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dump"
        started = time.monotonic()
        subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-f", str(path), database], check=True)
        seconds, size = time.monotonic() - started, path.stat().st_size
    print(f"### Logical backup (`pg_dump -Fc {database}`)\n")
    print(f"{human(size)} in {seconds:.0f} s: {size / events:,.0f} B per event, {events / seconds:,.0f} events/s; ")
    print(
        f"at 100M events ≈ {human(size / events * TARGET_EVENTS)}, ≈ {TARGET_EVENTS / (events / seconds) / 3600:.1f} h"
    )
    print("at this rate on one core.\n")
    return {"bytes": size, "seconds": seconds, "events": events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["storage", "plans", "writes", "partition", "backup"])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    parser.add_argument("--scratch", default="h_scale")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    result = {"storage": storage, "plans": plans, "writes": writes, "partition": partition, "backup": backup}[
        args.part
    ](args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
