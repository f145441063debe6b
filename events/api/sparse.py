"""Sparse fields: `fields=slug,title,status` keeps only those top-level fields of each record, on lists, records
and exports.

The schema keeps each record's full component, with its required properties, for the ordinary answer; an answer
that `fields=` has thinned comes as SPARSE_TYPE, whose schema is the same component with no property required
(schema.document_sparse_fields). So a validator or a generated client reading `application/json` can rely on every
property it declares, and nothing claims that a thinned record holds what it does not.
"""

from collections.abc import Iterable, Mapping

from rest_framework.response import Response

SPARSE_TYPE = "application/vnd.tracker.sparse+json"
PARAMETER = "fields"
HELP = (
    "Only these top-level fields of each record (comma-separated or repeated), in the record's own order; an "
    "unknown name is a 400 that lists the valid ones. Nested objects come whole. A JSON answer thinned this way is "
    f"`{SPARSE_TYPE}`, whose schema is the record's with no property required; exports keep their media types "
    "with only these columns."
)


def chosen(params: Mapping) -> frozenset[str] | None:
    """The field names a request asks for, or None for all. The values are checked by the resource's FilterSet
    (a ChoiceInFilter of its fields) before any answer is built."""
    values = params.getlist(PARAMETER) if hasattr(params, "getlist") else [params.get(PARAMETER) or ""]
    names = {part.strip() for value in values for part in value.split(",") if part.strip()}
    return frozenset(names) or None


def thin(items: Iterable[dict], names: frozenset[str] | None) -> list[dict]:
    if names is None:
        return list(items)
    return [{key: value for key, value in item.items() if key in names} for item in items]


def thin_columns(fields: Mapping, names: frozenset[str] | None) -> Mapping:
    """An export's columns: the serializer's fields, only those asked for."""
    if names is None:
        return fields
    return {name: field for name, field in fields.items() if name in names}


def mark(response: Response, request, names: frozenset[str] | None) -> Response:
    """Give a thinned JSON answer its own media type (not the browsable API's HTML, nor an error)."""
    if names is not None and getattr(request.accepted_renderer, "format", None) == "json":
        response.content_type = SPARSE_TYPE
    return response
