"""CSV a spreadsheet user can rely on (issue 14): a slug beside every actor name, every citation in its own export,
the status history in one readable cell, lowercase booleans and an optional byte order mark for Excel. Checked
against the real data set."""

import csv
import io
import json

import pytest

from events.models import Actor, Citation, Pledge, PledgeStatusChange, Statement

pytestmark = pytest.mark.django_db

API = "/api/v1"
# Each name column and the slug column beside it, per export (README, Exports).
NAMED = {
    "actors": {"parent": "parent_slug", "children": "children_slugs"},
    "events": {"participants": "participants_slugs"},
    "statements": {
        "speaker": "speaker_slug",
        "stance_target": "stance_target_slug",
        "about": "about_slugs",
        "reported_by": "reported_by_slugs",
    },
    "pledges": {"pledger": "pledger_slug", "beneficiary": "beneficiary_slug"},
    "timeline": {"actors": "actor_slugs"},
}


def _body(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content)


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_body(response).decode("utf-8"))))


def _items(cell: str) -> list[str]:
    return cell.split("; ") if cell else []


@pytest.mark.parametrize("resource", list(NAMED))
def test_every_actor_name_has_its_slug_beside_it(api_client, story, resource):
    """Each name in a name column is the name of the actor whose slug stands at the same place in the slug column,
    for every row of the story."""
    names = dict(Actor.objects.values_list("slug", "name"))
    rows = _rows(api_client.get(f"{API}/{resource}/export/?format=csv"))
    assert rows
    header = list(rows[0])
    filled = 0
    for name_column, slug_column in NAMED[resource].items():
        assert header.index(slug_column) == header.index(name_column) + 1
        for row in rows:
            shown, slugs = _items(row[name_column]), _items(row[slug_column])
            assert len(shown) == len(slugs), (row["slug"], name_column)
            for name, slug in zip(shown, slugs, strict=True):
                role = ""
                if resource == "events":
                    # "Name (role)" beside "slug (role)"
                    slug, role = slug.rsplit(" (", 1)
                    assert name.endswith(f" ({role}")
                    name = name.removesuffix(f" ({role}")
                assert names[slug] == name
                filled += 1
    assert filled


def test_statement_slug_columns_match_the_records(api_client, story):
    """The speaker and stance target slugs are the records' own."""
    rows = {r["slug"]: r for r in _rows(api_client.get(f"{API}/statements/export/?format=csv"))}
    expected = Statement.objects.values_list("slug", "speaker__slug", "stance_target__slug")
    assert {slug: (rows[slug]["speaker_slug"], rows[slug]["stance_target_slug"]) for slug, *_ in expected} == {
        slug: (speaker, target or "") for slug, speaker, target in expected
    }


@pytest.mark.parametrize("resource", ["actors", "events", "statements", "pledges"])
def test_citations_export_has_every_citation_once(api_client, story, resource):
    """One row per citation of the resource, each record's citations numbered 1, 2… in the order the record lists
    them, with the same source, excerpt and id as the record's own citations."""
    kind = resource[:-1]
    rows = _rows(api_client.get(f"{API}/{resource}/citations/export/?format=csv"))
    assert list(rows[0]) == ["resource", "record", "position", "source", "excerpt", "id"]
    assert len(rows) == Citation.objects.filter(**{f"{kind}__isnull": False}).count()
    assert {r["resource"] for r in rows} == {kind}
    by_record: dict[str, list[dict]] = {}
    for row in rows:
        by_record.setdefault(row["record"], []).append(row)
    # The records in the list's order.
    listed = [r["slug"] for r in _rows(api_client.get(f"{API}/{resource}/export/?format=csv"))]
    assert list(by_record) == [slug for slug in listed if slug in by_record]
    for slug, cited in list(by_record.items())[:8]:
        own = api_client.get(f"{API}/{resource}/{slug}/citations/").json()
        assert [(int(r["position"]), r["source"], r["excerpt"], int(r["id"])) for r in cited] == [
            (n, c["source"], c["excerpt"], c["id"]) for n, c in enumerate(own, start=1)
        ]


def test_citations_export_takes_the_list_filters(api_client, story):
    """The citations of exactly the records a filter matches: Barrot's statements here, both of the records with
    two citations included."""
    slugs = set(Statement.objects.filter(speaker__slug="jean-noel-barrot").values_list("slug", flat=True))
    rows = _rows(api_client.get(f"{API}/statements/citations/export/?format=csv&speaker=jean-noel-barrot"))
    assert {r["record"] for r in rows} == slugs
    assert len(rows) == Citation.objects.filter(statement__slug__in=slugs).count() > len(slugs)
    lines = _body(api_client.get(f"{API}/statements/citations/export/?format=ndjson&speaker=jean-noel-barrot"))
    records = [json.loads(line) for line in lines.splitlines()]
    assert [(r["record"], r["position"], r["id"]) for r in records] == [
        (r["record"], int(r["position"]), int(r["id"])) for r in rows
    ]


def test_citations_export_refuses_what_the_list_refuses(api_client, story):
    """An unknown filter or a page parameter is a 400, and sources, which cite nothing, have no citations export."""
    assert api_client.get(f"{API}/pledges/citations/export/?colour=red").status_code == 400
    assert api_client.get(f"{API}/pledges/citations/export/?page=2").status_code == 400
    assert api_client.get(f"{API}/sources/citations/export/").status_code == 404


def test_citation_excerpts_are_neutralised_in_csv_only(api_client, story):
    """An excerpt a spreadsheet would run as a formula gains a leading ' in the CSV, not in NDJSON."""
    from conftest import CitationFactory, SourceFactory

    article = SourceFactory(slug="formula-source", text="=1+1 was written there.")
    pledge = Pledge.objects.get(slug="france-100-gendarmes-palestinian-police-training")
    CitationFactory(pledge=pledge, source=article, excerpt="=1+1")
    query = "source=formula-source"
    rows = _rows(api_client.get(f"{API}/pledges/citations/export/?{query}"))
    assert [r["record"] for r in rows] == [pledge.slug] * pledge.citations.count()
    assert (rows[-1]["source"], rows[-1]["excerpt"]) == ("formula-source", "'=1+1")
    lines = _body(api_client.get(f"{API}/pledges/citations/export/?format=ndjson&{query}")).splitlines()
    assert json.loads(lines[-1])["excerpt"] == "=1+1"


def test_status_history_is_one_readable_cell(api_client, story, editor):
    """The status history is each step's date and status, joined with '; ', with what had been delivered when a
    step says so: in the story every pledge has its announcement; a step added through the API follows it."""
    rows = {r["slug"]: r for r in _rows(api_client.get(f"{API}/pledges/export/?format=csv"))}
    assert len(rows) == Pledge.objects.count()
    for slug, row in rows.items():
        steps = PledgeStatusChange.objects.filter(pledge__slug=slug).order_by("date", "id")
        assert row["status_history"] == "; ".join(f"{s.date:%Y-%m-%d} {s.status}" for s in steps)
        assert row["status_history"]
    slug = "turkey-offer-to-send-forces-to-gaza"
    version = Pledge.objects.get(slug=slug).version
    response = editor.post(
        f"{API}/pledges/{slug}/status/",
        {
            "status": "withdrawn",
            "date": "2025-11-07",
            "source": "isf-deploy-very-soon-trump",
            "excerpt": "Israel rejects Turkish troops under Trump’s 20-point peace plan",
        },
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert response.status_code == 201, response.content
    (row,) = _rows(api_client.get(f"{API}/pledges/export/?format=csv&pledger=turkey"))
    assert row["status_history"] == f"{rows[slug]['status_history']}; 2025-11-07 withdrawn"


def test_delivered_quantity_shows_in_the_step(api_client, world):
    """A step that reports a delivered quantity says it."""
    from events.services import pledge_status_change

    pledge = world["gendarmes"]
    pledge_status_change(
        pledge=pledge,
        expected_version=pledge.version,
        status="partially_fulfilled",
        date=pledge.date,
        quantity_delivered=40,
        source=world["source"],
        excerpt="France stands ready to deploy approximately 100 gendarmes.",
    )
    (row,) = _rows(api_client.get(f"{API}/pledges/export/?format=csv&pledger=france"))
    assert row["status_history"].endswith(f"{pledge.date:%Y-%m-%d} partially_fulfilled (40 delivered)")


def test_booleans_are_lowercase(api_client, story):
    """true and false, as JSON spells them, never Python's True and False."""
    rows = {r["slug"]: r for r in _rows(api_client.get(f"{API}/pledges/export/?format=csv"))}
    approximate = dict(Pledge.objects.values_list("slug", "quantity_approximate"))
    assert {slug: row["quantity_approximate"] for slug, row in rows.items()} == {
        slug: "true" if value else "false" for slug, value in approximate.items()
    }
    assert "true" in {r["quantity_approximate"] for r in rows.values()}
    for resource in ("actors", "events", "statements", "pledges", "sources", "timeline"):
        for row in _rows(api_client.get(f"{API}/{resource}/export/?format=csv")):
            assert not {"True", "False"} & set(row.values()), resource


@pytest.mark.parametrize(
    "url", ["/pledges/export/", "/statements/citations/export/", "/timeline/export/", "/actors/france/timeline/export/"]
)
def test_bom_for_excel(api_client, story, url):
    """bom=true starts the CSV with a UTF-8 byte order mark; the rest is the same file. Left out or false, none."""
    plain = _body(api_client.get(f"{API}{url}?format=csv"))
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert _body(api_client.get(f"{API}{url}?format=csv&bom=false")) == plain
    marked = _body(api_client.get(f"{API}{url}?format=csv&bom=true"))
    assert marked == b"\xef\xbb\xbf" + plain
    assert marked.decode("utf-8-sig") == plain.decode("utf-8")


CSV_ONLY = "A byte order mark is for CSV only; leave bom out with format=ndjson."


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/pledges/export/?format=ndjson&bom=true", CSV_ONLY),
        ("/timeline/export/?format=ndjson&bom=true", CSV_ONLY),
        ("/events/citations/export/?format=ndjson&bom=1", CSV_ONLY),
        ("/pledges/export/?bom=maybe", "Must be true or false."),
    ],
)
def test_bom_is_refused_where_it_means_nothing(api_client, story, url, message):
    """With NDJSON a byte order mark would be silently ignored, so it is a 400, as is a value that is not a
    boolean."""
    response = api_client.get(f"{API}{url}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"bom": [message]}


def test_bom_is_an_export_option_not_a_list_filter(api_client, story):
    """On a list, which answers JSON, bom is an unknown parameter."""
    response = api_client.get(f"{API}/pledges/?bom=true")
    assert response.status_code == 400
    assert "bom" in response.json()["errors"]


def _readme_tables() -> dict[str, list[str]]:
    """The README's column tables, by export path: each ``**Title** (`path`)`` heading and its rows' columns."""
    import re
    from pathlib import Path

    from django.conf import settings

    text = Path(settings.BASE_DIR, "README.md").read_text(encoding="utf-8")
    tables = {}
    for match in re.finditer(
        r"^\*\*[^*]+\*\* \(`([^`]+)`\)\n\n\| column \| meaning \|\n\|---\|---\|\n((?:\|.*\n)+)", text, re.M
    ):
        columns = [re.match(r"\| `([^`]+)` \|", row).group(1) for row in match.group(2).splitlines()]
        for path in match.group(1).split(", "):
            tables[path] = columns
    return tables


def test_the_readme_lists_every_column_of_every_export_in_order(api_client, story):
    """The README's tables are the exports' headers, column for column (the actor's timeline with an actor)."""
    tables = _readme_tables()
    assert set(tables) == {
        "sources/export/",
        "actors/export/",
        "events/export/",
        "statements/export/",
        "pledges/export/",
        "timeline/export/",
        "actors/{slug}/timeline/export/",
        "deleted/export/",
    }
    for path, columns in tables.items():
        body = _body(api_client.get(f"{API}/{path.replace('{slug}', 'turkey')}?format=csv")).decode("utf-8")
        assert next(csv.reader(io.StringIO(body))) == columns, path
