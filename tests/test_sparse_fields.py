"""`fields=` keeps only the named top-level fields of each record, on lists, records, timelines and exports; an
unknown name is a 400 listing the valid ones; a thinned JSON answer has its own media type (events/api/sparse.py)."""

import csv
import io
import json

import pytest

from events.api.sparse import SPARSE_TYPE

from .errors import error_fields

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.mark.parametrize(
    "url",
    [
        "pledges/?fields=slug,title,status",
        "pledges/?fields=slug&fields=title&fields=status",
        "pledges/?fields=status,title,slug",
        "pledges/?fields=slug,title,status&status=announced,in_progress&ordering=-quantity",
    ],
)
def test_a_list_keeps_only_the_fields_asked_for(api_client, world, url):
    response = api_client.get(f"{API}/{url}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == SPARSE_TYPE
    body = response.json()
    # The page's envelope is whole (a list filtered by date says what it left out in undated_excluded).
    assert set(body) == {"count", "next", "previous", "results", "undated_excluded"}
    assert body["results"]
    for record in body["results"]:
        assert list(record) == ["slug", "title", "status"]  # the record's own order
    full = api_client.get(f"{API}/{url.replace('fields=', 'x=').split('?')[0]}").json()["results"]
    if "ordering" not in url and "status=" not in url:
        assert body["results"] == [{k: r[k] for k in ("slug", "title", "status")} for r in full]


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("actors/united-states/?fields=slug,aliases", ["slug", "aliases"]),
        ("events/brussels-meeting/?fields=participants", ["participants"]),
        ("sources/other-article/?fields=slug,sha256", ["slug", "sha256"]),
        ("statements/hamas-rejects-disarmament/?fields=speaker,text", ["speaker", "text"]),
    ],
)
def test_a_record_keeps_only_the_fields_asked_for(api_client, world, url, names):
    response = api_client.get(f"{API}/{url}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == SPARSE_TYPE
    assert "ETag" in response
    full = api_client.get(f"{API}/{url.split('?')[0]}")
    assert full["Content-Type"] == "application/json"
    assert response.json() == {name: full.json()[name] for name in names}  # nested objects come whole


def test_timelines_take_fields(api_client, world):
    for url in ("timeline/?fields=type,slug", "actors/france/timeline/?fields=type,slug&include_children=true"):
        response = api_client.get(f"{API}/{url}")
        assert response.status_code == 200, response.content
        assert response.json()["results"]
        assert all(list(item) == ["type", "slug"] for item in response.json()["results"])


def test_exports_keep_only_those_columns(api_client, world):
    response = api_client.get(f"{API}/pledges/export/?format=csv&fields=slug,status,citations")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["slug", "status", "citation_count", "citation_source", "citation_excerpt"]
    assert len(rows) > 1
    response = api_client.get(f"{API}/events/export/?format=ndjson&fields=slug,title")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines
    assert all(list(json.loads(line)) == ["slug", "title"] for line in lines)
    response = api_client.get(f"{API}/timeline/export/?format=ndjson&fields=slug")
    assert all(
        list(json.loads(line)) == ["slug"] for line in b"".join(response.streaming_content).decode().splitlines()
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pledges/?fields=slug,titel", "“titel” is not a valid value. Did you mean `title`?"),
        ("pledges/export/?fields=nope", "“nope” is not a valid value. Valid values: slug, api_url, title,"),
        ("actors/france/?fields=slug,search_text", "“search_text” is not a valid value."),
        ("events/brussels-meeting/?fields=slug,", "An item of this list is empty"),
    ],
)
def test_an_unknown_field_is_a_400_naming_it(api_client, world, url, message):
    body = error_fields(api_client.get(f"{API}/{url}"), 400)
    assert list(body["errors"]) == ["fields"]
    assert body["errors"]["fields"][0].startswith(message), body


def test_without_fields_the_answer_is_whole_json(api_client, world):
    response = api_client.get(f"{API}/pledges/")
    assert response["Content-Type"] == "application/json"
    assert "citations" in response.json()["results"][0]
