"""Near-duplicates of records are flagged, not only exact ones (issue 13): actors whose names resemble (accents,
case, punctuation and a person's title aside), statements of one speaker with overlapping excerpts, pledges of
one pledger and quantity in another unit. Each is a 409 naming the candidate and its similarity, in the API and
on the admin's page, and the editor confirms with force (the admin's tick)."""

import datetime
import itertools

import pytest
from django.urls import reverse

from conftest import ActorFactory, CitationFactory, PledgeFactory, StatementFactory
from events import names, services
from events.models import Actor, Pledge, Statement
from tests.admin_forms import change_form, page_errors
from tests.errors import assert_error

pytestmark = pytest.mark.django_db

# Spellings of one person or body as news copy and editors write them, grouped by who they are. Variants within a
# group should be flagged; names from different groups should not, including the hard pairs at the end (shared
# letters, shared surnames, different initials, countries one word apart).
PERSON_VARIANTS = [
    ["Jean-Noël Barrot", "Jean-Noel Barrot", "French Foreign Minister Jean-Noël Barrot", "Barrot"],
    [
        "Kaja Kallas",
        "EU foreign policy chief Kaja Kallas",
        "Kaja Kallas, the EU's foreign policy chief",
        "Kallas, Kaja",
    ],
    ["Benjamin Netanyahu", "Prime Minister Benjamin Netanyahu", "Netanyahu"],
    ["Recep Tayyip Erdoğan", "Recep Tayyip Erdogan", "Turkish President Recep Tayyip Erdogan"],
    ["Volodymyr Zelensky", "Volodymyr Zelenskyy", "Volodymyr Zelenskiy"],
    ["Abdel Fattah al-Sisi", "Abdel Fattah el-Sisi"],
    ["Hakan Fidan", "Turkish Foreign Minister Hakan Fidan"],
    ["Donald Trump", "US President Donald Trump", "President Trump"],
    ["António Guterres", "Antonio Guterres", "UN Secretary-General Antonio Guterres"],
    ["Marco Rubio", "Secretary of State Marco Rubio"],
    ["Mohammed bin Salman", "Mohammad bin Salman"],
    ["Gideon Saar", "Gideon Sa'ar", "Foreign Minister Gideon Saar"],
    ["George W. Bush"],
    ["George H. W. Bush"],
    ["Siim Kallas"],
    ["Benny Gantz"],
    ["Ali Hassan"],
    ["Ali Hussein"],
    ["Mohammed bin Zayed"],
    ["Hunter Biden"],
    ["Joe Biden"],
]
BODY_VARIANTS = [
    ["Türkiye", "Turkiye"],
    ["Palestinian Authority", "Palestinian  Authority."],
    ["Austria"],
    ["Australia"],
    ["Iran"],
    ["Iraq"],
    ["Niger"],
    ["Nigeria"],
    ["Sudan"],
    ["South Sudan"],
    ["Guinea"],
    ["Guinea-Bissau"],
    ["Hamas"],
    ["Hamas political bureau"],
    ["Islamic State"],
    ["State of Palestine"],
    ["Republic of the Congo"],
    ["Democratic Republic of the Congo"],
    ["United States"],
    ["United Kingdom"],
    ["European Union"],
    ["EUPOL COPPS"],
]


def _pairwise(groups: list[list[str]], *, person: bool) -> tuple[float, float, list]:
    """Pairwise precision and recall of the near-duplicate rule over every pair of names in the list."""
    labelled = [(name, i) for i, group in enumerate(groups) for name in group]
    tp = fp = fn = 0
    mistakes = []
    for (a, ga), (b, gb) in itertools.combinations(labelled, 2):
        flagged = (
            names.name_similarity(
                names.comparable(a, person=person), names.comparable(b, person=person), persons=person
            )
            >= names.NAME_SIMILARITY
        )
        same = ga == gb
        tp += flagged and same
        fp += flagged and not same
        fn += same and not flagged
        if flagged != same:
            mistakes.append((a, b))
    return tp / (tp + fp), tp / (tp + fn), mistakes


@pytest.mark.parametrize(("groups", "person"), [(PERSON_VARIANTS, True), (BODY_VARIANTS, False)])
def test_name_variants_meet_the_precision_and_recall_targets(groups, person):
    """Pairwise precision ≥ 0.98 and recall ≥ 0.90 on the curated variants (../shared/reference/proposals.md,
    Names); the mistakes are listed when it fails."""
    precision, recall, mistakes = _pairwise(groups, person=person)
    assert precision >= 0.98, (precision, mistakes)
    assert recall >= 0.90, (recall, mistakes)


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("EU foreign policy chief Kaja Kallas", "kaja kallas"),
        ("Kaja Kallas, the EU's foreign policy chief", "kaja kallas"),
        ("Secretary of State Marco Rubio", "marco rubio"),
        ("Jean-Noël Barrot", "jean noel barrot"),
        ("President", "president"),
    ],
)
def test_person_core_strips_titles_and_appositives(name, core):
    assert names.person_core(name) == core


# Actors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "similarity"),
    [("Jean-Noel Barrot", 1.0), ("French Foreign Minister Jean-Noël Barrot", 1.0), ("Jean-Noël Barot", 0.97)],
)
def test_api_actor_near_duplicate_is_409_naming_it_and_force_saves(editor, name, similarity):
    ActorFactory(slug="jean-noel-barrot", name="Jean-Noël Barrot", kind="person")
    body = {"name": name, "kind": "person"}
    response = editor.post("/api/v1/actors/", body, format="json")
    problem = assert_error(response, 409, code="near_duplicate", fields=["existing", "force"])
    assert problem["errors"]["existing"] == ["actor:jean-noel-barrot"]
    (candidate,) = problem["candidates"]
    assert (candidate["type"], candidate["slug"], candidate["label"]) == (
        "actor",
        "jean-noel-barrot",
        "Jean-Noël Barrot",
    )
    assert (round(candidate["similarity"], 2), candidate["threshold"]) == (similarity, 0.9)
    assert (
        f"resembles “Jean-Noël Barrot” of existing actor “jean-noel-barrot” (similarity {similarity:.2f}"
        in problem["detail"]
    )
    assert Actor.objects.count() == 1
    assert editor.post("/api/v1/actors/", {**body, "force": True}, format="json").status_code == 201


def test_an_alias_is_compared_too_and_an_exact_clash_stays_unforceable(editor):
    eu = ActorFactory(slug="european-union", name="European Union", kind="igo")
    eu.aliases.create(name="EU")
    from events.services import actor_name_keys_sync

    actor_name_keys_sync(actor=eu)
    response = editor.post("/api/v1/actors/", {"name": "EUROPEAN  UNION", "kind": "igo", "force": True}, format="json")
    assert_error(response, 409, code="duplicate")
    kallas = {"name": "Kaja Kallas", "kind": "person"}
    assert editor.post("/api/v1/actors/", kallas, format="json").status_code == 201
    response = editor.post(
        "/api/v1/actors/", {"name": "EU foreign policy chief Kaja Kallas", "kind": "person"}, format="json"
    )
    assert assert_error(response, 409, code="near_duplicate")["errors"]["existing"] == ["actor:kaja-kallas"]


def test_a_person_is_not_a_near_duplicate_of_a_body(editor):
    """The story's own pair: the commander of a command is a person, the command is not; and every actor of the
    fixtures is distinct from every other under the rule (checked in test_fixture_actors_are_not_near_duplicates)."""
    ActorFactory(slug="us-central-command", name="US Central Command", kind="armed_force")
    body = {"name": "Commander of US Central Command", "kind": "person"}
    assert editor.post("/api/v1/actors/", body, format="json").status_code == 201


def test_fixture_actors_are_not_near_duplicates(story):
    """No actor of the coded story resembles another under the rule: the fixtures hold distinct actors only."""
    for actor in Actor.objects.prefetch_related("aliases"):
        aliases = [a.name for a in actor.aliases.all()]
        found = services.actor_near_duplicates(name=actor.name, aliases=aliases, kind=actor.kind, exclude=actor)
        assert found == [], (actor.slug, [(c.record.slug, c.similarity) for c in found])


def test_admin_actor_near_duplicate_needs_the_tick(admin_client, db):
    ActorFactory(slug="kaja-kallas", name="Kaja Kallas", kind="person")
    url = reverse("admin:events_actor_add")
    data = change_form(admin_client, url) | {"name": "EU foreign policy chief Kaja Kallas", "kind": "person"}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "resembles “Kaja Kallas” of existing actor “kaja-kallas” (similarity 1.00" in page_errors(response)
    assert "tick this box and save again" in page_errors(response)
    assert admin_client.post(url, {**data, "distinct": "on"}).status_code == 302
    assert Actor.objects.filter(name="EU foreign policy chief Kaja Kallas").exists()


# Statements ---------------------------------------------------------------------------------------------------

EXCERPT = "“We support the mission,” the minister said."


def _statement_body(**extra) -> dict:
    return {
        "speaker": "barrot",
        "text": "We support the mission,",
        "quote_type": "direct",
        "date": "2025-11-20",
        "citations": [{"source": "source-article", "excerpt": EXCERPT}],
        **extra,
    }


def test_api_statement_with_an_overlapping_excerpt_is_409_and_force_saves(editor, source):
    barrot = ActorFactory(slug="barrot", name="Jean-Noël Barrot", kind="person")
    existing = StatementFactory(slug="barrot-supports", speaker=barrot)
    CitationFactory(statement=existing, source=source, excerpt="“We support the mission,”")
    response = editor.post("/api/v1/statements/", _statement_body(), format="json")
    problem = assert_error(response, 409, code="near_duplicate")
    assert [(c["slug"], c["similarity"], c["threshold"]) for c in problem["candidates"]] == [
        ("barrot-supports", 1.0, 0.6)
    ]
    assert "statement “barrot-supports” of the same speaker overlaps" in problem["detail"]
    # Another speaker saying the same words is another statement.
    ActorFactory(slug="kallas", name="Kaja Kallas", kind="person")
    assert editor.post("/api/v1/statements/", _statement_body(speaker="kallas"), format="json").status_code == 201
    forced = editor.post("/api/v1/statements/", _statement_body(force=True), format="json")
    assert forced.status_code == 201
    assert Statement.objects.count() == 3


def test_a_stock_phrase_is_no_overlap(editor, source):
    barrot = ActorFactory(slug="barrot", name="Jean-Noël Barrot", kind="person")
    existing = StatementFactory(
        slug="hamas-rejected", speaker=barrot, text="Hamas rejected disarmament.", quote_type="reported"
    )
    CitationFactory(statement=existing, source=source, excerpt="Hamas rejected disarmament.")
    assert editor.post("/api/v1/statements/", _statement_body(), format="json").status_code == 201


def test_admin_statement_near_duplicate_needs_the_tick(admin_client, source):
    barrot = ActorFactory(slug="barrot", name="Jean-Noël Barrot", kind="person")
    existing = StatementFactory(slug="barrot-supports", speaker=barrot)
    CitationFactory(statement=existing, source=source, excerpt=EXCERPT)
    url = reverse("admin:events_statement_add")
    data = change_form(admin_client, url) | {
        "speaker": str(barrot.pk),
        "text": "We support the mission,",
        "quote_type": "direct",
        "medium": "unspecified",
        "date": "2025-11-20",
        "citations-0-source": str(source.pk),
        "citations-0-excerpt": EXCERPT,
    }
    response = admin_client.post(url, data)
    assert "statement “barrot-supports” of the same speaker overlaps" in page_errors(response)
    assert admin_client.post(url, {**data, "distinct": "on"}).status_code == 302


# Pledges ------------------------------------------------------------------------------------------------------


def _pledge_body(**extra) -> dict:
    return {
        "title": "France offers 100 officers",
        "category": "police_training",
        "pledger": "france",
        "quantity": 100,
        "unit": "officers",
        "date": "2025-11-20",
        "citations": [
            {"source": "source-article", "excerpt": "France stands ready to deploy approximately 100 gendarmes."}
        ],
        **extra,
    }


def test_api_pledge_in_another_unit_is_409_naming_it_and_force_saves(editor, source):
    """The accidental duplicate of the issue: the same offer entered with “officers” instead of “gendarmes” was
    saved silently; it is now a 409 naming the pledge, and only force saves it."""
    france = ActorFactory(slug="france", name="France")
    PledgeFactory(slug="france-100-gendarmes", title="100 gendarmes", pledger=france, quantity=100, unit="gendarmes")
    PledgeFactory(
        slug="france-100-million", title="EUR 100", pledger=france, quantity=100, unit="eur", category="funding"
    )
    response = editor.post("/api/v1/pledges/", _pledge_body(), format="json")
    problem = assert_error(response, 409, code="near_duplicate")
    assert problem["candidates"] == [
        {
            "type": "pledge",
            "slug": "france-100-gendarmes",
            "label": "100 gendarmes",
            "similarity": 0.8,
            "threshold": 0.4,
            "reason": "same pledger and quantity (100); unit officers vs gendarmes",
        }
    ]
    assert not Pledge.objects.filter(unit="officers").exists()
    assert editor.post("/api/v1/pledges/", _pledge_body(force=True), format="json").status_code == 201
    # The same unit is still the same commitment: merged, as before.
    merged = editor.post("/api/v1/pledges/", _pledge_body(unit="gendarmes"), format="json")
    assert (merged.status_code, merged.json()["slug"]) == (200, "france-100-gendarmes")


def test_admin_pledge_in_another_unit_needs_the_tick(admin_client, source):
    france = ActorFactory(slug="france", name="France")
    PledgeFactory(slug="france-100-gendarmes", title="100 gendarmes", pledger=france, quantity=100, unit="gendarmes")
    url = reverse("admin:events_pledge_add")
    data = change_form(admin_client, url) | {
        "title": "France offers 100 officers",
        "category": "police_training",
        "pledger": str(france.pk),
        "quantity": "100",
        "unit": "officers",
        "date": "2025-11-20",
        "citations-0-source": str(source.pk),
        "citations-0-excerpt": "France stands ready to deploy approximately 100 gendarmes.",
    }
    response = admin_client.post(url, data)
    assert "same pledger and quantity (100); unit officers vs gendarmes" in page_errors(response)
    assert admin_client.post(url, {**data, "distinct": "on"}).status_code == 302
    assert Pledge.objects.filter(unit="officers").exists()


# Autocomplete -------------------------------------------------------------------------------------------------


def _autocomplete(admin_client, model: str, field: str, term: str) -> list[str]:
    response = admin_client.get(
        "/admin/autocomplete/", {"app_label": "events", "model_name": model, "field_name": field, "term": term}
    )
    assert response.status_code == 200
    return [r["text"] for r in response.json()["results"]]


def test_autocomplete_ranks_an_exact_name_or_alias_first_and_shows_kind_and_parent(admin_client, db):
    """“European Union” finds the EU before EUPOL COPPS (whose name sorts first and mentions the EU too); an alias
    typed exactly ranks its actor first; each option shows the actor's kind and parent."""
    eu = ActorFactory(slug="european-union", name="European Union", kind="igo")
    ActorFactory(slug="eupol-copps", name="EUPOL COPPS European Union Police mission", kind="igo", parent=eu)
    ActorFactory(slug="eu-council", name="Council of the European Union", kind="igo", parent=eu)
    us = ActorFactory(slug="united-states", name="United States", kind="state")
    us.aliases.create(name="Washington")
    ActorFactory(slug="washington-post", name="Washington Post", kind="media")
    assert _autocomplete(admin_client, "statement", "speaker", "european union") == [
        "European Union (Intergovernmental organisation or its body)",
        "Council of the European Union (Intergovernmental organisation or its body, European Union)",
        "EUPOL COPPS European Union Police mission (Intergovernmental organisation or its body, European Union)",
    ]
    assert _autocomplete(admin_client, "statement", "speaker", "Washington")[0] == "United States (State)"


def test_autocomplete_shows_sources_dates(admin_client, source):
    assert _autocomplete(admin_client, "citation", "source", "article") == [f"{source.title} (2025-11-20)"]


def test_a_pledge_sent_again_with_another_date_or_status_is_409_not_a_silent_merge(editor, admin_client, source):
    """Found from outside: the same pledger, category and quantity sent with a date seven months later and status
    in_progress answered 200 with the old pledge, dropping both. Wording may differ (another article's); a date
    span that does not meet the recorded one, or a status the pledge is not in, is a 409 naming it."""
    france = ActorFactory(slug="france", name="France")
    PledgeFactory(
        slug="france-100-gendarmes",
        title="100 gendarmes",
        pledger=france,
        quantity=100,
        unit="officers",
        date=datetime.date(2025, 11, 1),
        date_precision="month",
    )
    later = editor.post("/api/v1/pledges/", _pledge_body(date="2026-06-01"), format="json")
    problem = assert_error(later, 409, code="near_duplicate", contains="its date is 2026-06-01, not 2025-11-01 to")
    assert problem["candidates"][0]["slug"] == "france-100-gendarmes"
    moved = editor.post("/api/v1/pledges/", _pledge_body(status="in_progress"), format="json")
    assert_error(moved, 409, code="near_duplicate", contains="its status is in_progress, not announced")
    assert Pledge.objects.count() == 1
    # Within the recorded month, in other words, announced: the same commitment, merged.
    merged = editor.post("/api/v1/pledges/", _pledge_body(title="Paris offers officers"), format="json")
    assert (merged.status_code, merged.json()["slug"]) == (200, "france-100-gendarmes")
    assert (
        editor.post("/api/v1/pledges/", _pledge_body(date="2026-06-01", force=True), format="json").status_code == 201
    )
    # The admin's add form is the same door.
    url = reverse("admin:events_pledge_add")
    data = change_form(admin_client, url) | {
        "title": "France, again",
        "category": "police_training",
        "pledger": str(france.pk),
        "quantity": "100",
        "unit": "officers",
        "status": "in_progress",
        "date": "2025-11-20",
        "citations-0-source": str(source.pk),
        "citations-0-excerpt": "France stands ready to deploy approximately 100 gendarmes.",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "its status is in_progress, not announced" in page_errors(response)
    assert Pledge.objects.count() == 2
