"""CSV and NDJSON exports: every matching record, streamed, with flat columns and the lists' filters."""

import csv
import io
import json

import pytest

from conftest import CitationFactory, D, EventFactory, StatementFactory

pytestmark = pytest.mark.django_db

STATEMENT_HEADER = [
    "slug",
    "api_url",
    "speaker",
    "speaker_slug",
    "speaker_role",
    "text",
    "quote_type",
    "medium",
    "date",
    "date_precision",
    "date_end",
    "date_note",
    "about",
    "about_slugs",
    "stance",
    "stance_target",
    "stance_target_slug",
    "stance_topic",
    "event",
    "place",
    "place_slug",
    "place_latitude",
    "place_longitude",
    "effective_place",
    "effective_place_slug",
    "effective_place_latitude",
    "effective_place_longitude",
    "announced_pledges",
    "reported_by",
    "reported_by_slugs",
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
    """Actor names instead of objects, each with its slug in the next column, lists joined with '; ', and the
    first citation's source and excerpt."""
    response = api_client.get("/api/v1/statements/export/?format=csv&speaker=barrot")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.splitlines()[0].split(",") == STATEMENT_HEADER
    (row,) = csv.DictReader(io.StringIO(text))
    statement = world["barrot_says"]
    assert row == {
        "slug": "barrot-supports-mission",
        "api_url": "http://testserver/api/v1/statements/barrot-supports-mission/",
        "speaker": "Jean-Noël Barrot",
        "speaker_slug": "barrot",
        "speaker_role": "",
        "text": "We support the mission,",
        "quote_type": "direct",
        "medium": "video_statement",
        "date": "2025-11-20",
        "date_precision": "day",
        "date_end": "2025-11-20",
        "date_note": "",
        "about": "",
        "about_slugs": "",
        "stance": "supports",
        "stance_target": "United States",
        "stance_target_slug": "united-states",
        "stance_topic": "",
        "event": "brussels-meeting",
        **{
            f"{place}{cell}": ""
            for place in ("place", "effective_place")
            for cell in ("", "_slug", "_latitude", "_longitude")
        },
        "announced_pledges": "france-100-gendarmes",
        "reported_by": "",
        "reported_by_slugs": "",
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
    """An event's participants become one cell: names with roles, joined with '; ', and the same cell with slugs
    beside it."""
    rows = _csv(api_client.get("/api/v1/events/export/?format=csv&actor=united-states"))
    assert [(r["slug"], r["participants"], r["participants_slugs"]) for r in rows] == [
        ("september-press-conference", "United States (host)", "united-states (host)"),
        (
            "brussels-meeting",
            "Jean-Noël Barrot (participant); United States (participant)",
            "barrot (participant); united-states (participant)",
        ),
        ("isf-deployment", "United States (initiator)", "united-states (initiator)"),
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
        "actor_slugs",
        "api_url",
        "updated_at",
    ]
    assert [(r["slug"], r["actors"], r["actor_slugs"]) for r in rows] == [
        ("turkey-troops", "Turkey", "turkey"),
        ("us-isf-troops", "United States; Hamas", "united-states; hamas"),
        ("france-100-gendarmes", "France", "france"),
    ]
    lines = b"".join(
        api_client.get("/api/v1/actors/turkey/timeline/export/?format=ndjson").streaming_content
    ).splitlines()
    assert [json.loads(line)["slug"] for line in lines] == ["turkey-troops", "us-opposes-turkish-troops"]


def test_a_record_has_no_file_form_its_list_s_export_has(api_client, world):
    """A record answers JSON only, as the schema declares; its row is in the export of its list."""
    assert api_client.get("/api/v1/pledges/france-100-gendarmes/?format=csv").status_code == 400
    assert api_client.get("/api/v1/pledges/france-100-gendarmes/", HTTP_ACCEPT="text/csv").status_code == 406
    response = api_client.get("/api/v1/pledges/export/?format=csv&pledger=france")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    (row,) = [row for row in rows if row["slug"] == "france-100-gendarmes"]
    assert row["pledger"] == "France"
    assert row["quantity"] == "100"


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
    event = EventFactory(slug="formula-event", title="=1+1")
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
    """Number and date columns are not text: a date stays as it is."""
    (row,) = csv.DictReader(
        io.StringIO(_text(api_client.get("/api/v1/events/export/?format=csv&source=formula-article")))
    )
    assert row["title"] == "'=1+1"
    assert row["date"] == "2025-11-20"
    assert row["citation_excerpt"] == "'+1+2"


def test_a_record_and_its_citations_are_never_csv_so_no_formula_escapes_the_exports(api_client, formulas):
    """Only exports are files, and they escape formulas (above); a record and its citations answer JSON only."""
    assert api_client.get("/api/v1/events/formula-event/?format=csv").status_code == 400
    assert api_client.get("/api/v1/events/formula-event/citations/", HTTP_ACCEPT="text/csv").status_code == 406


def test_ndjson_and_json_are_not_escaped(api_client, formulas):
    """Only CSV, which spreadsheets open, is escaped: JSON and NDJSON carry the text exactly."""
    assert api_client.get("/api/v1/events/formula-event/").json()["title"] == "=1+1"
    line = json.loads(_text(api_client.get("/api/v1/events/export/?format=ndjson&source=formula-article")))
    assert line["title"] == "=1+1"


# Keyset chunks -----------------------------------------------------------------------------------------------

KEYSET_EXPORTS = [
    "/api/v1/events/export/",
    "/api/v1/events/export/?ordering=title",
    "/api/v1/events/export/?ordering=-date",
    "/api/v1/events/export/?ordering=-updated_at,title",
    "/api/v1/events/export/?search=meeting",
    "/api/v1/pledges/export/?ordering=quantity",
    "/api/v1/pledges/export/?ordering=-target_date",
    "/api/v1/statements/export/?ordering=date",
    "/api/v1/actors/export/?ordering=-kind",
    "/api/v1/sources/export/",
    "/api/v1/deleted/export/",
    "/api/v1/timeline/export/",
    "/api/v1/timeline/export/?type=event,statement&date_before=2025-12-31",
    "/api/v1/actors/united-states/timeline/export/",
]


@pytest.fixture
def ties(world):
    """Records that tie on every ordering but slug (same title, same or unknown date), and tombstones: the chunk
    boundaries fall inside runs of equal keys and of nulls."""
    from events import services
    from events.models import Event, Pledge

    for number in range(5):
        event = EventFactory(
            slug=f"tied-{number}",
            title="Tied meeting",
            date=None if number % 2 else D(2025, 11, 20),
            date_precision="unknown" if number % 2 else "day",
        )
        CitationFactory(event=event, source=world["source"])
        services.search_text_refresh(record=event)
    for record in (Pledge.objects.get(slug="us-isf-troops"), Event.objects.get(slug="tied-0")):
        services.record_delete(record=record, expected_version=record.version)
    return world


@pytest.mark.parametrize("url", KEYSET_EXPORTS)
@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_chunked_exports_equal_the_whole_list_byte_for_byte(api_client, ties, monkeypatch, url, fmt):
    """An export read in keyset chunks of 1, 2 or 3 rows is byte for byte the export read in one chunk, whatever
    the ordering, nulls and ties: the chunks neither skip nor repeat a row, and keep the list's order."""
    from events.api import renderers

    def export(size: int) -> bytes:
        monkeypatch.setattr(renderers, "EXPORT_CHUNK_SIZE", size)
        separator = "&" if "?" in url else "?"
        response = api_client.get(f"{url}{separator}format={fmt}")
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    whole = export(100_000)
    assert whole.count(b"\n") - (fmt == "csv") >= 2  # at least two rows (the CSV's header aside)
    for size in (1, 2, 3):
        assert export(size) == whole, size


def test_an_export_reads_one_query_per_chunk_without_a_cursor(api_client, ties, monkeypatch):
    """Chunks are plain LIMIT queries, each finished before the next: no server-side cursor, which a transaction
    pooler (PgBouncer) would break."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.api import renderers
    from events.models import Event

    monkeypatch.setattr(renderers, "EXPORT_CHUNK_SIZE", 2)
    with CaptureQueriesContext(connection) as queries:
        body = b"".join(api_client.get("/api/v1/events/export/?format=ndjson").streaming_content)
    events = body.count(b"\n")
    reads = [q["sql"] for q in queries if 'FROM "events_event"' in q["sql"] and "LIMIT 2" in q["sql"]]
    # One query a chunk, plus one for the run of unknown dates, which come last and are read on their own; each
    # chunk after the first starts its walk of the (date, slug) index at the last row's date.
    assert len(reads) in (events // 2 + 1, events // 2 + 2)
    bounded = [sql for sql in reads if '"events_event"."date" >=' in sql]
    dated = Event.objects.filter(date__isnull=False).count()
    assert len(bounded) == dated // 2  # every chunk of dated rows but the first
    assert not any("DECLARE" in q["sql"].upper() or "CURSOR" in q["sql"].upper() for q in queries)


def test_keysets_cover_nulls_first_and_orderings_without_a_unique_field(ties):
    """The keyset walks orderings the API does not use too: nulls first, and a non-unique ordering, to which it adds
    the primary key."""
    from django.db.models import F

    from events import keyset
    from events.models import Event, Pledge

    orderings = [
        (Pledge.objects.order_by(F("quantity").asc(nulls_first=True), "slug"), None),
        (Pledge.objects.order_by(F("quantity").desc(nulls_first=True), "-slug"), None),
        (Event.objects.order_by("title"), Event.objects.order_by("title", "pk")),
        (
            Event.objects.order_by(F("date").desc(nulls_last=True)),
            Event.objects.order_by(F("date").desc(nulls_last=True), "pk"),
        ),
    ]
    for queryset, expected in orderings:
        expected = list(expected if expected is not None else queryset)
        assert len(expected) >= 2
        for size in (1, 2, 5):
            assert [row for batch in keyset.chunks(queryset, size) for row in batch] == expected


CITATION_EXPORTS = [
    "/api/v1/events/citations/export/",
    "/api/v1/events/citations/export/?ordering=-date",
    "/api/v1/events/citations/export/?search=meeting",
    "/api/v1/pledges/citations/export/?ordering=quantity",
    "/api/v1/statements/citations/export/?ordering=date",
]


@pytest.mark.parametrize("url", CITATION_EXPORTS)
def test_citation_exports_read_records_in_keyset_chunks(api_client, ties, monkeypatch, url):
    """A citations export reads its records as the records' own export does, in LIMIT chunks each finished before
    the next (no server-side cursor for a transaction pooler to break), and chunks of 1 or 2 records give the
    export read in one chunk, byte for byte."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.api import renderers

    def export(size: int) -> tuple[bytes, list[str]]:
        monkeypatch.setattr(renderers, "EXPORT_CHUNK_SIZE", size)
        separator = "&" if "?" in url else "?"
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(f"{url}{separator}format=ndjson")
            assert response.status_code == 200
            body = b"".join(response.streaming_content)
        return body, [q["sql"] for q in queries]

    whole, _ = export(100_000)
    assert whole.count(b"\n") >= 2
    for size in (1, 2):
        body, queries = export(size)
        assert body == whole, size
        assert not any("DECLARE" in sql.upper() or "CURSOR" in sql.upper() for sql in queries)
    if "search" not in url:  # a ranked list is read by position (its ids first), not by key
        assert sum(f"LIMIT {size}" in sql for sql in queries) >= 2
