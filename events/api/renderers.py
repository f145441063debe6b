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
        self.literal = literal_columns(getattr(getattr(serializer, "child", serializer), "fields", None))
        if isinstance(data, dict):
            data = flatten(data)
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
    properties["participants"] = [_label(p) for p in item.get("participants", ())]
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


def flatten(item: dict) -> dict:
    """One spreadsheet row from one API record: names instead of nested objects, lists joined with '; ', and the
    first citation's source and excerpt."""
    row = {}
    for key, value in item.items():
        if key == "citations":
            first = value[0] if value else {}
            row["citation_count"] = len(value)
            row["citation_source"] = first.get("source", "")
            row["citation_excerpt"] = first.get("excerpt", "")
        elif key == "first_appearance":
            row["first_appearance_source"] = value["source"] if value else ""
        elif isinstance(value, dict):
            row[key] = _label(value)
        elif isinstance(value, list):
            row[key] = "; ".join(_label(v) for v in value)
        else:
            row[key] = "" if value is None else value
    return row


def flat_header(fields: Iterable[str]) -> list[str]:
    header = []
    for name in fields:
        if name == "citations":
            header += ["citation_count", "citation_source", "citation_excerpt"]
        elif name == "first_appearance":
            header.append("first_appearance_source")
        else:
            header.append(name)
    return header


def _label(value) -> str:
    if not isinstance(value, dict):
        return str(value)
    if "actor" in value and "role" in value:
        return f"{_label(value['actor'])} ({value['role']})"
    return str(value.get("name") or value.get("slug") or value.get("title") or "")


def export_response(*, fmt: str, items: Iterator[dict], fields: Iterable[str], filename: str) -> StreamingHttpResponse:
    """Stream ``items`` (API dicts) as CSV or NDJSON."""
    if fmt == "csv":
        header = flat_header(fields)
        renderer = SafeCSVStreamingRenderer(literal_columns(fields))
        body = renderer.render((flatten(item) for item in items), renderer_context={"header": header})
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
