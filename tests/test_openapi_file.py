"""The committed openapi.yaml is the contract: a change to the API's schema is made deliberately, by `make schema`,
and reviewed in the diff."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from events.api.schema import EXAMPLES, FIXTURES, RESPONSE_EXAMPLES


def test_the_committed_schema_is_the_live_schema(tmp_path):
    committed = Path(__file__).resolve().parent.parent / "openapi.yaml"
    live = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(live))
    assert committed.read_text(encoding="utf-8") == live.read_text(encoding="utf-8"), (
        "openapi.yaml differs from the schema the code generates: run `make schema` and review the diff."
    )


EXAMPLE_HOST = "http://127.0.0.1:8000"  # `make run`'s address, so that the documented links read as a user's would


@pytest.mark.parametrize("resource", sorted(EXAMPLES.values()))
def test_response_examples_are_what_the_api_answers(resource, story, api_client):
    """The schema's response examples are the API's real answers for the first record of each fixture file, but
    for the moments of creation and change, which differ with each load. UPDATE_EXAMPLES=1 rewrites them (then run
    `make schema`)."""
    slug = json.loads((FIXTURES / f"{resource}.json").read_text(encoding="utf-8"))[0]["slug"]
    response = api_client.get(f"/api/v1/{resource}/{slug}/")
    assert response.status_code == 200
    live = json.loads(response.content.decode().replace("http://testserver", EXAMPLE_HOST))
    path = RESPONSE_EXAMPLES / f"{resource}.json"
    if os.environ.get("UPDATE_EXAMPLES"):
        path.write_text(json.dumps(live, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    documented = json.loads(path.read_text(encoding="utf-8"))
    assert _steady(documented) == _steady(live), f"{path.name} is out of date: run `make examples`."


def _steady(value):
    if isinstance(value, dict):
        return {key: _steady(item) for key, item in value.items() if key not in ("created_at", "updated_at")}
    if isinstance(value, list):
        return [_steady(item) for item in value]
    return value
