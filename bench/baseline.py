"""The benchmark's baseline: the events list page built by hand, to measure what the API's layers cost.

Plain SQL (one query for the page, its count and the undated events a date range leaves out, one for the page's participants, citations, statements and
pledges), dicts assembled in Python and serialized with orjson. It answers the same JSON as /api/v1/events/ for the
parameters the benchmark uses: page, page_size, date_after, date_before, actor (slugs, names or aliases) and search
(PostgreSQL full text, ranked as the API ranks). PostgreSQL only; wired in by tracker.settings.bench, never by the
real settings.
"""

import datetime

import orjson
from django.db import connection
from django.http import HttpResponse, JsonResponse
from rest_framework.utils.urls import remove_query_param, replace_query_param

from events.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from events.models import SEARCH_CONFIG

EVENT_COLUMNS = (
    "slug", "title", "description", "event_type", "status", "date", "date_precision", "date_end", "date_note",
    "location", "country", "place_id", "coding_note", "version", "created_at", "updated_at",
)  # fmt: skip
# The stored, GIN-indexed column of migration 0004, as events.search uses it.
VECTOR = "e.search_vector"
QUERY = f"websearch_to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)"

PLACE_SQL = (
    "SELECT id, slug, name, country, latitude, longitude, precision, geonames_id FROM events_place WHERE id = ANY(%s)"
)
RELATED_SQL = """
SELECT 'p' AS kind, p.event_id, p.role AS k1, a.slug AS k2, a.slug, a.name, a.kind AS extra
  FROM events_eventparticipant p JOIN events_actor a ON a.id = p.actor_id WHERE p.event_id = ANY(%(ids)s)
UNION ALL
SELECT 'c', c.event_id, lpad(c.id::text, 20, '0'), '', s.slug, c.excerpt, NULL
  FROM events_citation c JOIN events_source s ON s.id = c.source_id WHERE c.event_id = ANY(%(ids)s)
UNION ALL
SELECT 's', st.event_id, COALESCE(st.date::text, '9999'), st.slug, st.slug, NULL, NULL
  FROM events_statement st WHERE st.event_id = ANY(%(ids)s)
UNION ALL
SELECT 'l', pl.event_id, COALESCE(pl.date::text, '9999'), pl.slug, pl.slug, NULL, NULL
  FROM events_pledge pl WHERE pl.event_id = ANY(%(ids)s)
ORDER BY 1, 2, 3, 4
"""


def _bad(name: str, message: str) -> JsonResponse:
    return JsonResponse({name: [message]}, status=400)


def events_page(request) -> HttpResponse:
    params = request.GET
    try:
        page = int(params.get("page") or 1)
        size = int(params.get("page_size") or DEFAULT_PAGE_SIZE)
    except ValueError:
        return _bad("page", "Must be a whole number.")
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        return _bad("page_size", f"Must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    where, args = ["TRUE"], []
    try:
        after = datetime.date.fromisoformat(params["date_after"]) if params.get("date_after") else None
        before = datetime.date.fromisoformat(params["date_before"]) if params.get("date_before") else None
    except ValueError:
        return _bad("date", "Enter a valid date.")
    # The same SQL as events.api.filters: with an actor, the date range is checked on the participants' copies of the
    # event dates (participant_actor_dates_idx) and the event ids are fetched first (= ANY(ARRAY(…))).
    dates = [("e.date_end >= %s", "p.event_date_end >= %s", after), ("e.date <= %s", "p.event_date <= %s", before)]
    # What a date filter leaves out for having no date but that matches every other filter (the API's
    # undated_excluded): the same conditions without the dates, on the undated events.
    undated, undated_args = ["e.date IS NULL"], []
    if params.get("actor"):
        names = [n.strip().lower() for n in params["actor"].split(",") if n.strip()]
        rows = [
            "p.actor_id IN (SELECT a.id FROM events_actor a WHERE lower(a.slug) = ANY(%s) OR lower(a.name) = ANY(%s) "
            "UNION SELECT al.actor_id FROM events_actoralias al WHERE lower(al.name) = ANY(%s))"
        ]
        args += [names, names, names]
        for _, on_participant, day in dates:
            if day is not None:
                rows.append(on_participant)
                args.append(day)
        undated.append(f"e.id IN (SELECT p.event_id FROM events_eventparticipant p WHERE {rows[0]})")
        undated_args += [names, names, names]
        subquery = f"SELECT p.event_id FROM events_eventparticipant p WHERE {' AND '.join(rows)}"
        dated = after is not None or before is not None
        where.append(f"e.id = ANY(ARRAY({subquery}))" if dated else f"e.id IN ({subquery})")
    else:
        for on_event, _, day in dates:
            if day is not None:
                where.append(on_event)
                args.append(day)
    order = "e.date ASC NULLS LAST, e.slug"
    rank = "0.0"
    rank_args: list = []
    term = (params.get("search") or "").replace("\x00", "").strip()
    if term:
        where.append(f"{VECTOR} @@ {QUERY}")
        args.append(term)
        undated.append(f"{VECTOR} @@ {QUERY}")
        undated_args.append(term)
        rank, rank_args = f"ts_rank({VECTOR}, {QUERY})", [term]
        order = "rank DESC, " + order
    condition = " AND ".join(where)
    columns = ", ".join(f"e.{c}" for c in ("id", *EVENT_COLUMNS))
    if after is None and before is None:
        undated, undated_args = ["FALSE"], []
    sql = (
        f"WITH page AS (SELECT {columns}, {rank} AS rank FROM events_event e WHERE {condition} "
        f"ORDER BY {order} LIMIT %s OFFSET %s) "
        f"SELECT e.*, (SELECT count(*) FROM events_event e WHERE {condition}), "
        f"(SELECT count(*) FROM events_event e WHERE {' AND '.join(undated)}) FROM page e "
        f"ORDER BY {order}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*rank_args, *args, size, (page - 1) * size, *args, *undated_args])
        rows = cursor.fetchall()
        if not rows and page > 1:
            return JsonResponse({"detail": "Invalid page."}, status=404)
        if not rows:
            cursor.execute(f"SELECT count(*) FROM events_event e WHERE {' AND '.join(undated)}", undated_args)
            rows_undated = cursor.fetchone()[0]
        ids = [row[0] for row in rows]
        related: dict[int, dict[str, list]] = {i: {"p": [], "c": [], "s": [], "l": []} for i in ids}
        if ids:
            cursor.execute(RELATED_SQL, {"ids": ids})
            for kind, event_id, key, _, slug, text, extra in cursor.fetchall():
                related[event_id][kind].append((key, slug, text, extra))
        place_ids = list({row[1 + EVENT_COLUMNS.index("place_id")] for row in rows} - {None})
        places = {}
        if place_ids:
            cursor.execute(PLACE_SQL, [place_ids])
            places = {row[0]: row[1:] for row in cursor.fetchall()}
    count, undated_excluded = rows[0][-2:] if rows else (0, rows_undated)
    base = request.build_absolute_uri("/api/v1/")
    results = []
    for row in rows:
        event = dict(zip(EVENT_COLUMNS, row[1 : 1 + len(EVENT_COLUMNS)], strict=True))
        rel = related[row[0]]
        place = places.get(event["place_id"])
        results.append(
            {
                "slug": event["slug"],
                "api_url": f"{base}events/{event['slug']}/",
                "title": event["title"],
                "description": event["description"],
                "event_type": event["event_type"],
                "status": event["status"],
                "date": event["date"],
                "date_precision": event["date_precision"],
                "date_end": event["date_end"],
                "date_note": event["date_note"],
                "location": event["location"],
                "country": event["country"],
                "place": None
                if place is None
                else {
                    "slug": place[0],
                    "name": place[1],
                    "country": place[2],
                    "latitude": float(place[3]),
                    "longitude": float(place[4]),
                    "precision": place[5],
                    "geonames_id": place[6],
                    "api_url": f"{base}places/{place[0]}/",
                },
                "participants": [
                    {
                        "actor": {"slug": slug, "name": name, "kind": kind, "api_url": f"{base}actors/{slug}/"},
                        "role": role,
                    }
                    for role, slug, name, kind in rel["p"]
                ],
                "statements": [slug for _, slug, _, _ in rel["s"]],
                "pledges": [slug for _, slug, _, _ in rel["l"]],
                "coding_note": event["coding_note"],
                "citations": [{"source": slug, "excerpt": excerpt} for _, slug, excerpt, _ in rel["c"]],
                "version": event["version"],
                "created_at": event["created_at"],
                "updated_at": event["updated_at"],
            }
        )
    url = request.build_absolute_uri()
    last = max(1, -(-count // size))
    body = {
        "count": count,
        "undated_excluded": undated_excluded,
        "next": replace_query_param(url, "page", page + 1) if page < last else None,
        "previous": None
        if page == 1
        else (remove_query_param(url, "page") if page == 2 else replace_query_param(url, "page", page - 1)),
        "results": results,
    }
    return HttpResponse(orjson.dumps(body, option=orjson.OPT_UTC_Z), content_type="application/json")
