"""OpenAPI: how filters are declared, and post-processing of the generated schema."""

import copy
import json
from pathlib import Path

import django_filters
from django.conf import settings
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from . import filters, sparse
from .pagination import MAX_PAGE_SIZE, TrackerPagination
from .renderers import WITHOUT_PLACE_HEADER
from .serializers import CITATIONS_HELP

WRITE_SUMMARIES = {
    "create": "Create {a}",
    "update": "Replace {a}",
    "partial_update": "Change {a}",
    "destroy": "Delete {a}",
}


class TrackerAutoSchema(AutoSchema):
    """What the views send, where drf-spectacular would guess otherwise."""

    def get_filter_backends(self):
        # Exports take the filters of the list they export, though they are not list views.
        if getattr(self.view, "action", None) in filters.FILTERED_ACTIONS[1:] or getattr(self.view, "exports", False):
            return getattr(self.view, "filter_backends", [])
        return super().get_filter_backends()

    def get_response_serializers(self):
        # A record is answered in its read shape, after a write as on a GET (TrackerViewSet._record_response), not
        # in the shape of the write serializer it was sent with.
        action = getattr(self.view, "action", None)
        record = getattr(self.view, "record_serializer_class", None)
        if record is not None and action in ("retrieve", "update", "partial_update"):
            return record
        if record is not None and action == "create":
            # A pledge that duplicates an existing one is merged into it: 200 with that pledge.
            return {201: record, 200: record} if getattr(self.view, "create_may_merge", False) else {201: record}
        return super().get_response_serializers()

    def get_operation_id(self):
        # Version-free and stable ({resource}_{action}, SCHEMA_PATH_PREFIX strips /api/v1): a v2 renames nothing.
        tokens = [token.replace("-", "_") for token in self._tokenize_path()]
        if self.method == "GET" and tokens[-1] in ("export", "aggregate"):
            return "_".join(tokens)
        if self.method == "GET" and tokens[-1] in ("timeline", "changes"):
            return "_".join([*tokens, "list"])
        return super().get_operation_id()

    def get_summary(self):
        action = getattr(self.view, "action", None)
        model = getattr(getattr(self.view, "queryset_model", None), "_meta", None)
        if action in WRITE_SUMMARIES and model is not None:
            name = str(model.verbose_name)
            return WRITE_SUMMARIES[action].format(a=f"{'an' if name[0] in 'aeiou' else 'a'} {name}")
        return super().get_summary()


# The page parameters of a paginated view whose schema is written by hand (an actor's timeline).
PAGE_PARAMETERS = [
    OpenApiParameter(
        TrackerPagination.page_query_param,
        {"type": "integer", "minimum": 1},
        description=TrackerPagination.page_query_description,
    ),
    OpenApiParameter(
        TrackerPagination.page_size_query_param,
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": TrackerPagination.page_size},
        description=TrackerPagination.page_size_query_description,
    ),
]

# An item of a several-valued parameter: one value, without the comma that would split it.
ITEM = {"type": "string", "minLength": 1, "pattern": r"^[^,\x00]*[^,\s\x00][^,\x00]*$"}
SLUG_ITEM = {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"}


def several_values(declared, schema: dict) -> dict:
    """The array schema of a several-valued filter: enum items as django-filter declares them, slugs for
    references to sources and events (never their integer keys), else any one value."""
    if isinstance(declared, filters.SlugInFilter):
        return {"type": "array", "items": dict(SLUG_ITEM)}
    if schema.get("type") == "array" and (schema["items"].get("enum") or schema["items"].get("$ref")):
        return schema
    return {"type": "array", "items": dict(ITEM)}


# The shapes of bbox= and near=; their ranges are checked by the filters, with a 400 naming the parameter.
COORDINATE_PATTERNS = {filters.BoxFilter: filters.BBOX_PATTERN, filters.NearFilter: filters.NEAR_PATTERN}


class StrictFilterExtension(DjangoFilterExtension):
    """Several-valued filters are arrays sent as repeated keys (``explode: true``), which is what generated clients
    send; the API takes comma-separated values too."""

    target_class = "events.api.filters.StrictFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        if filters.takes_several(filter_field):
            for parameter in parameters:
                parameter["schema"] = several_values(filter_field, parameter["schema"])
                parameter.update(style="form", explode=True)
        if filter_field.field_class is filters.StrictBooleanField:
            # A method filter's type is guessed from the method's annotations, which `bool | None` defeats.
            for parameter in parameters:
                parameter["schema"] = {"type": "boolean"}
        shape = COORDINATE_PATTERNS.get(type(filter_field))
        if shape is not None:
            for parameter in parameters:
                parameter["schema"]["pattern"] = shape
                # A filter whose schema is declared on its class (extend_schema_field) loses its help text.
                parameter.setdefault("description", str(filter_field.extra.get("help_text", "")))
        bounds = {"minimum": filter_field.extra.get("min_value"), "maximum": filter_field.extra.get("max_value")}
        for parameter in parameters:
            # The bounds the filter's form field enforces, declared (drf-spectacular leaves them out).
            parameter["schema"].update({key: value for key, value in bounds.items() if value is not None})
        return parameters


class SlugReferenceExtension(OpenApiSerializerFieldExtension):
    """A reference to a record in a body: its slug, in the shape the field checks before looking it up."""

    target_class = "events.api.serializers.SlugRefField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 100}


def filter_parameters(filterset_class, *, exclude=frozenset(), include=None) -> list[OpenApiParameter]:
    """Document a FilterSet's parameters on a view that applies it by hand, as StrictFilterExtension does."""
    parameters = []
    for name, declared in filterset_class.base_filters.items():
        if name in exclude or (include is not None and name not in include):
            continue
        several = filters.takes_several(declared)
        if several:
            choices = declared.extra.get("choices")
            items = {"type": "string", "enum": [value for value, _ in choices]} if choices else {}
            kind = several_values(declared, {"type": "array", "items": items})
        elif isinstance(declared, django_filters.IsoDateTimeFilter):
            kind = OpenApiTypes.DATETIME
        elif isinstance(declared, django_filters.DateFilter):
            kind = OpenApiTypes.DATE
        elif declared.field_class is filters.StrictBooleanField:
            kind = OpenApiTypes.BOOL
        elif isinstance(declared, django_filters.NumberFilter):
            # As StrictFilterExtension declares the list's: a whole number within the form field's bounds.
            bounds = {"minimum": declared.extra.get("min_value"), "maximum": declared.extra.get("max_value")}
            kind = {"type": "integer", **{key: value for key, value in bounds.items() if value is not None}}
        elif type(declared) in COORDINATE_PATTERNS:
            kind = {"type": "string", "pattern": COORDINATE_PATTERNS[type(declared)]}
        else:
            kind = OpenApiTypes.STR
        parameters.append(
            OpenApiParameter(
                name,
                kind,
                description=str(declared.extra.get("help_text", name)),
                style="form" if several else None,
                explode=True if several else None,
            )
        )
    return parameters


DESCRIPTIONS = {
    "format": "Response format: json (default), csv or ndjson. Errors are always JSON.",
    "slug": "The record's slug, as given in lists and links.",
}


# A text query value needs a character other than a space or a comma: check_parameters refuses a blank one (it is
# a mistake, not "no filter"), so the schema must not offer it (several_values does the same for a list's items).
# Python's str.strip() also strips \x1c-\x1f and \x85, which some regex engines' \s does not cover.
# A NUL can be neither stored nor searched for: Django's form fields refuse it, so the pattern does too.
NOT_BLANK = r"^[^\x00]*[^,\s\x00\x1c-\x1f\x85][^\x00]*$"


def describe_common_parameters(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("name") in DESCRIPTIONS and not parameter.get("description"):
                    parameter["description"] = DESCRIPTIONS[parameter["name"]]
                if parameter.get("in") == "query":
                    _refuse_blank(parameter["schema"])
    return result


def _refuse_blank(schema: dict) -> None:
    if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        schema.setdefault("pattern", NOT_BLANK)
    _spell_out_format(schema)


# JSON Schema only annotates a format unless a validator opts in, so "" passes as a `date` in most tools; the
# pattern makes the form part of the contract everywhere. Calendar checks (no 2025-02-30) stay the format's.
FORM = {"date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
NO_NUL = r"^[^\x00]*$"
LOWER_SLUG = r"^[-_]*[a-z0-9][-a-z0-9_]*$"
# A coordinate in range with at most five decimals (the column's), in the spellings DRF reads ("" is null).
COORDINATES = {
    "latitude": r"^(?:-?(?:90(?:\.0{0,5})?|[0-8]?[0-9](?:\.[0-9]{0,5})?|\.[0-9]{1,5}))?$",
    "longitude": r"^(?:-?(?:180(?:\.0{0,5})?|(?:1[0-7][0-9]|[0-9]?[0-9])(?:\.[0-9]{0,5})?|\.[0-9]{1,5}))?$",
}
HAS_TEXT = r"^[^\x00]*[^\s\x00\x1c-\x1f\x85][^\x00]*$"


def _spell_out_format(schema: dict) -> None:
    if schema.get("format") in FORM:
        schema.setdefault("pattern", FORM[schema["format"]])


def _types(schema: dict) -> set:
    declared = schema.get("type", ())
    return {declared} if isinstance(declared, str) else set(declared)


def refuse_what_no_field_takes(result, generator, request, public):
    """A request body takes only the fields it declares (the API names any other one in a 400 rather than drop it
    silently), every text it can carry refuses NUL (Django refuses it in every text field), and every date is
    spelled YYYY-MM-DD: so that a request the schema allows is one the API accepts."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        component["additionalProperties"] = False
        for prop in component.get("properties", {}).values():
            # What the server assumes when a field is left out is the server's business: a `default` in a request
            # schema makes openapi-typescript type the field as required, so every PATCH would have to send it.
            if "default" in prop:
                value = json.dumps(prop.pop("default"))
                prop["description"] = f"{prop.get('description', '')} Left out: {value}.".strip()
        for name, pattern in COORDINATES.items():
            if name in component.get("properties", {}):
                component["properties"][name]["pattern"] = pattern
        if "slug" in component.get("properties", {}):
            # Slugs are stored lower-case (events.models.validate_lowercase_slug); a path accepts any case.
            component["properties"]["slug"]["pattern"] = LOWER_SLUG
        for prop in component.get("properties", {}).values():
            if prop.get("description") == CITATIONS_HELP:
                # DRF's allow_empty=False, which drf-spectacular does not declare.
                prop["minItems"] = 1
            for schema in (prop, prop.get("items", {})):
                if "string" not in _types(schema) or "enum" in schema:
                    continue
                if "format" in schema:
                    _spell_out_format(schema)
                elif not schema.get("readOnly"):
                    # A required text is refused when only spaces: DRF strips it (and an excerpt is checked so).
                    schema.setdefault("pattern", HAS_TEXT if schema.get("minLength", 0) >= 1 else NO_NUL)
    for operations in result.get("paths", {}).values():
        if "requestBody" in operations.get("patch", {}):
            # A PATCH without a body changes nothing and answers the record as it is, as an empty object does.
            operations["patch"]["requestBody"]["required"] = False
    return result


PROBLEM_TYPE = "application/problem+json"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "The one error format of the API: RFC 9457 problem details, with a stable `code` and the "
    "messages per field in `errors`.",
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "What kind of problem this is; `about:blank`: the status and `code` say it.",
        },
        "title": {"type": "string", "description": "The HTTP status's name, e.g. Bad Request."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "A sentence for people."},
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. invalid, not_found."},
        "errors": {
            "type": "object",
            "description": "Messages per offending field or parameter (dotted paths for nested fields); empty when "
            "the error concerns no field.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "candidates": {
            "type": "array",
            "description": "On a 409 `near_duplicate` only: the existing records the new one resembles, most similar "
            "first. Send the request again with `force: true` if it is another record all the same.",
            "items": {
                "type": "object",
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": ["source", "actor", "statement", "pledge"],
                        "description": "What kind of record it is.",
                    },
                    "slug": {"type": "string", "description": "The existing record's slug."},
                    "label": {"type": "string", "description": "Its name or title."},
                    "similarity": {
                        "type": "number",
                        "minimum": 0,
                        "maximum": 1,
                        "description": "How similar it is: for sources the share of the shorter text's five-word "
                        "sequences the other has too; for actors the names' token-sort ratio; for statements the "
                        "longest shared run of words as a share of the shorter excerpt; for pledges the share of "
                        "pledger, quantity, unit, category and beneficiary that match.",
                    },
                    "threshold": {
                        "type": "number",
                        "minimum": 0,
                        "maximum": 1,
                        "description": "The similarity from which a record counts as a near-duplicate.",
                    },
                    "reason": {"type": "string", "description": "What matched, in words."},
                },
                "required": ["type", "slug", "label", "similarity", "threshold", "reason"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code", "errors"],
}
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from POST /api/v1/auth/token/, sent as `Authorization: Bearer <token>`.",
    },
    "tokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The same token sent as `Authorization: Token <token>`.",
    },
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "A session from the admin."},
}
SIGNED_IN = [{name: []} for name in SECURITY_SCHEMES]
ALWAYS = {
    "400": "Invalid parameters or body; `errors` names each field.",
    "401": "The credentials sent are invalid or expired (also on a read, which needs none: RFC 6750).",
    "404": "No such record, page or path.",
    "406": "The Accept header asks for a format the operation does not serve.",
    "429": "Too many requests; see Retry-After.",
    "503": "The database is unavailable; try again shortly.",
}
WRITES = {
    "403": "The account lacks the model's permission.",
    "409": "A duplicate, a near-duplicate (`near_duplicate`, with `candidates`; confirm with `force`), a slug taken "
    "meanwhile, or a delete that would orphan evidence.",
}
BODIES = {
    "413": "The body is larger than the limit.",
    "415": "The body's media type is not JSON.",
}
# Reads for editors only (they cost CPU and serve only those who can accept what they propose): signed in, with a
# permission to add records.
EDITOR_READS = ("/{slug}/proposals/",)
EDITOR_FORBIDDEN = {
    "403": "The account may not add records: this read is for editors.",
    "422": "The source's text is longer than proposals are read from (`too_long_to_read`).",
}
CONDITIONAL = {"412": "If-Match names an older version; nothing was written."}
REQUIRED = {"428": "If-Match is required: send the ETag of the version you read."}
ETAG = {
    "ETag": {
        "description": "The record's version; send it back in If-Match to change the record, or in If-None-Match "
        "to read it only if it changed.",
        "schema": {"type": "string"},
    }
}
UNDATED = {
    "X-Undated-Excluded": {
        "description": "How many records matching every other filter the date filters left out because the date "
        "in question is unknown (0 without a date filter); include_undated=true exports them too. Exposed to "
        "browsers through CORS.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
GENERATION_ETAG_HEADER = {
    "ETag": {
        "description": "A tag of this answer: the data generation (which every write advances) and what the answer "
        "depends on besides the data (URL, query, Accept, today's date). Send it back in If-None-Match to be "
        "answered 304 if nothing was written since. Given to anonymous readers only.",
        "schema": {"type": "string"},
    }
}
CACHE_CONTROL_HEADER = {
    "Cache-Control": {
        "description": "`public, max-age=0, must-revalidate` for anonymous readers: keep the answer, and revalidate "
        "it with If-None-Match before each use. `private, no-cache` for a signed-in client. `no-cache` where the "
        "answer has no tag (the change feed). Errors are `no-store`.",
        "schema": {"type": "string"},
    }
}
# Declared once, in components.headers, and referred to from every read: inline, they would repeat on each.
GENERATION_ETAG = {"ETag": {"$ref": "#/components/headers/GenerationETag"}}
CACHE_CONTROL = {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}}
IF_NONE_MATCH_READ = (
    "An ETag from an earlier anonymous read of the same URL: 304 without a body, and without reading the data, if "
    "nothing was written since."
)
# Reads answered from the data generation (events/api/conditional.py): every anonymous GET but the change feed,
# the token endpoints and the editors' reads.
UNTAGGED_READS = ("/api/v1/changes/", "/api/v1/auth/")
LOCATION = {"Location": {"description": "The record's URL.", "schema": {"type": "string", "format": "uri"}}}
CANONICAL_LOCATION = {
    "description": "The same URL with the canonical slug.",
    "schema": {"type": "string", "format": "uri"},
}


def _header(name: str, description: str, *, required: bool) -> dict:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


IF_MATCH = (
    "The record's ETag as last read signed in, which is its version (or `*`): the write is refused with 412 if the "
    "record changed since. An anonymous read's tag (one that starts with `g`) names no version, and is refused too."
)
IF_NONE_MATCH = (
    "An ETag from an earlier read: 304 without a body if the record is still at that version (signed in), or if "
    "nothing was written since (anonymous)."
)
RECORD_READ_ETAG = {
    "ETag": {
        "description": "Signed in: the record's version; send it back in If-Match to change the record, or in "
        "If-None-Match to read it only if it changed. Anonymous: a tag of the answer, as on lists (the data "
        "generation, since the answer also shows related records), for If-None-Match.",
        "schema": {"type": "string"},
    }
}


def _if_match(path: str, method: str) -> bool | None:
    """Whether the operation needs If-Match (True), takes it (False), or ignores it (None)."""
    if method in ("put", "patch", "delete") and (path.endswith("/{slug}/") or path.endswith("/{citation_id}/")):
        return True
    if method == "post" and path.endswith("/{slug}/status/"):
        return True
    if method == "post" and path.endswith("/{slug}/citations/"):
        return False
    return None


def document_http(result, generator, request, public):
    """Declare what HTTP does around each operation: the security schemes (reads open to anyone), conditional
    request headers, ETag and Location response headers, and every error it can answer, all problem details."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    components["headers"] = {
        "GenerationETag": GENERATION_ETAG_HEADER["ETag"],
        "CacheControl": CACHE_CONTROL_HEADER["Cache-Control"],
    }
    error = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            login = path.endswith("/auth/token/")
            editors = method == "get" and path.endswith(EDITOR_READS)
            operation["security"] = (
                [{}] if login else SIGNED_IN if editors else [{}, *SIGNED_IN] if method == "get" else SIGNED_IN
            )
            responses, parameters = operation["responses"], operation.setdefault("parameters", [])
            codes = dict(ALWAYS) | (EDITOR_FORBIDDEN if editors else {})
            if method != "get":
                codes |= (WRITES if not login else {"403": WRITES["403"]}) | (BODIES if method != "delete" else {})
            needs = _if_match(path, method)
            if needs is not None:
                parameters.append(_header("If-Match", IF_MATCH, required=needs))
                codes |= CONDITIONAL | (REQUIRED if needs else {})
                for code, response in responses.items():
                    # A deleted record has no version left to name; a citation's record does.
                    if code.startswith("2") and not (method == "delete" and path.endswith("/{slug}/")):
                        response["headers"] = dict(ETAG)
            if method == "get" and "/{slug}/" in path:
                responses["308"] = {
                    "description": "The slug was given in another case (or, for an actor, as a name or alias): the "
                    "same URL, query and sub-path kept, with the record's canonical slug.",
                    "headers": {"Location": CANONICAL_LOCATION},
                }
            if method == "get" and path.endswith("/{slug}/"):
                parameters.append(_header("If-None-Match", IF_NONE_MATCH, required=False))
                responses["200"]["headers"] = {**RECORD_READ_ETAG, **CACHE_CONTROL}
                responses["304"] = {
                    "description": "Not modified: If-None-Match matched.",
                    "headers": {**RECORD_READ_ETAG, **CACHE_CONTROL},
                }
            elif method == "get" and not editors and not path.startswith(UNTAGGED_READS):
                parameters.append(_header("If-None-Match", IF_NONE_MATCH_READ, required=False))
                responses["200"]["headers"] = {
                    **responses["200"].get("headers", {}),
                    **GENERATION_ETAG,
                    **CACHE_CONTROL,
                }
                responses["304"] = {
                    "description": "Not modified: nothing was written since the ETag in If-None-Match was given.",
                    "headers": {**GENERATION_ETAG, **CACHE_CONTROL},
                }
            elif method == "get":
                responses["200"]["headers"] = {**responses["200"].get("headers", {}), **CACHE_CONTROL}
            if method == "post" and not path.endswith("}/") and not login and "/{slug}/" not in path:
                for code, response in responses.items():
                    if code.startswith("2"):
                        response["headers"] = {**ETAG, **LOCATION}
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                codes["415"] = (
                    "The body is neither JSON nor multipart/form-data, or the uploaded file is not UTF-8 plain text "
                    "(the message says why)."
                )
            if path.endswith("/export/") and any(p.get("name") == "include_undated" for p in parameters):
                # A file has no envelope for undated_excluded: exports of lists filtered by date say it in a header.
                responses["200"]["headers"] = {**responses["200"].get("headers", {}), **UNDATED}
            for code, description in codes.items():
                responses.setdefault(code, {"description": description, "content": error})
            if operation.get("operationId") == "events_export":
                responses["200"]["headers"] = {
                    **responses["200"].get("headers", {}),
                    WITHOUT_PLACE_HEADER: {
                        "description": "GeoJSON only: how many matching events were left out for having no place.",
                        "schema": {"type": "integer", "minimum": 0},
                    },
                }
            if method == "get" and f"{path}export/" in result["paths"]:
                parameters.append(EXPORT_FORMAT)
                responses["308"] = {
                    "description": "`format=csv` or `ndjson` (or an Accept header asking for them): the same query at "
                    "this list's export operation, which answers the file.",
                    "headers": {"Location": LOCATION["Location"]},
                }
    return result


EXPORT_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`json` (the default) answers this list; `csv` and `ndjson` answer 308 to its export operation "
    "(`…/export/`, with the same query), kept so that links made before exports had their own operations work. "
    "An export has no pages: with `page`, `page_size` or `cursor` the export answers 400.",
    "schema": {"type": "string", "enum": ["json", "csv", "ndjson"]},
    "deprecated": True,
}


COUNTRY_LIST = "\n\n* `AF` - Afghanistan"
FIXTURES = settings.BASE_DIR / "fixtures"
RESPONSE_EXAMPLES = Path(__file__).resolve().parent / "examples"
EXAMPLES = {
    "actors_create": "actors",
    "events_create": "events",
    "statements_create": "statements",
    "pledges_create": "pledges",
}


def _resolve(result: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return result["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def describe_once(result, generator, request, public):
    """Country codes once, in the CountryEnum component, rather than in every parameter and field that takes one
    (250 names each time); and request examples from the real fixtures."""
    schemas = result.get("components", {}).get("schemas", {})
    country_codes = schemas.get("CountryEnum", {}).get("enum")
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                items = parameter["schema"].get("items", {})
                if country_codes and set(items.get("enum", ())) == set(country_codes):
                    parameter["schema"]["items"] = {"$ref": "#/components/schemas/CountryEnum"}
                if COUNTRY_LIST in parameter.get("description", ""):
                    parameter["description"] = parameter["description"].split(COUNTRY_LIST)[0]
            name = EXAMPLES.get(operation.get("operationId"))
            if name:
                _example(result, operation, name)
    for name, component in schemas.items():
        for prop in component.get("properties", {}).values():
            # drf-spectacular declares a blank URL or e-mail as oneOf [the format, an empty string]; "" matches both
            # branches where formats are not checked, so a strict validator refused every blank url. anyOf says it.
            if any(branch == {"type": "string", "maxLength": 0} for branch in prop.get("oneOf", ())):
                prop["anyOf"] = prop.pop("oneOf")
            if name != "CountryEnum" and COUNTRY_LIST in prop.get("description", ""):
                prop["description"] = prop["description"].split(COUNTRY_LIST)[0] + " An ISO 3166-1 alpha-2 code."
    return result


def _example(result: dict, operation: dict, name: str) -> None:
    """The first record of fixtures/<name>.json, as far as the create operation's body takes its fields; and the
    API's answer for that record (events/api/examples/, kept equal to the live answer by
    tests/test_openapi_file.py) on the create's 201 and the retrieve's 200."""
    body = operation["requestBody"]["content"]["application/json"]
    fields = _resolve(result, body["schema"])["properties"]
    record = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))[0]
    body["examples"] = {
        record["slug"]: {
            "summary": f"From fixtures/{name}.json",
            "value": {key: value for key, value in record.items() if key in fields},
        }
    }
    answer = RESPONSE_EXAMPLES / f"{name}.json"
    if not answer.exists():
        return
    example = {
        record["slug"]: {"summary": f"The API's answer for {record['slug']}", "value": json.loads(answer.read_text())}
    }
    retrieve = _operation(result, f"{name}_retrieve")
    for response in (operation["responses"].get("201"), retrieve and retrieve["responses"].get("200")):
        if response is not None:
            response["content"]["application/json"]["examples"] = example


def _operation(result: dict, operation_id: str) -> dict | None:
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return operation
    return None


RESOURCES = ("sources", "actors", "events", "statements", "pledges")
SLUG_IN_BODY = "$response.body#/slug"
ETAG_HEADER = "$response.header.ETag"


def _links_from(resource: str, slug: str, etag: str | None) -> dict:
    """Where a client can go from a response that names one record: the operations on that record, each with the
    slug (and, for a change, the ETag as If-Match) taken from the response."""
    on_record = {"slug": slug}
    conditional = {**on_record, "header.If-Match": etag} if etag else on_record
    links = {
        "retrieve": (f"{resource}_retrieve", on_record, "Read the record."),
        "update": (f"{resource}_partial_update", conditional, "Change some of its fields."),
        "replace": (f"{resource}_update", conditional, "Replace it."),
        "destroy": (f"{resource}_destroy", conditional, "Delete it."),
        "history": (f"{resource}_history_list", on_record, "List its versions."),
    }
    if resource != "sources":
        links["citations"] = (f"{resource}_citations_list", on_record, "List its evidence.")
        links["cite"] = (f"{resource}_citations_create", on_record, "Add evidence.")
    if resource == "pledges":
        links["status"] = ("pledges_status_create", conditional, "Record a status change.")
    return {
        name: {"operationId": operation_id, "parameters": parameters, "description": description}
        for name, (operation_id, parameters, description) in links.items()
    }


def link_operations(result, generator, request, public):
    """OpenAPI links, so that a client (or Schemathesis' stateful tests) can follow a record from the answer that
    names it to the operations on it: from a create, a read or a change to everything else on that record; from a
    delete to a read of it, which answers 404; from an added citation to removing it."""
    operations = {
        operation.get("operationId"): operation
        for path_operations in result.get("paths", {}).values()
        for operation in path_operations.values()
        if isinstance(operation, dict)
    }
    present = set(operations)
    for resource in RESOURCES:
        # A create that merges into the record it duplicates (a pledge offered again) answers 200 with that record.
        sources = [
            (f"{resource}_create", "201"),
            (f"{resource}_create", "200"),
            (f"{resource}_retrieve", "200"),
            (f"{resource}_partial_update", "200"),
            (f"{resource}_update", "200"),
        ]
        for operation_id, code in sources:
            response = operations.get(operation_id, {}).get("responses", {}).get(code)
            if response is None:
                continue
            links = _links_from(resource, SLUG_IN_BODY, ETAG_HEADER)
            links.pop("retrieve" if operation_id == f"{resource}_retrieve" else "", None)
            response["links"] = {name: link for name, link in links.items() if link["operationId"] in present}
        destroyed = operations.get(f"{resource}_destroy", {}).get("responses", {}).get("204")
        if destroyed is not None:
            destroyed["links"] = {
                "retrieve": {
                    "operationId": f"{resource}_retrieve",
                    "parameters": {"slug": "$request.path.slug"},
                    "description": "Read the deleted record: 404.",
                }
            }
        cited = operations.get(f"{resource}_citations_create", {}).get("responses", {}).get("201")
        if cited is not None and f"{resource}_citations_destroy" in present:
            cited["links"] = {
                "uncite": {
                    "operationId": f"{resource}_citations_destroy",
                    "parameters": {
                        "slug": "$request.path.slug",
                        "citation_id": "$response.body#/id",
                        "header.If-Match": ETAG_HEADER,
                    },
                    "description": "Remove this citation again.",
                }
            }
    return result


def document_sparse_fields(result, generator, request, public):
    """`fields=` (events/api/sparse.py): declared on each record's GET as on its list, and its thinned answer as a
    media type of its own, whose schema is the record's component with no property required (`EventFields`; a page
    keeps its envelope, `PaginatedEventListFields`). The `application/json` answer keeps every required property."""
    paths = result.get("paths", {})
    found: list[dict] = []
    names: dict[tuple, str] = {}
    for path, operations in paths.items():
        operation = operations.get("get")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        if path.endswith("/{slug}/") and not any(p["name"] == sparse.PARAMETER for p in parameters):
            listing = paths.get(path.removesuffix("{slug}/"), {}).get("get", {})
            parameters += [copy.deepcopy(p) for p in listing.get("parameters", []) if p["name"] == sparse.PARAMETER]
        declared = [p for p in parameters if p["name"] == sparse.PARAMETER and p["in"] == "query"]
        if not declared:
            continue
        # The enum says the names; drf-spectacular's list of them again in the description ("* `slug` - slug")
        # says nothing more.
        declared[0]["description"] = sparse.HELP
        found.append(declared[0])
        content = operation["responses"].get("200", {}).get("content", {})
        if "application/json" in content:
            content[sparse.SPARSE_TYPE] = {"schema": _sparse_schema(result, content["application/json"]["schema"])}
            record = _record_name(result, content["application/json"]["schema"])
            names.setdefault(tuple(declared[0]["schema"]["items"]["enum"]), f"{record}FieldName")
    # Each resource's field names once, as a component (`EventFieldName`), rather than in each of its operations.
    schemas = result["components"]["schemas"]
    for parameter in found:
        items = parameter["schema"]["items"]
        name = names.get(tuple(items.get("enum", ())))
        if name is not None:
            schemas[name] = {"type": "string", "enum": items["enum"]}
            parameter["schema"]["items"] = {"$ref": f"#/components/schemas/{name}"}
    return result


def _record_name(result: dict, schema: dict) -> str:
    """The record component a response holds: itself, or the items of a page."""
    name = schema["$ref"].rsplit("/", 1)[1]
    items = result["components"]["schemas"][name].get("properties", {}).get("results", {}).get("items")
    return items["$ref"].rsplit("/", 1)[1] if items else name


def _sparse_schema(result: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[1]
    components = result["components"]["schemas"]
    sparse_name = f"{name}Fields"
    if sparse_name not in components:
        component = copy.deepcopy(components[name])
        results = component.get("properties", {}).get("results")
        if results is not None and "items" in results:
            # A page: its envelope is whole, its records thinned.
            results["items"] = _sparse_schema(result, results["items"])
        else:
            component.pop("required", None)
            # Each property is described in full on the full component: the contract says it once.
            for prop, value in component.get("properties", {}).items():
                value["description"] = f"As {name}.{prop}."
            component["description"] = (
                f"{name} thinned by `fields=`: only the fields asked for are present. Each field is as in {name}, "
                "described there."
            )
        components[sparse_name] = component
    return {"$ref": f"#/components/schemas/{sparse_name}"}
