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
