"""The codebook (CODEBOOK.md, issue 11): its machine-checkable rules hold for the story's data, it is served at
/codebook/, and load_story --overwrite brings a database loaded before the review to the reviewed data."""

import csv
import dataclasses
import datetime
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from events.loading import RETIRED_FILE, story_load
from events.models import (
    CODEBOOK_URL,
    UNIT_FAMILY,
    Actor,
    ActorAlias,
    Citation,
    DeletedRecord,
    Event,
    EventParticipant,
    Pledge,
    PledgeStatusChange,
    Source,
    Statement,
)
from events.quotes import joined_quotation, quoted_passages, words
from events.services import event_upsert, input_for, record_input
from tests.errors import assert_error
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.TRACKER_FIXTURES_DIR)
SEEDS = Path(settings.TRACKER_SEEDS_DIR)
CODEBOOK = Path(settings.BASE_DIR) / "CODEBOOK.md"
# main before the issue-11 review: the fixtures an existing database may have been loaded from.
PRE_REVIEW_COMMIT = "712a7d442f8bd2f8a3f4d1e1195a5452d2251674"
RESOLVED = re.compile(r"Resolved: (?:(unknown)|(\d{4}-\d{2}-\d{2})(?: to (\d{4}-\d{2}-\d{2}))?)\.$")
# A quoted passage in a note: 'single' or “double” quotation marks.
QUOTED = re.compile(r"'([^']{6,})'|“([^”]{6,})”")


def _fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# The rules a machine can check ---------------------------------------------------------------------------------


def test_a_direct_quote_stands_inside_quotation_marks_in_its_excerpt(story):
    """`direct` only where the words stand in quotation marks in the article: inside the quoted passages of an
    excerpt, the halves of one quotation joined without their speech tag."""
    direct = Statement.objects.filter(quote_type="direct").prefetch_related("citations")
    assert direct.exists()
    for statement in direct:
        assert any(statement.text in joined_quotation(c.excerpt) for c in statement.citations.all()), statement.slug


def test_the_quotation_rule_fails_on_words_outside_quotation_marks(story):
    """The rule above is not vacuous: words that stand in the excerpt but outside its quotation marks break it."""
    Statement.objects.filter(slug="barrot-france-europe-must-play-full-part").update(text="Barrot continued.")
    with pytest.raises(AssertionError):
        test_a_direct_quote_stands_inside_quotation_marks_in_its_excerpt(story)


def _sentence_quotations(statement: Statement) -> list[str]:
    """The quoted passages of a statement's excerpts that open a sentence (a capital), in citation order: the
    quotation. A passage opening in lower case (“very powerful countries”) is a fragment, reported on its own."""
    return [q for c in statement.citations.all() for q in quoted_passages(c.excerpt) if q[:1].isupper()]


def test_a_direct_statements_text_is_the_full_quoted_words(story):
    """A direct statement's text is exactly the quoted words: every sentence quotation of its excerpts, both halves
    of a quotation split by a speech tag, and nothing else (punctuation at the join aside)."""
    for statement in Statement.objects.filter(quote_type="direct").prefetch_related("citations"):
        assert words(statement.text) == words(" ".join(_sentence_quotations(statement))), statement.slug


def test_the_full_quote_rule_fails_on_a_dropped_half(story):
    """Not vacuous: the first review's text, which dropped 'That is certainly our intention.', breaks it."""
    Statement.objects.filter(slug="barrot-france-europe-must-play-full-part").update(
        text="France and Europe must play their full part in the implementation of this peace plan"
    )
    with pytest.raises(AssertionError):
        test_a_direct_statements_text_is_the_full_quoted_words(story)


def _in_articles(name: str, texts: list[str]) -> bool:
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
    return any(pattern.search(text) for text in texts)


def test_every_alias_appears_in_one_of_the_articles(story):
    """A name that appears in neither article is not an alias (CODEBOOK.md, Actors), whatever its case."""
    texts = [source.text for source in Source.objects.all()]
    aliases = list(ActorAlias.objects.values_list("actor__slug", "name"))
    assert aliases
    assert [(slug, name) for slug, name in aliases if not _in_articles(name, texts)] == []
    # The check tells the two apart: a name the articles use, whatever its case, and one they do not.
    assert _in_articles("washington", texts)
    assert not _in_articles("State of Israel", texts)


def test_a_news_report_medium_names_its_outlet(story):
    """`news_report` is for words relayed by a named outlet (reported_by); otherwise the medium is unspecified."""
    relayed = Statement.objects.filter(medium=Statement.Medium.NEWS_REPORT)
    assert relayed.exists()
    assert list(relayed.filter(reported_by=None).values_list("slug", flat=True)) == []


def test_every_actor_is_used_by_some_record(story):
    """An actor is kept only when a record names it in any role, or when it is another actor's parent."""
    used = (
        set(EventParticipant.objects.values_list("actor__slug", flat=True))
        | set(Statement.objects.values_list("speaker__slug", flat=True))
        | set(Statement.objects.exclude(stance_target=None).values_list("stance_target__slug", flat=True))
        | set(Statement.about.through.objects.values_list("actor__slug", flat=True))
        | set(Statement.reported_by.through.objects.values_list("actor__slug", flat=True))
        | set(Pledge.objects.values_list("pledger__slug", flat=True))
        | set(Pledge.objects.exclude(beneficiary=None).values_list("beneficiary__slug", flat=True))
        | set(Actor.objects.exclude(parent=None).values_list("parent__slug", flat=True))
    )
    assert set(Actor.objects.values_list("slug", flat=True)) - used == set()


def test_only_news_outlets_relay_statements_and_every_outlet_relays_one(story):
    """News outlets are actors only when linked to a statement they relay (reported_by)."""
    outlets = set(Actor.objects.filter(kind=Actor.Kind.MEDIA).values_list("slug", flat=True))
    relaying = set(Statement.reported_by.through.objects.values_list("actor__slug", flat=True))
    assert outlets
    assert relaying == outlets


def test_no_two_statements_by_one_speaker_cite_exactly_the_same_excerpts(story):
    """Two such statements are one statement: a paraphrase and its quotation, or two halves of one quotation."""
    seen: dict[tuple, str] = {}
    for statement in Statement.objects.select_related("speaker").prefetch_related("citations__source"):
        key = (statement.speaker.slug, frozenset((c.source.slug, c.excerpt) for c in statement.citations.all()))
        assert key not in seen, (seen.get(key), statement.slug)
        seen[key] = statement.slug


def _spans(record) -> list[tuple[str, datetime.date | None, datetime.date | None, str]]:
    spans = [("date", record.date, record.date_end, record.date_note)]
    if isinstance(record, Pledge):
        spans.append(("target_date", record.target_date, record.target_date_end, record.target_date_note))
    return spans


def test_a_date_note_states_the_records_own_span(story):
    """Every date note ends with the resolved ISO dates, and they are the record's stored span."""
    checked = 0
    for model in (Event, Statement, Pledge):
        for record in model.objects.all():
            for field, start, end, note in _spans(record):
                if field == "target_date" and start is None and not note:
                    continue
                match = RESOLVED.search(note)
                assert match, (record.slug, field, note)
                unknown, first, last = match.groups()
                if unknown:
                    assert start is None, (record.slug, field)
                else:
                    stated = (datetime.date.fromisoformat(first), datetime.date.fromisoformat(last or first))
                    assert stated == (start, end), (record.slug, field, stated, (start, end))
                checked += 1
    assert checked >= sum(len(_fixture(f"{name}.json")) for name in ("events", "statements", "pledges"))


def test_a_pledge_is_announced_unless_an_excerpt_reports_a_change(story):
    """Any other status has a status note quoting words that stand in one of the pledge's own excerpts."""
    for pledge in Pledge.objects.prefetch_related("citations"):
        if pledge.status == Pledge.Status.ANNOUNCED:
            continue
        quoted = [a or b for a, b in QUOTED.findall(pledge.status_note)]
        excerpts = [c.excerpt for c in pledge.citations.all()]
        assert any(q in e for q in quoted for e in excerpts), (pledge.slug, pledge.status, pledge.status_note)


def test_the_status_rule_fails_on_an_unsupported_status(story):
    """The rule above is not vacuous: a status inferred without an excerpt breaks it."""
    pledge = Pledge.objects.get(slug="turkey-offer-to-send-forces-to-gaza")
    Pledge.objects.filter(pk=pledge.pk).update(status="rejected", status_note="Israel objects.")
    with pytest.raises(AssertionError):
        test_a_pledge_is_announced_unless_an_excerpt_reports_a_change(story)


def test_changed_records_say_why_in_their_coding_note(story):
    """The records the issue names as corrected carry their judgement in coding_note."""
    named = {
        Event: ["unsc-negotiations-on-draft-isf-resolution", "oct-7-2023-massacre"],
        Statement: ["trump-very-powerful-countries-volunteered", "israeli-leaders-will-not-accept-turkish-troops"],
        Pledge: ["turkey-offer-to-send-forces-to-gaza", "european-forces-train-3000-palestinian-police"],
    }
    for model, slugs in named.items():
        for slug in slugs:
            assert model.objects.get(slug=slug).coding_note.strip(), slug


# Units and the codebook itself --------------------------------------------------------------------------------


def test_every_unit_has_a_family_and_is_in_the_codebook():
    """The fixed list of units is the same in the model's choices, the family mapping and the codebook's table."""
    assert set(UNIT_FAMILY) == set(Pledge.Unit.values)
    table = CODEBOOK.read_text(encoding="utf-8").split("### Quantities and units", 1)[1]
    rows = dict(re.findall(r"^\| (\w+) \| (.+) \|$", table, flags=re.MULTILINE))
    for unit, family in UNIT_FAMILY.items():
        assert f"`{unit}`" in rows[family], (unit, family)


def test_the_codebook_is_served_as_html_with_section_anchors(client):
    """GET /codebook/ renders CODEBOOK.md offline, each section with an id that help texts link to."""
    response = client.get(CODEBOOK_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<h2 id="pledges">Pledges</h2>' in html
    assert "<table>" in html
    assert "<script" not in html
    assert "http://" not in html.split("</head>")[0]
    anchors = set(re.findall(r'id="([^"]+)"', html))
    for model in (Event, Statement, Pledge):
        for field in model._meta.get_fields():
            for section in re.findall(r"/codebook/#([-a-z0-9]+)", str(getattr(field, "help_text", ""))):
                assert section in anchors, (model.__name__, field.name, section)


def test_the_codebook_refuses_writes(client):
    assert client.post(CODEBOOK_URL).status_code == 405


def test_admin_help_texts_link_to_the_codebook(story, client):
    """The admin's forms show the coding note, quote type and unit help texts with a link to their section."""
    user = get_user_model().objects.create_superuser("chief", "chief@example.org", "pw-chief-123")
    client.force_login(user)
    pages = {
        "statement": ("israeli-leaders-will-not-accept-turkish-troops", ["#statements", "#coding-notes", "#actors"]),
        "pledge": ("turkey-offer-to-send-forces-to-gaza", ["#quantities-and-units", "#coding-notes"]),
        "event": ("oct-7-2023-massacre", ["#coding-notes"]),
    }
    for model_name, (slug, sections) in pages.items():
        model = {"statement": Statement, "pledge": Pledge, "event": Event}[model_name]
        record = model.objects.get(slug=slug)
        html = client.get(f"/admin/events/{model_name}/{record.pk}/change/").content.decode()
        for section in sections:
            assert f'<a href="/codebook/{section}" target="_blank">Codebook</a>' in html, (model_name, section)
        assert 'name="coding_note"' in html


# coding_note and reported_by through the API and the exports ------------------------------------------------


def test_coding_note_and_reported_by_are_served_and_exported(story, api_client):
    statement = Statement.objects.get(slug="reuters-official-draft-talks-begin-thursday")
    data = api_client.get(f"/api/v1/statements/{statement.slug}/").json()
    assert data["coding_note"] == statement.coding_note != ""
    assert [a["slug"] for a in data["reported_by"]] == ["reuters"]
    for resource, slug in (("events", "oct-7-2023-massacre"), ("pledges", "turkey-offer-to-send-forces-to-gaza")):
        response = api_client.get(f"/api/v1/{resource}/export/?format=csv")
        text = b"".join(response.streaming_content).decode("utf-8")
        rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(text))}
        model = Event if resource == "events" else Pledge
        assert rows[slug]["coding_note"] == model.objects.get(slug=slug).coding_note != ""


@pytest.fixture
def editor(db) -> APIClient:
    user = get_user_model().objects.create_user("editor", password="pw-editor-1")
    user.groups.add(Group.objects.get(name="editors"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def test_writes_accept_coding_note_and_refuse_a_non_outlet_as_reported_by(story, editor):
    statement = Statement.objects.get(slug="reuters-official-draft-talks-begin-thursday")
    url = f"/api/v1/statements/{statement.slug}/"
    etag = editor.get(url)["ETag"]
    response = editor.patch(url, {"coding_note": "Checked again."}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["coding_note"] == "Checked again."
    assert [a["slug"] for a in response.json()["reported_by"]] == ["reuters"]
    etag = response["ETag"]
    response = editor.patch(url, {"reported_by": ["turkey"]}, format="json", HTTP_IF_MATCH=etag)
    assert_error(response, 400, fields=["reported_by"], contains="only news outlets relay a statement")


# Retiring records ---------------------------------------------------------------------------------------------


def test_retired_records_are_not_in_the_fixtures_and_give_reasons():
    retired = _fixture(RETIRED_FILE)
    present = {
        (kind, r["slug"])
        for kind, name in (("actor", "actors"), ("event", "events"), ("statement", "statements"), ("pledge", "pledges"))
        for r in _fixture(f"{name}.json")
    }
    assert retired
    for item in retired:
        assert (item["kind"], item["slug"]) not in present
        assert len(item["reason"]) > 20, item


def _fixtures_copy(tmp_path: Path, retired: list[dict]) -> Path:
    folder = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, folder)
    (folder / RETIRED_FILE).write_text(json.dumps(retired), encoding="utf-8")
    return folder


def test_overwrite_retires_listed_records_with_tombstones_and_keeps_editors_records(story, tmp_path):
    """Only with --overwrite, only what retired.json lists; a record the fixtures merely lack stays."""
    for slug in ("withdrawn-event", "editors-event"):
        data = input_for(
            Event,
            slug=slug,
            title=slug,
            event_type="other",
            date_precision="unknown",
            citations=[{"source": "isf-deploy-very-soon-trump", "excerpt": "Gaza"}],
        )
        event_upsert(data=data)
    folder = _fixtures_copy(tmp_path, [{"kind": "event", "slug": "withdrawn-event", "reason": "A test retirement."}])
    story_load(seeds_dir=SEEDS, fixtures_dir=folder, overwrite=False)
    assert Event.objects.filter(slug="withdrawn-event").exists()
    report = story_load(seeds_dir=SEEDS, fixtures_dir=folder, overwrite=True)
    assert report["retired"] == {"event": 1}
    assert not Event.objects.filter(slug="withdrawn-event").exists()
    assert Event.objects.filter(slug="editors-event").exists()
    assert DeletedRecord.objects.filter(kind="event", slug="withdrawn-event").count() == 1
    assert "retired" not in story_load(seeds_dir=SEEDS, fixtures_dir=folder, overwrite=True)


def test_a_retired_record_still_in_the_fixtures_is_refused(db, tmp_path):
    folder = _fixtures_copy(tmp_path, [{"kind": "event", "slug": "oct-7-2023-massacre", "reason": "Contradiction."}])
    with pytest.raises(ValidationError, match="still in the fixtures"):
        story_load(seeds_dir=SEEDS, fixtures_dir=folder, overwrite=True)
    assert not Source.objects.exists()


def _snapshot() -> dict:
    records = {}
    for model in (Actor, Event, Statement, Pledge):
        for record in model.objects.all():
            data = record_input(record)
            records[(model.__name__, record.slug)] = {
                f.name: _plain(getattr(data, f.name)) for f in dataclasses.fields(data)
            }
    return records


def _plain(value):
    """A field of a record's input as it reads in any database: references by slug, relations sorted."""
    if isinstance(value, tuple | list):
        return sorted(map(repr, map(_plain, value)))
    if dataclasses.is_dataclass(value):
        return tuple(_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    return getattr(value, "slug", value)


def test_overwrite_brings_a_pre_review_database_to_the_reviewed_data(db, tmp_path):
    """A database loaded from the fixtures before the review ends, after load_story --overwrite, exactly as a fresh
    load of the reviewed fixtures, with a tombstone for every retired record it held."""
    old = tmp_path / "old"
    old.mkdir()
    for name in ("actors", "events", "statements", "pledges"):
        try:
            content = subprocess.run(
                ["git", "show", f"{PRE_REVIEW_COMMIT}:fixtures/{name}.json"],
                cwd=settings.BASE_DIR,
                capture_output=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            pytest.skip("the pre-review fixtures need git and the project's history")
        (old / f"{name}.json").write_bytes(content)
    story_load(seeds_dir=SEEDS, fixtures_dir=old)
    retired = _fixture(RETIRED_FILE)
    held = {(i["kind"], i["slug"]) for i in retired}
    story_load(seeds_dir=SEEDS, fixtures_dir=FIXTURES, overwrite=True)
    upgraded = _snapshot()
    assert set(DeletedRecord.objects.values_list("kind", "slug")) == held
    _reset_story()
    story_load(seeds_dir=SEEDS, fixtures_dir=FIXTURES)
    assert upgraded == _snapshot()


def _reset_story() -> None:
    """Empty every table the story fills, dependants first (the database protects evidence the other way round)."""
    PledgeStatusChange.objects.all().delete()
    Citation.objects.all().delete()
    for model in (Pledge, Statement, Event):
        model.objects.all().delete()
    while Actor.objects.exists():
        Actor.objects.filter(children__isnull=True).delete()
    Source.objects.all().delete()
