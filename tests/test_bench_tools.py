"""The benchmark's own arithmetic: how a profile's stacks are summarised, how a warm mix counts its first-time
queries, and which sequential scans the index target counts. The figures themselves belong to bench/, never to tests (issue 12's decision)."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def bench_modules():
    sys.path.insert(0, str(BENCH))
    try:
        import profile_server
        import run

        yield profile_server, run
    finally:
        sys.path.remove(str(BENCH))


REQUEST = (
    'process 1:"gunicorn";<module> (gunicorn:8);SyncWorker.handle_request (gunicorn/workers/sync.py:184);'
    "WSGIHandler.__call__ (django/core/handlers/wsgi.py:124);APIView.dispatch (rest_framework/views.py:512)"
)


def test_profile_summary_attributes_each_sample_once_to_the_innermost_area(bench_modules):
    profile_server, _ = bench_modules
    raw = "\n".join(
        [
            # A standard-library leaf counts for the closest caller with an area: django-filter here.
            f"{REQUEST};BaseFilterSet.is_valid (django_filters/filterset.py:40);deepcopy (copy.py:137) 6",
            f"{REQUEST};SQLCompiler.execute_sql (django/db/models/sql/compiler.py:1);Connection.wait (psycopg/connection.py:495) 3",
            f"{REQUEST};SQLCompiler.as_sql (django/db/models/sql/compiler.py:700) 1",
            # Outside a request: idle, in no share.
            'process 1:"gunicorn";<module> (gunicorn:8);Arbiter.wait_for_signals (gunicorn/arbiter.py:425) 10',
        ]
    )
    summary = profile_server.summarise(raw)
    assert summary["busy_samples"] == 10
    assert summary["idle_share"] == 50.0
    areas = {a["area"]: a["share"] for a in summary["areas"]}
    assert areas == {
        "django-filter and its form": 60.0,
        "psycopg: SQL round trips and adaptation": 30.0,
        "ORM: SQL compilation (as_sql)": 10.0,
    }
    assert summary["self"][0] == {
        "function": "deepcopy (copy.py)",
        "area": "django-filter and its form",
        "share": 60.0,
    }
    phases = {p["phase"].strip(): p["share"] for p in summary["phases"]}
    assert phases["of which the FilterSet form's is_valid"] == 60.0
    assert phases["ORM SQL compilation (SQLCompiler.as_sql)"] == 10.0
    # Functions on every stack say nothing, and are left out of the inclusive ranking.
    inclusive = [f["function"] for f in summary["inclusive"]]
    assert "APIView.dispatch (rest_framework/views.py)" not in inclusive
    assert set(inclusive[:2]) == {"BaseFilterSet.is_valid (django_filters/filterset.py)", "deepcopy (copy.py)"}


def test_warm_mix_counts_a_query_as_first_time_once_since_the_flush(bench_modules, tmp_path):
    _, run = bench_modules
    sequence = tmp_path / "warm.txt"
    sequence.write_text("a\nb\na\nc\nb\nd\n")
    seen: set[str] = set()
    # Warm-up sends lines 0-1 (a, b); the run sends lines 2-5 (a, c, b, d): c and d are new.
    assert run.first_time_share(sequence, seen=seen, warmup=(0, 2), run=(2, 4)) == 0.5
    # The cache is kept between runs: a later run over the same lines asks nothing new, and wraps around the file.
    assert run.first_time_share(sequence, seen=seen, warmup=(0, 0), run=(4, 4)) == 0.0
    assert seen == {"a", "b", "c", "d"}


PLAN = """Limit  (cost=60.00..60.05 rows=20 width=1050) (actual time=1.9..1.9 rows=20 loops=1)
  ->  Hash Right Join  (cost=48.24..59.62 rows=10 width=1050) (actual time=1.687..1.743 rows=479 loops=1)
        ->  Seq Scan on events_place  (cost=0.00..11.00 rows=100 width=778) (actual time=0.003..0.003 rows=0 loops=1)
        ->  Hash  (cost=48.11..48.11 rows=10 width=272) (actual time=1.680..1.680 rows=479 loops=1)
              ->  Parallel Seq Scan on events_event  (cost=0.00..14306.67 rows=41667 width=272) (actual time=0.010..31.369 rows=300 loops=3)
                    Filter: (date >= '2020-01-01'::date)
                    Rows Removed by Filter: 33000
                    Buffers: shared hit=12604 read=1286
Planning Time: 0.199 ms"""


def test_index_target_counts_the_rows_a_scan_reads_not_the_rows_it_returns():
    sys.path.insert(0, str(BENCH))
    try:
        import report
    finally:
        sys.path.remove(str(BENCH))
    scans = report.seq_scans([{"plan": PLAN}])
    # The empty look-up table reads nothing; the filtered scan returns 300 a loop but reads 33,300, three times.
    assert scans == [("events_place", 0), ("events_event", 99900)]
    assert [t for t, rows in scans if rows >= report.SMALL_SCAN_ROWS] == ["events_event"]
