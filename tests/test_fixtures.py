"""The product's data: both articles kept byte for byte, and every record proved verbatim against them."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count, Max

from events.loading import story_load
from events.models import Actor, Citation, Event, Pledge, Source, Statement
from events.quotes import stands_in

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.TRACKER_SEEDS_DIR)
SHARED_SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
ARTICLES = {
    "allisrael-us-isf-talks-eu-police-training": "000_5daf8beab54a5ef0.txt",
    "isf-deploy-very-soon-trump": "002_7b9d2e22e71f35f0.txt",
}
# Quoted words that are nobody's speech (CODEBOOK.md, Statements): i24's wording for its source, and the draft
# mandate's wording.
NOT_SPEECH = {"a senior U.S. official", "use all necessary measures,"}


def _all_pages(client, url: str) -> list[dict]:
    results = []
    while url:
        page = client.get(url).json()
        results += page["results"]
        url = page["next"]
    return results


def test_seed_files_match_their_recorded_digests():
    """Each article in seeds/ is byte for byte the file whose sha256 the metadata records."""
    metadata = json.loads((SEEDS / "sources.json").read_text(encoding="utf-8"))
    assert {m["slug"]: m["seed_file"] for m in metadata} == ARTICLES
    for item in metadata:
        assert hashlib.sha256((SEEDS / item["seed_file"]).read_bytes()).hexdigest() == item["sha256"]


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_seed_files_are_the_shared_originals():
    """seeds/ holds exactly the shared originals, byte for byte."""
    for name in ARTICLES.values():
        assert (SEEDS / name).read_bytes() == (SHARED_SEEDS / name).read_bytes()


def test_sources_store_the_seed_text_exactly(story):
    """A loaded source's text and digest are those of its seed file."""
    for slug, name in ARTICLES.items():
        source = Source.objects.get(slug=slug)
        raw = (SEEDS / name).read_bytes()
        assert source.text.encode("utf-8") == raw
        assert source.sha256 == hashlib.sha256(raw).hexdigest()


def test_loading_twice_changes_nothing(story):
    """A second load, with or without overwrite, writes nothing: same rows, same timestamps."""

    def snapshot():
        return [
            (m.__name__, m.objects.count(), m.objects.aggregate(Max("updated_at"))["updated_at__max"])
            for m in (Source, Actor, Event, Statement, Pledge, Citation)
        ]

    before = snapshot()
    for overwrite in (False, True):
        report = story_load(seeds_dir=SEEDS, fixtures_dir=settings.TRACKER_FIXTURES_DIR, overwrite=overwrite)
        expected = "unchanged" if overwrite else "kept"
        assert {name: set(outcomes) for name, outcomes in report.items()} == {name: {expected} for name in report}
        assert snapshot() == before


def test_every_served_excerpt_is_verbatim_in_its_article(story, api_client):
    """Every citation on every event, pledge, statement and actor the API serves stands in its source's text."""
    texts = {slug: (SEEDS / name).read_text(encoding="utf-8") for slug, name in ARTICLES.items()}
    checked = 0
    for resource in ("events", "pledges", "statements", "actors"):
        for record in _all_pages(api_client, f"/api/v1/{resource}/?page_size=100"):
            if resource != "actors":
                assert record["citations"], f"{resource}/{record['slug']} has no citation"
            for citation in record["citations"]:
                assert citation["excerpt"] in texts[citation["source"]], (resource, record["slug"], citation)
                checked += 1
    assert checked == Citation.objects.count()


def test_direct_quotations_stand_in_their_excerpts(story):
    """A direct quotation's text is found word for word in one of its own excerpts."""
    for statement in Statement.objects.filter(quote_type="direct").prefetch_related("citations"):
        assert any(stands_in(statement.text, c.excerpt) for c in statement.citations.all()), statement.slug


def test_every_quotation_in_the_articles_is_a_statement(story):
    """Each passage the articles put in quotation marks as someone's words is cited by a statement: a direct one,
    or reported speech where the quotation is a fragment or a group's (CODEBOOK.md, Statements)."""
    excerpts = list(Citation.objects.filter(statement__isnull=False).values_list("excerpt", flat=True))
    for name in ARTICLES.values():
        text = (SEEDS / name).read_text(encoding="utf-8")
        for quote in re.findall(r"“([^”]+)”", text):
            if quote in NOT_SPEECH:
                continue
            assert any(f"“{quote}”" in excerpt for excerpt in excerpts), quote


def test_facts_in_both_articles_are_single_records(story):
    """Where both articles report one fact, it is one record citing both; no fact is entered twice."""
    both = {
        model.__name__: set(
            model.objects.annotate(n=Count("citations__source", distinct=True))
            .filter(n=2)
            .values_list("slug", flat=True)
        )
        for model in (Event, Statement, Pledge)
    }
    assert "isf-deployment-in-gaza" in both["Event"]
    assert "turkey-offer-to-send-forces-to-gaza" in both["Pledge"]
    duplicates = (
        Statement.objects.values("speaker", "text")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("text", flat=True)
    )
    assert list(duplicates) == []
    assert list(Event.objects.values("title").annotate(n=Count("id")).filter(n__gt=1)) == []


def test_key_facts_are_structured(story):
    """The quantities and positions a reader looks for are structured, not buried in prose."""
    quantities = set(Pledge.objects.exclude(quantity=None).values_list("quantity", "unit", "quantity_approximate"))
    assert {(100, "gendarmes", True), (3000, "trainees", False)} <= quantities
    assert Actor.objects.get(aliases__name__iexact="washington").slug == "united-states"
    assert Actor.objects.get(aliases__name__iexact="ankara").slug == "turkey"
    barrot = Actor.objects.get(slug="jean-noel-barrot")
    assert barrot.kind == "person"
    assert barrot.country == "FR"
    ancestors, actor = [], Actor.objects.get(slug="kfir-brigade")
    while actor.parent:
        actor = actor.parent
        ancestors.append(actor.slug)
    assert ancestors[-2:] == ["idf", "israel"]
    turkey_troops = Pledge.objects.get(pledger__slug="turkey", category="troops")
    assert turkey_troops.status == "announced"  # Israel's objection is a note, not a rejection (CODEBOOK.md)
    assert Statement.objects.filter(stance="opposes", stance_target__slug="turkey").exists()
    assert Statement.objects.filter(
        speaker__slug="hamas", stance="opposes", stance_target__slug="international-stabilization-force"
    ).exists()


def test_every_fixture_record_is_loaded(story):
    """The database holds exactly the fixtures' records, counted from the fixtures themselves."""
    for model, name in ((Actor, "actors"), (Event, "events"), (Statement, "statements"), (Pledge, "pledges")):
        slugs = {r["slug"] for r in json.loads((Path(settings.TRACKER_FIXTURES_DIR) / f"{name}.json").read_text())}
        assert set(model.objects.values_list("slug", flat=True)) == slugs, name


def test_dump_and_reload_with_natural_keys_changes_nothing(story, tmp_path, api_client):
    """A dumpdata/loaddata round trip keyed by slug reloads onto the same rows and serves the same API output."""
    from django.core.management import call_command

    before = {r: _all_pages(api_client, f"/api/v1/{r}/?page_size=100") for r in ("actors", "events", "pledges")}
    # XML keeps timestamps to the microsecond; Django's JSON serializer rounds them to milliseconds.
    dump = tmp_path / "events.xml"
    call_command("dumpdata", "events", "--natural-foreign", "--natural-primary", "--format", "xml", "--output", dump)
    assert '<object model="events.actor">' in dump.read_text(encoding="utf-8")  # keyed by slug, not by id
    call_command("loaddata", str(dump), verbosity=0)
    after = {r: _all_pages(api_client, f"/api/v1/{r}/?page_size=100") for r in ("actors", "events", "pledges")}
    for resource in before:
        for old, new in zip(before[resource], after[resource], strict=True):
            assert new == old, {k: (old[k], new[k]) for k in old if old[k] != new[k]}
