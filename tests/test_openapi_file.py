"""The committed openapi.yaml is the contract: a change to the API's schema is made deliberately, by `make schema`,
and reviewed in the diff."""

from pathlib import Path

from django.core.management import call_command


def test_the_committed_schema_is_the_live_schema(tmp_path):
    committed = Path(__file__).resolve().parent.parent / "openapi.yaml"
    live = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(live))
    assert committed.read_text(encoding="utf-8") == live.read_text(encoding="utf-8"), (
        "openapi.yaml differs from the schema the code generates: run `make schema` and review the diff."
    )
