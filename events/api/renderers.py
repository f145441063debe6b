"""CSV and NDJSON exports: every matching row, streamed in chunks so that memory stays flat whatever the size."""

import json
from collections.abc import Callable, Iterable, Iterator

from django.http import StreamingHttpResponse
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder
from rest_framework_csv.renderers import CSVRenderer, CSVStreamingRenderer

from .. import keyset

EXPORT_CHUNK_SIZE = 500


# A spreadsheet runs a cell that begins with one of these as a formula (CSV injection, OWASP): an excerpt quoting
# "=HYPERLINK(…)" must reach the reader as text. OWASP's remedy is a leading single quote, which spreadsheets show
# as text and do not evaluate.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Columns holding numbers and dates keep their values as they are: a negative latitude is not a formula.
LITERAL_FIELDS = (
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.BooleanField,
)


def neutralised(value):
    """A text cell that a spreadsheet would evaluate, with OWASP's leading ' ; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def literal_columns(fields) -> frozenset[str]:
    """The names of a serializer's number and date fields, whose CSV cells are never escaped."""
    return frozenset(name for name, field in (fields or {}).items() if isinstance(field, LITERAL_FIELDS))


class FormulaSafeCSV:
    """Every text cell of the CSV neutralised (see FORMULA_TRIGGERS); number and date columns left alone."""

    literal: frozenset[str] = frozenset()

    def tablize(self, data, header=None, labels=None):
        rows = super().tablize(data, header=header, labels=labels)
        names = next(rows, None)
        if names is None:
            return
        yield names
        columns = header or names
        for row in rows:
            yield [cell if name in self.literal else neutralised(cell) for name, cell in zip(columns, row, strict=True)]


class SafeCSVStreamingRenderer(FormulaSafeCSV, CSVStreamingRenderer):
    def __init__(self, literal: frozenset[str] = frozenset()):
        self.literal = literal


class TrackerCSVRenderer(FormulaSafeCSV, CSVRenderer):
    """text/csv: flat columns a spreadsheet can read. Lists are streamed by the view, not rendered here."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if _is_error(renderer_context):
            return _json_error(data, renderer_context)
        serializer = getattr(data, "serializer", None)
        fields = getattr(getattr(serializer, "child", serializer), "fields", None)
        self.literal = literal_columns(fields)
        if isinstance(data, dict):
            data = flatten(data, column_kinds(fields))
        return super().render(data, accepted_media_type, renderer_context or {})


class NDJSONRenderer(BaseRenderer):
    """application/x-ndjson: one JSON object per line, for pipelines."""

    media_type = "application/x-ndjson"
    format = "ndjson"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if _is_error(renderer_context):
            return _json_error(data, renderer_context)
        return ndjson_line(data)


EXPORT_RENDERERS = (TrackerCSVRenderer, NDJSONRenderer)


class GeoJSONRenderer(NDJSONRenderer):
    """application/geo+json (RFC 7946): events as a FeatureCollection a map tool reads directly. Only events'
    exports offer it; the export streams the collection itself (geojson_response), so this renders errors only."""

    media_type = "application/geo+json"
    format = "geojson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return _json_error(data, renderer_context) if _is_error(renderer_context) else ndjson_line(data)


# The header that says how many matching records an export left out for having no place.
WITHOUT_PLACE_HEADER = "X-Without-Place"
# Each feature's properties: the record's fields a map labels and filters by, and its place's name and precision.
GEOJSON_PROPERTIES = (
    "slug",
    "title",
    "event_type",
    "status",
    "date",
    "date_precision",
    "date_end",
    "location",
    "country",
    "api_url",
)


def feature(item: dict) -> dict:
    """One GeoJSON Feature from an event as the API serves it: a Point at its place ([longitude, latitude], as
    RFC 7946 orders them), and its slug as the feature's id."""
    place = item["place"]
    properties = {name: item.get(name) for name in GEOJSON_PROPERTIES}
    # As the CSV writes them: the actor's name and, apart, its slug, each with the role.
    participants = item.get("participants", ())
    properties["participants"] = [f"{p['actor']['name']} ({p['role']})" for p in participants]
    properties["participants_slugs"] = [f"{p['actor']['slug']} ({p['role']})" for p in participants]
    properties |= {
        "place": place["slug"],
        "place_name": place["name"],
        "place_country": place["country"],
        "place_precision": place["precision"],
        "place_geonames_id": place["geonames_id"],
    }
    return {
        "type": "Feature",
        "id": item["slug"],
        "geometry": {"type": "Point", "coordinates": [place["longitude"], place["latitude"]]},
        "properties": properties,
    }


def geojson_response(*, items: Iterator[dict], without_place: int, filename: str) -> StreamingHttpResponse:
    """Stream ``items`` (events with a place) as one FeatureCollection. How many matching events were left out for
    having no place is said twice, never silently: in the X-Without-Place header and in the collection's
    ``without_place`` member (a foreign member, which RFC 7946 allows and map tools ignore)."""

    def body() -> Iterator[bytes]:
        yield f'{{"type": "FeatureCollection", "without_place": {without_place}, "features": ['.encode()
        for index, item in enumerate(items):
            line = json.dumps(feature(item), cls=JSONEncoder, ensure_ascii=False)
            yield ((",\n" if index else "\n") + line).encode("utf-8")
        yield b"\n]}\n"

    response = StreamingHttpResponse(body(), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{filename}.geojson"'
    response[WITHOUT_PLACE_HEADER] = str(without_place)
    return response


def _json_error(data, renderer_context) -> bytes:
    """An error reached through ?format=csv or ndjson is still answered in the API's JSON error format."""
    renderer_context["response"]["Content-Type"] = "application/problem+json"
    return JSONRenderer().render(data)


def _is_error(renderer_context) -> bool:
    response = (renderer_context or {}).get("response")
    return response is not None and response.status_code >= 400


def ndjson_line(item: dict) -> bytes:
    return (json.dumps(item, cls=JSONEncoder, ensure_ascii=False) + "\n").encode("utf-8")


# What a column of a record holds, for its flat CSV cells (see column_kinds).
PLACE = "place"
# A place's cells: its name, then its slug and coordinates, so that a spreadsheet can map the rows.
PLACE_CELLS = ("slug", "latitude", "longitude")
ACTOR, ACTORS, PARTICIPANTS, CITATIONS, FIRST_APPEARANCE, STATUS_HISTORY = (
    "actor",
    "actors",
    "participants",
    "citations",
    "first_appearance",
    "status_history",
)


def column_kinds(fields) -> dict[str, str]:
    """The columns of a serializer's fields that are more than one cell's value: actors (each named, with a slug
    column beside), participants, citations, a statement's first appearance and a pledge's status history."""
    from .serializers import ActorSummarySerializer, EffectivePlaceField, ParticipantSerializer, PlaceSummarySerializer

    kinds = {}
    for name, field in (fields or {}).items():
        child = getattr(field, "child", None)
        if name in (CITATIONS, FIRST_APPEARANCE, STATUS_HISTORY):
            kinds[name] = name
        elif isinstance(field, ActorSummarySerializer):
            kinds[name] = ACTOR
        elif isinstance(child, ActorSummarySerializer):
            kinds[name] = ACTORS
        elif isinstance(child, ParticipantSerializer):
            kinds[name] = PARTICIPANTS
        elif isinstance(field, PlaceSummarySerializer | EffectivePlaceField):
            kinds[name] = PLACE
    return kinds


def flatten(item: dict, kinds: dict[str, str]) -> dict:
    """One spreadsheet row from one API record: an actor as its name and, in the next column, its slug; lists joined
    with '; '; the number of citations and the first one (every citation is in the citations export); the status
    history as dated steps; booleans as lowercase true and false."""
    row = {}
    for key, value in item.items():
        kind = kinds.get(key)
        if kind == CITATIONS:
            first = value[0] if value else {}
            row["citation_count"] = len(value)
            row["citation_source"] = first.get("source", "")
            row["citation_excerpt"] = first.get("excerpt", "")
        elif kind == FIRST_APPEARANCE:
            row["first_appearance_source"] = value["source"] if value else ""
        elif kind == STATUS_HISTORY:
            row[key] = "; ".join(_status_step(step) for step in value)
        elif kind == ACTOR:
            row[key] = value["name"] if value else ""
            row[f"{key}_slug"] = value["slug"] if value else ""
        elif kind == ACTORS:
            row[key] = "; ".join(actor["name"] for actor in value)
            row[f"{key}_slugs"] = "; ".join(actor["slug"] for actor in value)
        elif kind == PLACE:
            row[key] = value["name"] if value else ""
            row |= {f"{key}_{cell}": "" if not value or value[cell] is None else value[cell] for cell in PLACE_CELLS}
        elif kind == PARTICIPANTS:
            row[key] = "; ".join(f"{p['actor']['name']} ({p['role']})" for p in value)
            row[f"{key}_slugs"] = "; ".join(f"{p['actor']['slug']} ({p['role']})" for p in value)
        elif isinstance(value, bool):
            row[key] = "true" if value else "false"
        elif isinstance(value, list):
            row[key] = "; ".join(str(v) for v in value)
        else:
            row[key] = "" if value is None else value
    return row


def _status_step(step: dict) -> str:
    """``2025-11-06 announced``, with what had been delivered when the step reports it."""
    delivered = step.get("quantity_delivered")
    return f"{step['date']} {step['status']}" + (f" ({delivered} delivered)" if delivered is not None else "")


def flat_header(fields: Iterable[str], kinds: dict[str, str]) -> list[str]:
    header = []
    for name in fields:
        kind = kinds.get(name)
        if kind == CITATIONS:
            header += ["citation_count", "citation_source", "citation_excerpt"]
        elif kind == FIRST_APPEARANCE:
            header.append("first_appearance_source")
        elif kind == ACTOR:
            header += [name, f"{name}_slug"]
        elif kind in (ACTORS, PARTICIPANTS):
            header += [name, f"{name}_slugs"]
        elif kind == PLACE:
            header += [name, *(f"{name}_{cell}" for cell in PLACE_CELLS)]
        else:
            header.append(name)
    return header


def export_response(
    *, fmt: str, items: Iterator[dict], fields, filename: str, bom: bool = False
) -> StreamingHttpResponse:
    """Stream ``items`` (API dicts) as CSV or NDJSON; ``fields`` are the serializer fields they were made by. With
    ``bom``, the CSV starts with a UTF-8 byte order mark (for Excel)."""
    if fmt == "csv":
        kinds = column_kinds(fields)
        header = flat_header(fields, kinds)
        renderer = SafeCSVStreamingRenderer(literal_columns(fields))
        rows = (flatten(item, kinds) for item in items)
        body = renderer.render(rows, renderer_context={"header": header, "bom": bom})
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse((ndjson_line(item) for item in items), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def serialized(source, serialize: Callable[[list], list[dict]]) -> Iterator[dict]:
    """The rows of ``source`` (a QuerySet or a selectors.Timeline) as API dicts, read in keyset chunks (one query
    each, no server-side cursor: see events/keyset.py) and serialized one chunk at a time."""
    for items in keyset.chunks(source, EXPORT_CHUNK_SIZE, then=serialize):
        yield from items
