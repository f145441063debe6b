"""OpenAPI post-processing: describe the parameters drf-spectacular adds to every operation by itself."""

DESCRIPTIONS = {
    "format": "Response format: json (default), csv or ndjson. Errors are always JSON.",
    "slug": "The record's slug, as given in lists and links.",
}


def describe_common_parameters(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("name") in DESCRIPTIONS and not parameter.get("description"):
                    parameter["description"] = DESCRIPTIONS[parameter["name"]]
    return result


ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error format of the API.",
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status code."},
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. invalid, not_found."},
        "detail": {"type": "string", "description": "A sentence for people."},
        "errors": {
            "type": "object",
            "description": "Messages per offending field or parameter (dotted paths for nested fields).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["status", "code", "detail", "errors"],
}
ALWAYS = {
    "400": "Invalid parameters or body; `errors` names each field.",
    "404": "No such record, page or path.",
    "406": "The Accept header asks for a format the API does not serve.",
    "429": "Too many requests; see Retry-After.",
    "503": "The database is unavailable; try again shortly.",
}
WRITES = {
    "401": "Authentication is needed to write.",
    "403": "The account lacks the model's permission.",
    "409": "A duplicate, a slug taken meanwhile, or a delete that would orphan evidence.",
    "412": "If-Match names an older version; nothing was written.",
    "413": "The body is larger than the limit.",
    "415": "The body's media type is not JSON or a form.",
    "428": "If-Match is required.",
}


def document_errors(result, generator, request, public):
    """Every operation documents the errors it can answer, all in the Error schema."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            codes = {**ALWAYS, **(WRITES if method in ("post", "put", "patch", "delete") else {})}
            if method == "get" and path.endswith("/{slug}/"):
                operation["responses"].setdefault("304", {"description": "Not modified: If-None-Match matched."})
            for code, description in codes.items():
                operation["responses"].setdefault(code, {"description": description, "content": error})
    return result
