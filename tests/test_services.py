"""Writes with rules: verbatim citations, idempotent upserts, and loads that are all or nothing."""

import datetime
import io
import json
import shutil

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from conftest import ActorFactory, EventFactory
from events.loading import story_load
from events.models import Actor, Citation, Event, EventParticipant, Source, Statement
from events.services import (
    CitationData,
    actor_upsert,
    citation_add,
    citations_set,
    event_upsert,
    input_for,
    statement_upsert,
)

pytestmark = pytest.mark.django_db


def test_citation_add_accepts_verbatim_excerpt(source):
    """An excerpt copied exactly from the text is stored against its record."""
    event = EventFactory()
    citation = citation_add(record=event, source=source, excerpt="“We support the mission,” the minister said.")
    assert list(event.citations.values_list("source__slug", "excerpt")) == [
        ("source-article", "“We support the mission,” the minister said.")
    ]
    assert citation.record == event


@pytest.mark.parametrize(
    ("excerpt", "explained"),
    [
        (  # straight quotes where the text has curly ones
            '"We support the mission," the minister said.',
            [
                'The article has “ (U+201C) at character 1 of the excerpt; you sent " (U+0022).',
                'The article has ” (U+201D) at character 25 of the excerpt; you sent " (U+0022).',
                "The article's version: “We support the mission,” the minister said.",
            ],
        ),
        (  # wrong case
            "ministers met in Brussels on Thursday.",
            [
                "The article has “Ministers” at character 1 of the excerpt; you sent “ministers”.",
                "The article's version: Ministers met in Brussels on Thursday.",
            ],
        ),
        (  # doubled space
            "Ministers met in  Brussels on Thursday.",
            [
                "The article has nothing at character 17 of the excerpt; you sent space (U+0020).",
                "The article's version: Ministers met in Brussels on Thursday.",
            ],
        ),
        (  # a word left out: the whole passage is offered
            "France stands ready to deploy 100 gendarmes.",
            [
                "The article has “approximately ” at character 31 of the excerpt; you sent nothing.",
                "The article's version: France stands ready to deploy approximately 100 gendarmes.",
            ],
        ),
        ("Nothing of the sort was said by anyone.", ["No passage of the article is close to it."]),
    ],
)
def test_citation_add_refuses_non_verbatim_excerpt(source, excerpt, explained):
    """An excerpt that differs from the text by even one character is refused, and nothing is stored. The refusal
    says where the closest passage differs, character by character, and gives the article's version (issue 13)."""
    with pytest.raises(ValidationError) as error:
        citation_add(record=EventFactory(), source=source, excerpt=excerpt)
    assert error.value.message_dict["excerpt"] == [
        "This excerpt is not verbatim in source “source-article”. Copy it exactly from the article text, "
        "including quotation marks, apostrophes and dashes.",
        *explained,
    ]
    assert Citation.objects.count() == 0


def test_citations_set_requires_evidence_for_events(source):
    """An event, pledge or statement cannot be left without a citation."""
    with pytest.raises(ValidationError) as error:
        citations_set(record=EventFactory(slug="meeting"), citations=[])
    assert error.value.messages == ["event “meeting” needs at least one citation."]


def test_citations_set_replaces_and_reports_change(source):
    """Setting citations adds the new, removes the old, and says whether anything changed."""
    event = EventFactory()
    first = CitationData(source=source, excerpt="Ministers met in Brussels on Thursday.")
    second = CitationData(source=source, excerpt="Hamas rejected disarmament.")
    assert citations_set(record=event, citations=[first]) is True
    assert citations_set(record=event, citations=[first]) is False
    assert citations_set(record=event, citations=[second]) is True
    assert list(event.citations.values_list("excerpt", flat=True)) == ["Hamas rejected disarmament."]


def test_event_upsert_is_idempotent(source):
    """Upserting the same event twice creates it once and then changes nothing, not even updated_at."""
    ActorFactory(slug="france")
    kwargs = {
        "slug": "brussels-meeting",
        "title": "Brussels meeting",
        "event_type": Event.Type.DIPLOMATIC_MEETING,
        "citations": [{"source": "source-article", "excerpt": "Ministers met in Brussels on Thursday."}],
        "participants": [{"actor": "france", "role": "participant"}],
        "date_precision": "month",
        "date": datetime.date(2025, 11, 1),
    }
    event, outcome = event_upsert(data=input_for(Event, **kwargs))
    assert outcome == "created"
    stamp = event.updated_at
    again, outcome = event_upsert(data=input_for(Event, **kwargs))
    assert outcome == "unchanged"
    again.refresh_from_db()
    assert again.updated_at == stamp
    assert again.participants.count() == 1


def _copies_match_events() -> list[tuple]:
    """Every participant row whose copy of its event's dates differs from the event's (none, when all is well)."""
    return [
        row
        for row in EventParticipant.objects.values_list(
            "event__slug", "event_date", "event_date_end", "event__date", "event__date_end"
        )
        if row[1:3] != row[3:5]
    ]


def test_event_upsert_keeps_the_participants_copies_of_its_dates(source):
    """Participants carry their event's dates: on creation, when the dates change, for participants added later,
    and when the date becomes unknown."""
    ActorFactory(slug="france")
    ActorFactory(slug="turkey")
    kwargs = {
        "slug": "brussels-meeting",
        "title": "Brussels meeting",
        "event_type": Event.Type.DIPLOMATIC_MEETING,
        "citations": [{"source": "source-article", "excerpt": "Ministers met in Brussels on Thursday."}],
        "participants": [{"actor": "france", "role": "host"}],
        "date": datetime.date(2025, 11, 20),
    }
    event, _ = event_upsert(data=input_for(Event, **kwargs))

    def copies() -> list[tuple]:
        rows = event.participants.order_by("actor__slug")
        return list(rows.values_list("actor__slug", "event_date", "event_date_end"))

    assert copies() == [("france", datetime.date(2025, 11, 20), datetime.date(2025, 11, 20))]

    kwargs |= {"date": datetime.date(2025, 9, 1), "date_precision": "month"}
    kwargs["participants"] = [{"actor": "france", "role": "host"}, {"actor": "turkey", "role": "participant"}]
    _, outcome = event_upsert(data=input_for(Event, **kwargs))
    assert outcome == "updated"
    september = (datetime.date(2025, 9, 1), datetime.date(2025, 9, 30))
    assert copies() == [("france", *september), ("turkey", *september)]

    event_upsert(data=input_for(Event, **{**kwargs, "date": None, "date_precision": "unknown"}))
    assert copies() == [("france", None, None), ("turkey", None, None)]
    assert _copies_match_events() == []


def test_story_load_copies_every_event_date_to_its_participants(story):
    """After load_story, each participant row carries exactly its event's date span."""
    assert EventParticipant.objects.filter(event_date__isnull=False).count() > 20
    assert _copies_match_events() == []
    call_command("load_story", "--overwrite", stdout=io.StringIO())
    assert _copies_match_events() == []


def test_upsert_of_related_rows_bumps_updated_at(source):
    """A change to an actor's aliases alone still marks the actor as updated."""
    actor, _ = actor_upsert(
        data=input_for(Actor, slug="united-states", name="United States", kind="state", aliases=["US"])
    )
    stamp = actor.updated_at
    actor, outcome = actor_upsert(
        data=input_for(Actor, slug="united-states", name="United States", kind="state", aliases=["US", "Washington"])
    )
    assert outcome == "updated"
    assert actor.updated_at > stamp
    assert sorted(actor.aliases.values_list("name", flat=True)) == ["US", "Washington"]


def test_upsert_without_overwrite_keeps_edits(source):
    """Without overwrite, an existing record is kept exactly as an editor left it."""
    actor_upsert(data=input_for(Actor, slug="france", name="France", kind="state"))
    Actor.objects.filter(slug="france").update(name="French Republic")
    _, outcome = actor_upsert(data=input_for(Actor, slug="france", name="France", kind="state"), overwrite=False)
    assert outcome == "kept"
    assert Actor.objects.get(slug="france").name == "French Republic"


def test_unknown_reference_is_named(source):
    """A reference to a slug that does not exist is refused with the slug and where it was used."""
    with pytest.raises(ValidationError) as error:
        statement_upsert(
            data=input_for(
                Statement,
                slug="s",
                speaker="nobody",
                text="x",
                quote_type="reported",
                citations=[],
                date=None,
                date_precision="unknown",
            )
        )
    assert error.value.messages == ["Unknown actor slug nobody (speaker of statement “s”)."]


def test_direct_quote_must_stand_in_an_excerpt(source):
    """A direct quotation whose words are not in any of its excerpts is refused."""
    ActorFactory(slug="minister", kind=Actor.Kind.PERSON)
    with pytest.raises(ValidationError) as error:
        statement_upsert(
            data=input_for(
                Statement,
                slug="s",
                speaker="minister",
                text="We oppose the mission",
                quote_type="direct",
                citations=[{"source": "source-article", "excerpt": "“We support the mission,” the minister said."}],
                date_precision="unknown",
            )
        )
    assert error.value.message_dict == {
        "text": ["The direct quotation of statement “s” does not stand in any of its excerpts."]
    }
    assert not Statement.objects.exists()


def _copy_story(tmp_path):
    seeds = shutil.copytree(settings.TRACKER_SEEDS_DIR, tmp_path / "seeds")
    fixtures = shutil.copytree(settings.TRACKER_FIXTURES_DIR, tmp_path / "fixtures")
    return seeds, fixtures


def test_story_load_is_all_or_nothing(tmp_path):
    """One bad excerpt in the last fixture file aborts the whole load: nothing at all is written."""
    seeds, fixtures = _copy_story(tmp_path)
    pledges = json.loads((fixtures / "pledges.json").read_text())
    pledges[-1]["citations"][0]["excerpt"] = "Words that appear in no article."
    (fixtures / "pledges.json").write_text(json.dumps(pledges))
    with pytest.raises(ValidationError) as error:
        story_load(seeds_dir=seeds, fixtures_dir=fixtures)
    assert "is not verbatim in source" in " ".join(error.value.messages)
    assert not Source.objects.exists()
    assert not Actor.objects.exists()
    assert not Event.objects.exists()


def test_story_load_refuses_altered_seed(tmp_path):
    """A seed file that no longer matches its recorded sha256 is refused before anything loads."""
    seeds, fixtures = _copy_story(tmp_path)
    article = seeds / "002_7b9d2e22e71f35f0.txt"
    article.write_bytes(article.read_bytes().replace(b"Trump", b"Trumq", 1))
    with pytest.raises(CommandError) as error:
        call_command("load_story", seeds=seeds, fixtures=fixtures)
    assert str(error.value) == (
        "Nothing was loaded: Seed file 002_7b9d2e22e71f35f0.txt does not match its recorded sha256; it was altered."
    )
    assert not Source.objects.exists()
