"""In-process measurements against a bench database, run by bench/run.py in a subprocess with the bench settings.

    python bench/probe.py params  OUT.json   # the benchmark's parameters, chosen from the data (deterministic)
    python bench/probe.py measure IN.json OUT.json

`measure` requests each scenario's URL through Django's test client (same settings and database as gunicorn) and
records the SQL query count per request (CaptureQueriesContext), the response size, whether the baseline view
answers the same JSON as the API, and EXPLAIN (ANALYZE, BUFFERS) of each query of the scenarios marked `explain`.
"""

import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings.bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SEQ_SCAN = re.compile(r"Seq Scan on (\S+)")


def choose_params() -> dict:
    """Realistic, deterministic parameters: the busiest actor, a place name, a common topic, a deep page."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events_event")
        events = cursor.fetchone()[0]
        cursor.execute(
            "SELECT a.slug, a.name, count(*) FROM events_eventparticipant p JOIN events_actor a ON a.id = p.actor_id "
            "GROUP BY a.slug, a.name ORDER BY count(*) DESC, a.slug LIMIT 1"
        )
        actor_slug, actor_name, actor_events = cursor.fetchone()
        cursor.execute(
            "SELECT slug, location FROM events_event WHERE location <> '' ORDER BY slug OFFSET %s LIMIT 1",
            [events // 2],
        )
        detail_slug, place = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM events_event WHERE date_end >= '2020-01-01' AND date <= '2020-12-31' AND id IN "
            "(SELECT event_id FROM events_eventparticipant WHERE actor_id = (SELECT id FROM events_actor WHERE "
            "slug = %s))",
            [actor_slug],
        )
        filter_matches = cursor.fetchone()[0]
    deep_page = max(1, int(events * 0.9) // 20)
    with connection.cursor() as cursor:
        # The last row before that page, in the list's order: the cursor a client following `next` holds there.
        cursor.execute(
            "SELECT date, slug FROM events_event ORDER BY date ASC NULLS LAST, slug OFFSET %s LIMIT 1",
            [(deep_page - 1) * 20 - 1],
        )
        deep_key = list(cursor.fetchone())
    from events.api.pagination import TrackerPagination

    return {
        "events": events,
        "actor_slug": actor_slug,
        "actor_name": actor_name,
        "actor_events": actor_events,
        "filter_matches": filter_matches,
        "detail_slug": detail_slug,
        "place": place,
        "deep_page": deep_page,
        "deep_cursor": TrackerPagination()._encode(deep_key, reverse=False),
    }


def _same(api: dict, baseline: dict) -> bool:
    """The same page: count and records. The links differ by design: the API's carry cursors, the baseline's page
    numbers, each on its own path; whether each has a next and a previous page must agree."""

    def strip(body: dict) -> dict:
        body = dict(body)
        for key in ("next", "previous"):
            body[key] = body.get(key) is not None
        return body

    return strip(api) == strip(baseline)


def explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        elapsed = time.perf_counter() - started
    return {"plan": plan, "seq_scans": sorted(set(SEQ_SCAN.findall(plan))), "explain_seconds": round(elapsed, 3)}


class Phases:
    """Times the phases of a DRF request by wrapping the framework's methods, in this process only."""

    def __init__(self):
        from rest_framework import generics, renderers, serializers

        from events.api import representation, rows

        self.totals: dict[str, float] = {}
        self.patches = [
            (generics.GenericAPIView, "filter_queryset", "filter (FilterSet, form, actor look-ups)"),
            (generics.GenericAPIView, "paginate_queryset", "paginate (count, keys, page SQL, model rows)"),
            (rows, "load", "related rows (one values() query per relation)"),
            (serializers.ListSerializer, "to_representation", "serialize (DRF fields)"),
            (representation.CompiledListSerializer, "to_representation", "serialize (compiled serializers)"),
            (representation.CompiledReadMixin, "to_representation", "serialize (compiled serializers)"),
            (renderers.JSONRenderer, "render", "render JSON"),
        ]
        self.originals = []

    def __enter__(self):
        for owner, name, label in self.patches:
            original = getattr(owner, name)
            self.originals.append((owner, name, original))
            setattr(owner, name, self._timed(original, label))
        return self

    def _timed(self, original, label):
        depth = {"n": 0}

        def wrapper(*args, **kwargs):
            depth["n"] += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                depth["n"] -= 1
                if depth["n"] == 0:  # nested serializers are counted once, in the outermost call
                    self.totals[label] = self.totals.get(label, 0.0) + time.perf_counter() - started

        return wrapper

    def __exit__(self, *exc):
        for owner, name, original in self.originals:
            setattr(owner, name, original)


def breakdown(client: Client, url: str, repeat: int = 10) -> dict:
    """Average milliseconds per phase of ``url``, over ``repeat`` requests after a warm-up."""
    client.get(url)
    sql = 0.0
    with Phases() as phases:
        started = time.perf_counter()
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            sql += sum(float(q["time"]) for q in captured.captured_queries)
        total = time.perf_counter() - started
    result = {label: round(seconds / repeat * 1000, 2) for label, seconds in phases.totals.items()}
    result["SQL (inside the phases above)"] = round(sql / repeat * 1000, 2)
    result["total (test client)"] = round(total / repeat * 1000, 2)
    result["other (middleware, routing, response)"] = round(
        result["total (test client)"] - sum(v for k, v in result.items() if not k.startswith(("SQL", "total"))), 2
    )
    return result


def measure(scenarios: list[dict]) -> list[dict]:
    client = Client(HTTP_HOST="127.0.0.1")
    results = []
    for scenario in scenarios:
        client.get(scenario["url"])  # warm: first-request costs (content types, url resolver) are not counted
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(scenario["url"])
        elapsed = time.perf_counter() - started
        body = response.content
        result = {
            "name": scenario["name"],
            "url": scenario["url"],
            "status": response.status_code,
            "bytes": len(body),
            "queries": len(captured),
            "seconds": round(elapsed, 4),
            "sql": [{"sql": q["sql"], "time": q["time"]} for q in captured.captured_queries],
        }
        if response.status_code == 200 and response["Content-Type"].startswith("application/json"):
            data = json.loads(body)
            if isinstance(data, dict) and "count" in data:
                result["count"] = data["count"]
        if scenario.get("baseline_url"):
            client.get(scenario["baseline_url"])
            with CaptureQueriesContext(connection) as base_captured:
                base = client.get(scenario["baseline_url"])
            result["baseline_status"] = base.status_code
            result["baseline_queries"] = len(base_captured)
            result["baseline_same_json"] = base.status_code == 200 and _same(json.loads(body), json.loads(base.content))
        if scenario.get("breakdown"):
            result["breakdown"] = breakdown(client, scenario["url"])
        if scenario.get("explain"):
            # From the copy taken right after the request: every test-client request empties connection.queries
            # (request_started -> reset_queries), so `captured` no longer points at these queries.
            result["explain"] = [
                {"sql": q["sql"], **explain(q["sql"])}
                for q in result["sql"]
                if q["sql"].lstrip().upper().startswith(("SELECT", "(SELECT"))
            ]
        results.append(result)
    return results


def main(argv: list[str]) -> None:
    if argv[1] == "params":
        Path(argv[2]).write_text(json.dumps(choose_params(), indent=2))
    elif argv[1] == "measure":
        scenarios = json.loads(Path(argv[2]).read_text())
        Path(argv[3]).write_text(json.dumps(measure(scenarios), indent=2, default=str))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
