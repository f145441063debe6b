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
