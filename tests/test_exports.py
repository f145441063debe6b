"""CSV and NDJSON exports: every matching record, streamed, with flat columns and the lists' filters."""

import csv
import io
import json

import pytest

from conftest import StatementFactory

pytestmark = pytest.mark.django_db

STATEMENT_HEADER = [
    "slug",
    "api_url",
    "speaker",
    "speaker_role",
    "text",
    "quote_type",
    "medium",
    "date",
    "date_precision",
    "date_end",
    "date_note",
    "about",
    "stance",
    "stance_target",
    "stance_topic",
    "event",
    "announced_pledges",
    "reported_by",
    "coding_note",
    "citation_count",
    "citation_source",
    "citation_excerpt",
    "first_appearance_source",
    "version",
    "created_at",
    "updated_at",
]


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_statements_csv_has_flat_columns(api_client, world):
    """Actor names instead of objects, lists joined with '; ', and the first citation's source and excerpt."""
    response = api_client.get("/api/v1/statements/export/?format=csv&speaker=barrot")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.splitlines()[0].split(",") == STATEMENT_HEADER
    (row,) = csv.DictReader(io.StringIO(text))
    statement = world["barrot_says"]
    assert row == {
        "slug": "barrot-supports-mission",
        "api_url": "http://testserver/api/v1/statements/barrot-supports-mission/",
        "speaker": "Jean-Noël Barrot",
        "speaker_role": "",
        "text": "We support the mission,",
        "quote_type": "direct",
        "medium": "video_statement",
        "date": "2025-11-20",
        "date_precision": "day",
        "date_end": "2025-11-20",
        "date_note": "",
        "about": "",
        "stance": "supports",
        "stance_target": "United States",
        "stance_topic": "",
        "event": "brussels-meeting",
        "announced_pledges": "france-100-gendarmes",
        "reported_by": "",
        "coding_note": "",
        "citation_count": "1",
        "citation_source": "source-article",
        "citation_excerpt": "“We support the mission,” the minister said.",
        "first_appearance_source": "source-article",
        "version": "1",
        "created_at": statement.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": statement.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert response["Content-Disposition"] == 'attachment; filename="statements.csv"'


def test_events_csv_joins_participants_with_roles(api_client, world):
    """An event's participants become one cell: names with roles, joined with '; '."""
    rows = _csv(api_client.get("/api/v1/events/export/?format=csv&actor=united-states"))
    assert [(r["slug"], r["participants"]) for r in rows] == [
        ("september-press-conference", "United States (host)"),
        ("brussels-meeting", "Jean-Noël Barrot (participant); United States (participant)"),
        ("isf-deployment", "United States (initiator)"),
    ]


def test_export_is_every_matching_record_not_a_page(api_client, world):
    """An export holds every record the filters match, beyond the page size."""
    for n in range(30):
        StatementFactory(slug=f"extra-{n:02d}", speaker=world["hamas"], quote_type="reported", text="More.")
    rows = _csv(api_client.get("/api/v1/statements/export/?format=csv&speaker=hamas"))
    assert len(rows) == 31
    assert api_client.get("/api/v1/statements/?speaker=hamas").json()["count"] == 31


def test_accept_header_selects_csv(api_client, world):
    """Accept: text/csv works as well as ?format=csv, and CSV is the default."""
    assert _csv(api_client.get("/api/v1/pledges/export/")) == _csv(api_client.get("/api/v1/pledges/export/?format=csv"))
    rows = _csv(api_client.get("/api/v1/pledges/export/", HTTP_ACCEPT="text/csv"))
    assert [r["slug"] for r in rows] == ["turkey-troops", "us-isf-troops", "france-100-gendarmes"]
    assert rows[0]["pledger"] == "Turkey"


def test_ndjson_lines_are_the_api_records(api_client, world):
    """Each NDJSON line is exactly the record the JSON list serves."""
    response = api_client.get("/api/v1/events/export/?format=ndjson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert records == api_client.get("/api/v1/events/").json()["results"]


def test_timeline_exports(api_client, world):
    """The timeline exports to CSV with the same filters."""
    rows = _csv(api_client.get("/api/v1/timeline/export/?format=csv&type=pledge"))
    assert list(rows[0]) == [
        "type",
        "slug",
        "date",
        "date_precision",
        "date_end",
        "title",
        "actors",
        "api_url",
        "updated_at",
    ]
    assert [(r["slug"], r["actors"]) for r in rows] == [
        ("turkey-troops", "Turkey"),
        ("us-isf-troops", "United States; Hamas"),
        ("france-100-gendarmes", "France"),
    ]
    lines = b"".join(
        api_client.get("/api/v1/actors/turkey/timeline/export/?format=ndjson").streaming_content
    ).splitlines()
    assert [json.loads(line)["slug"] for line in lines] == ["turkey-troops", "us-opposes-turkish-troops"]


def test_detail_as_csv_is_one_row(api_client, world):
    """A single record in CSV is a header and one flat row."""
    response = api_client.get("/api/v1/pledges/france-100-gendarmes/?format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert len(rows) == 1
    assert rows[0]["pledger"] == "France"
    assert rows[0]["quantity"] == "100"


def test_export_errors_stay_json(api_client, world):
    """A bad filter on an export is the usual JSON 400, not a CSV of the error."""
    response = api_client.get("/api/v1/statements/export/?format=csv&stance=maybe")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"stance": ["“maybe” is not a valid value. Valid values: supports, opposes."]}


def test_all_statements_as_csv_from_the_story(api_client, story):
    """“All statements as CSV”: one row per statement of the real data set, each with its evidence."""
    rows = _csv(api_client.get("/api/v1/statements/export/?format=csv"))
    assert len(rows) == api_client.get("/api/v1/statements/").json()["count"]
    assert all(r["citation_excerpt"] and r["citation_source"] for r in rows)


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize("url", ["/api/v1/events/", "/api/v1/deleted/", "/api/v1/timeline/"])
def test_an_export_refuses_page_parameters(api_client, db, url, fmt):
    """An export is every matching record: page, page_size or cursor would be silently ignored, so they are a 400
    in the API's JSON error format."""
    response = api_client.get(f"{url}export/?format={fmt}&page=2&page_size=-1&cursor=t")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    message = ["An export streams every matching record; leave out page, page_size and cursor."]
    assert response.json()["errors"] == {"cursor": message, "page": message, "page_size": message}


# CSV injection (OWASP) ---------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCarriage"]


@pytest.fixture
def formulas(world):
    """Records whose text columns begin with each character a spreadsheet evaluates."""
    from conftest import ActorFactory, CitationFactory, EventFactory, SourceFactory

    article = SourceFactory(slug="formula-article", title=FORMULAS[0], text=" ".join(FORMULAS))
    for n, formula in enumerate(FORMULAS):
        actor = ActorFactory(slug=f"formula-actor-{n}", name=formula, kind="person")
        statement = StatementFactory(slug=f"formula-{n}", speaker=actor, text=formula, quote_type="reported")
        CitationFactory(statement=statement, source=article, excerpt=formula)
    event = EventFactory(slug="formula-event", title="=1+1", latitude="-33.86785", longitude="-151.20732")
    CitationFactory(event=event, source=article, excerpt=FORMULAS[1])
    return article


def _text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8")


def test_csv_exports_neutralise_formulas_in_text_columns(api_client, formulas):
    """Every text cell that begins with =, +, -, @, tab or CR gains a leading ' in every CSV export."""
    rows = list(
        csv.DictReader(
            io.StringIO(_text(api_client.get("/api/v1/statements/export/?format=csv&source=formula-article")))
        )
    )
    assert sorted((r["speaker"], r["text"], r["citation_excerpt"]) for r in rows) == sorted(
        ("'" + f, "'" + f, "'" + f) for f in FORMULAS
    )
    actors = list(csv.DictReader(io.StringIO(_text(api_client.get("/api/v1/actors/export/?format=csv&kind=person")))))
    assert {r["name"] for r in actors if r["slug"].startswith("formula")} == {"'" + f for f in FORMULAS}
    timeline = list(
        csv.DictReader(io.StringIO(_text(api_client.get("/api/v1/timeline/export/?format=csv&source=formula-article"))))
    )
    assert {r["title"] for r in timeline} >= {"'=1+1", "'@SUM(A1): @SUM(A1)"}
    sources = list(csv.DictReader(io.StringIO(_text(api_client.get("/api/v1/sources/export/?format=csv")))))
    assert [r["title"] for r in sources if r["slug"] == "formula-article"] == ["'" + FORMULAS[0]]


def test_csv_keeps_numbers_and_dates_as_they_are(api_client, formulas):
    """Number and date columns are not text: a negative coordinate stays a number."""
    (row,) = csv.DictReader(
        io.StringIO(_text(api_client.get("/api/v1/events/export/?format=csv&source=formula-article")))
    )
    assert (row["title"], row["latitude"], row["longitude"]) == ("'=1+1", "-33.86785", "-151.20732")
    assert row["date"] == "2025-11-20"
    assert row["citation_excerpt"] == "'+1+2"


def test_csv_of_one_record_and_of_its_citations_is_neutralised_too(api_client, formulas):
    """The non-streamed CSV (a single record, a record's citations) goes through the same escaping."""
    (row,) = csv.DictReader(io.StringIO(_text(api_client.get("/api/v1/events/formula-event/?format=csv"))))
    assert (row["title"], row["latitude"]) == ("'=1+1", "-33.86785")
    (citation,) = csv.DictReader(
        io.StringIO(_text(api_client.get("/api/v1/events/formula-event/citations/?format=csv")))
    )
    assert citation["excerpt"] == "'+1+2"


def test_ndjson_and_json_are_not_escaped(api_client, formulas):
    """Only CSV, which spreadsheets open, is escaped: JSON and NDJSON carry the text exactly."""
    assert api_client.get("/api/v1/events/formula-event/").json()["title"] == "=1+1"
    line = json.loads(_text(api_client.get("/api/v1/events/export/?format=ndjson&source=formula-article")))
    assert line["title"] == "=1+1"
