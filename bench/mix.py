"""The query mixes of the benchmark's cold-mix and warm-mix scenarios, chosen from the bench database.

    python bench/mix.py build OUT_PREFIX   # run by bench/run.py in a subprocess with the bench settings

Writes, deterministically (seeded) for the data at hand:
- OUT_PREFIX-queries.txt: the distinct query strings (filter and search parameters the baseline also understands:
  page, page_size, date_after, date_before, actor, search), one a line;
- OUT_PREFIX-cold.txt: the cold mix's sequence, every distinct query once in a seeded shuffle (wrk rotates through it);
- OUT_PREFIX-warm.txt: the warm mix's sequence, drawn from the same queries with a Zipf popularity;
- OUT_PREFIX.json: what the mix holds, and whether the API and the baseline answer the same records for a sample.

bench/mix.lua reads a sequence file and prefixes each line with the API's or the baseline's path.
"""

import bisect
import calendar
import collections
import itertools
import json
import random
import sys
import time
import urllib.parse
from pathlib import Path

# bench/probe.py sets Django up with the bench settings; its imports of Django come after that.
from probe import Client, _same, connection

SEED = 20251121
DISTINCT = 3000  # distinct queries: more than a run's requests at the cold mix's rate, so few repeat within a run
ZIPF_S = 1.1
WARM_LENGTH = 200_000  # draws in the warm sequence: longer than any run, so that no run wraps around
CHECK_PER_KIND = 6  # queries of each kind compared between the API and the baseline, in-process, and timed
API, BASELINE = "/api/v1/events/", "/bench/baseline/events/"
# The share of each kind of query in the mix: what a reader of the tracker asks for. "Common" topic phrases match a
# few percent of the events and pay ranking for every match, so they stay a small share, mostly with a date range.
KINDS = (
    ("actor+year", 0.26),
    ("actor", 0.10),
    ("actor+range", 0.06),
    # A date range alone costs the database O(events before its end), both for the API and the baseline (the overlap
    # test date_end >= after AND date <= before bounds one side of an index only): a small share, or it would hide
    # every other cost in the mix.
    ("dates", 0.04),
    ("place", 0.22),
    ("place+year", 0.06),
    ("actor-name search", 0.08),
    ("topic+year", 0.08),
    ("topic+actor", 0.06),
    ("topic", 0.04),
)


def _sql(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def vocabulary(rng: random.Random) -> dict:
    """What the queries are made of, read from the data: actors with events, place names, topics, years."""
    actors = _sql(
        "SELECT a.slug, a.name, count(*) FROM events_eventparticipant p JOIN events_actor a ON a.id = p.actor_id "
        "GROUP BY a.slug, a.name HAVING count(*) >= 3 ORDER BY count(*) DESC, a.slug"
    )
    places = [
        row[0]
        for row in _sql(
            "SELECT location FROM events_event WHERE location <> '' GROUP BY location HAVING count(*) >= 2 "
            "ORDER BY location"
        )
    ]
    # The synthetic descriptions end "… the talks concerned <topic>."; a topic phrase matches a few percent.
    topics = [
        row[0]
        for row in _sql(
            "SELECT substring(description from 'concerned ([a-z ]+)\\.') AS topic FROM events_event "
            "WHERE description LIKE '%%concerned %%' GROUP BY 1 HAVING count(*) >= 10 ORDER BY 1"
        )
        if row[0]
    ]
    # Years that hold events enough for a page or two (the data's first and last years may hold a few days).
    years = [
        int(row[0])
        for row in _sql(
            "SELECT extract(year FROM date) FROM events_event WHERE date IS NOT NULL GROUP BY 1 "
            "HAVING count(*) >= (SELECT count(*) FROM events_event) / 50 ORDER BY 1"
        )
    ]
    # Actor names as search terms: a name of an actor who took part, as a reader would type it.
    named = [name for _, name, _ in actors if 2 <= len(name.split()) <= 4]
    rng.shuffle(named)
    return {"actors": actors, "places": places, "topics": topics, "years": years, "names": named[:2000]}


def _range(rng: random.Random, years: list[int]) -> tuple[str, str]:
    """A month, a quarter, or a half-year somewhere in the data's years."""
    year = rng.choice(years)
    months = rng.choice((1, 3, 6))
    start = rng.randrange(1, 13 - months + 1)
    end = start + months - 1
    return f"{year}-{start:02d}-01", f"{year}-{end:02d}-{calendar.monthrange(year, end)[1]:02d}"


def query(kind: str, rng: random.Random, vocab: dict) -> dict:
    actors, years = vocab["actors"], vocab["years"]
    # Busy actors are asked about more often than rare ones: draw from the head of the list more often.
    slug, name, events = actors[min(int(rng.paretovariate(0.6)) - 1, len(actors) - 1)]
    year = rng.choice(years)
    whole_year = {"date_after": f"{year}-01-01", "date_before": f"{year}-12-31"}
    if kind == "actor+year":
        params = {"actor": slug, **whole_year}
    elif kind == "actor":
        params = {"actor": rng.choice((slug, slug, name))}
    elif kind == "actor+range":
        after, before = _range(rng, years)
        params = {"actor": slug, "date_after": after, "date_before": before}
    elif kind == "dates":
        after, before = _range(rng, years)
        params = {"date_after": after, "date_before": before}
    elif kind == "place":
        params = {"search": rng.choice(vocab["places"])}
    elif kind == "place+year":
        params = {"search": rng.choice(vocab["places"]), **whole_year}
    elif kind == "actor-name search":
        params = {"search": rng.choice(vocab["names"])}
    elif kind == "topic+year":
        params = {"search": rng.choice(vocab["topics"]), **whole_year}
    elif kind == "topic+actor":
        params = {"search": rng.choice(vocab["topics"]), "actor": slug}
    else:
        params = {"search": rng.choice(vocab["topics"])}
    # Some readers go on to the next pages (of lists long enough to have them), or ask for another page size.
    roll = rng.random()
    long_list = kind in ("dates", "topic", "topic+year") or (kind == "actor" and events >= 100)
    if roll < 0.08 and long_list:
        params["page"] = str(rng.choice((2, 2, 3)))
    elif roll < 0.12:
        params["page_size"] = str(rng.choice((10, 50)))
    return params


def build_queries(rng: random.Random, vocab: dict, count: int) -> list[tuple[str, str]]:
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    seen: dict[str, str] = {}
    attempts = 0
    while len(seen) < count and attempts < count * 20:
        attempts += 1
        kind = rng.choices(names, weights)[0]
        encoded = urllib.parse.urlencode(query(kind, rng, vocab))
        seen.setdefault(encoded, kind)
    return list(seen.items())


def zipf_sequence(rng: random.Random, distinct: int, length: int, s: float) -> list[int]:
    """Indexes into the query list: rank r drawn with probability ∝ 1/r^s, ranks given to queries in a seeded
    shuffle (so that popularity does not follow the kind of query)."""
    order = list(range(distinct))
    rng.shuffle(order)
    cumulative = list(itertools.accumulate(1 / rank**s for rank in range(1, distinct + 1)))
    total = cumulative[-1]
    return [order[bisect.bisect_left(cumulative, rng.random() * total)] for _ in range(length)]


def check(queries: list[tuple[str, str]], rng: random.Random) -> dict:
    """The API and the baseline answer the same records (count, records, next/previous) for a seeded sample of each
    kind of query, timed once each, uncached (the first time the API sees it)."""
    client = Client(HTTP_HOST="127.0.0.1")
    by_kind: dict[str, list[str]] = collections.defaultdict(list)
    for encoded, kind in queries:
        by_kind[kind].append(encoded)
    sample = [
        (encoded, kind)
        for kind in sorted(by_kind)
        for encoded in rng.sample(by_kind[kind], min(CHECK_PER_KIND, len(by_kind[kind])))
    ]
    client.get(f"{API}?{sample[0][0]}")  # first-request costs are not the mix's
    same, differ, api_seconds, base_seconds, counts = 0, [], 0.0, 0.0, []
    kinds: dict[str, dict] = {}
    for encoded, kind in sample:
        started = time.perf_counter()
        api = client.get(f"{API}?{encoded}")
        api_took = time.perf_counter() - started
        started = time.perf_counter()
        base = client.get(f"{BASELINE}?{encoded}")
        base_took = time.perf_counter() - started
        api_seconds, base_seconds = api_seconds + api_took, base_seconds + base_took
        timing = kinds.setdefault(kind, {"n": 0, "api_ms": 0.0, "baseline_ms": 0.0, "matches": []})
        timing["n"] += 1
        timing["api_ms"] += api_took * 1000
        timing["baseline_ms"] += base_took * 1000
        ok = api.status_code == base.status_code == 200 and _same(json.loads(api.content), json.loads(base.content))
        if ok:
            same += 1
            counts.append(json.loads(api.content)["count"])
            timing["matches"].append(counts[-1])
        else:
            differ.append({"query": encoded, "kind": kind, "api": api.status_code, "baseline": base.status_code})
    counts.sort()
    for timing in kinds.values():
        timing["api_ms"] = round(timing["api_ms"] / timing["n"], 1)
        timing["baseline_ms"] = round(timing["baseline_ms"] / timing["n"], 1)
        matches = sorted(timing.pop("matches"))
        timing["matches_median"] = matches[len(matches) // 2] if matches else None
    return {
        "by_kind": kinds,
        "sample": len(sample),
        "same": same,
        "differ": differ,
        "api_seconds_mean": round(api_seconds / len(sample), 4),
        "baseline_seconds_mean": round(base_seconds / len(sample), 4),
        "matches_median": counts[len(counts) // 2] if counts else None,
        "matches_max": counts[-1] if counts else None,
    }


def build(prefix: Path) -> dict:
    rng = random.Random(SEED)
    vocab = vocabulary(rng)
    queries = build_queries(rng, vocab, DISTINCT)
    lines = [q for q, _ in queries]
    cold = list(range(len(lines)))
    rng.shuffle(cold)
    warm = zipf_sequence(rng, len(lines), WARM_LENGTH, ZIPF_S)
    Path(f"{prefix}-queries.txt").write_text("\n".join(lines) + "\n")
    Path(f"{prefix}-cold.txt").write_text("\n".join(lines[i] for i in cold) + "\n")
    Path(f"{prefix}-warm.txt").write_text("\n".join(lines[i] for i in warm) + "\n")
    popularity = collections.Counter(warm)
    top = popularity.most_common()
    summary = {
        "seed": SEED,
        "distinct": len(lines),
        "kinds": dict(collections.Counter(kind for _, kind in queries)),
        "vocabulary": {k: len(v) for k, v in vocab.items()},
        "zipf_s": ZIPF_S,
        "warm_length": WARM_LENGTH,
        "warm_distinct_drawn": len(popularity),
        "warm_top1_share": round(top[0][1] / WARM_LENGTH, 3),
        "warm_top10_share": round(sum(c for _, c in top[:10]) / WARM_LENGTH, 3),
        "warm_top100_share": round(sum(c for _, c in top[:100]) / WARM_LENGTH, 3),
        # How many distinct queries the first N draws hold: the misses a cache that starts empty must take.
        "warm_distinct_in_first": {n: len(set(warm[:n])) for n in (1000, 5000, 20000)},
        "check": check(queries, rng),
    }
    Path(f"{prefix}.json").write_text(json.dumps(summary, indent=2))
    return summary


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[1] != "build":
        raise SystemExit(__doc__)
    summary = build(Path(argv[2]))
    print(json.dumps({k: v for k, v in summary.items() if k != "check"} | {"check": summary["check"]["same"]}))


if __name__ == "__main__":
    main(sys.argv)
