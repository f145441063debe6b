"""Loading the story: the seed articles in seeds/ and the records derived from them in fixtures/.

Every record goes in through the same services as an editor's change, so the loader follows every rule they do.
"""

import datetime
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .history import bulk_load
from .inputs import input_for
from .models import Actor, Event, Place, Pledge, Source, Statement
from .services import (
    actor_upsert,
    event_upsert,
    place_upsert,
    pledge_upsert,
    record_retire,
    source_upsert,
    statement_upsert,
)

SOURCES_METADATA = "sources.json"
FIXTURE_FILES = ("actors.json", "places.json", "events.json", "statements.json", "pledges.json")
# Optional: a fixtures folder from before places existed has none.
PLACES_FILE = "places.json"
RETIRED_FILE = "retired.json"
# Retired in this order, so that nothing a later record still refers to is deleted first.
RETIRED_KINDS = {"pledge": Pledge, "statement": Statement, "event": Event, "actor": Actor}


@transaction.atomic
@bulk_load()
def story_load(*, seeds_dir: Path, fixtures_dir: Path, overwrite: bool = False) -> dict[str, Counter[str]]:
    """Load the article texts and the fixtures derived from them, all or nothing.

    Records are matched by slug, so loading twice changes nothing. Without ``overwrite`` a record that already
    exists is kept as it is, so that an editor's corrections survive a restart; with it, records are brought
    back to what the fixtures say, and the records a review withdrew (retired.json) are deleted through the
    services, leaving tombstones. A record is never deleted merely because the fixtures lack it: editors add
    records too.

    The load is one entry of the change feed (history.bulk_load), whatever it created, changed or deleted.
    """
    report: dict[str, Counter[str]] = {}
    metadata = _read_json(seeds_dir / SOURCES_METADATA)
    report["sources"] = Counter()
    for item in metadata:
        raw = (seeds_dir / item["seed_file"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if item.get("sha256") and item["sha256"] != digest:
            raise ValidationError(f"Seed file {item['seed_file']} does not match its recorded sha256; it was altered.")
        fields = {k: v for k, v in item.items() if k != "sha256"}
        data = input_for(Source, **_dates(fields), text=raw.decode("utf-8"))
        _, outcome = source_upsert(data=data, overwrite=overwrite)
        report["sources"][outcome] += 1

    actors = _read_json(fixtures_dir / "actors.json")
    report["actors"] = Counter()
    # Parents first, so that every parent exists before its children refer to it.
    for item in _parents_first(actors):
        _, outcome = actor_upsert(data=input_for(Actor, **item), overwrite=overwrite)
        report["actors"][outcome] += 1

    if (fixtures_dir / PLACES_FILE).exists():
        # Before the records that are there.
        report["places"] = Counter()
        for item in _read_json(fixtures_dir / PLACES_FILE):
            _, outcome = place_upsert(data=input_for(Place, **item), overwrite=overwrite)
            report["places"][outcome] += 1

    loaders = (
        ("events", Event, event_upsert),
        ("statements", Statement, statement_upsert),
        ("pledges", Pledge, pledge_upsert),
    )
    for name, model, upsert in loaders:
        report[name] = Counter()
        for item in _read_json(fixtures_dir / f"{name}.json"):
            _, outcome = upsert(data=input_for(model, **_dates(item)), overwrite=overwrite)
            report[name][outcome] += 1
    retired = _retired(fixtures_dir)
    if overwrite:
        # After the upserts, which move references (announced_by, event, speaker…) onto the records that stay.
        gone: Counter[str] = Counter(
            kind
            for kind, model in RETIRED_KINDS.items()
            for item in retired
            if item["kind"] == kind and record_retire(model=model, slug=item["slug"])
        )
        if gone:
            report["retired"] = gone
    return report


def _retired(fixtures_dir: Path) -> list[dict[str, Any]]:
    """The review's withdrawn records, each with its kind, slug and reason; none may also be in the fixtures."""
    path = fixtures_dir / RETIRED_FILE
    if not path.exists():
        return []
    items = _read_json(path)
    present = {
        (kind, record["slug"])
        for kind, name in (("actor", "actors"), ("event", "events"), ("statement", "statements"), ("pledge", "pledges"))
        for record in _read_json(fixtures_dir / f"{name}.json")
    }
    for item in items:
        if item.get("kind") not in RETIRED_KINDS or not item.get("slug") or not item.get("reason"):
            raise ValidationError(f"{RETIRED_FILE}: each entry needs a kind ({', '.join(RETIRED_KINDS)}), a slug and "
                                  f"a reason: {item}.")  # fmt: skip
        if (item["kind"], item["slug"]) in present:
            raise ValidationError(
                f"{RETIRED_FILE}: {item['kind']} “{item['slug']}” is retired but still in the fixtures."
            )
    return items


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValidationError(f"{path.name} is not valid JSON: {error}") from error


def _dates(item: Mapping[str, Any]) -> dict[str, Any]:
    date_fields = ("date", "date_end", "target_date", "target_date_end", "status_date")
    return {k: (datetime.date.fromisoformat(v) if k in date_fields and v else v) for k, v in item.items()}


def _parents_first(actors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_slug = {a["slug"]: a for a in actors}
    ordered: dict[str, dict[str, Any]] = {}

    def visit(item: dict[str, Any], path: tuple[str, ...]) -> None:
        if item["slug"] in ordered:
            return
        if item["slug"] in path:
            raise ValidationError(f"Actor parents form a loop: {' → '.join((*path, item['slug']))}.")
        parent = item.get("parent")
        if parent in by_slug:
            visit(by_slug[parent], (*path, item["slug"]))
        ordered[item["slug"]] = item

    for item in actors:
        visit(item, ())
    return list(ordered.values())
