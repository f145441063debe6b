"""The admin for editors: every model is listed and editable, and citations are checked verbatim on the page."""

import html

import pytest
from django.urls import reverse

from conftest import ActorAliasFactory, ActorFactory, EventFactory, PledgeFactory
from events.models import Actor, Event, Pledge, Statement
from tests.admin_forms import change_form

pytestmark = pytest.mark.django_db

NOT_VERBATIM = (
    "This excerpt is not verbatim in source “source-article”. Copy it exactly from the article text, "
    "including quotation marks, apostrophes and dashes."
)


def _management(prefix: str, total: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize("model", ["source", "actor", "event", "statement", "pledge", "citation"])
def test_changelist_and_add_pages_load(admin_client, model):
    """Each model has a working list (with search and filters) and add page; citations are added on their record's
    page, so theirs has none."""
    EventFactory()
    changelist = admin_client.get(reverse(f"admin:events_{model}_changelist"), {"q": "a"})
    assert changelist.status_code == 200
    add = admin_client.get(reverse(f"admin:events_{model}_add"))
    assert add.status_code == (403 if model == "citation" else 200)


def test_actor_autocomplete(admin_client):
    """Actor fields autocomplete by name and alias."""
    france = ActorFactory(slug="france", name="France")
    france.aliases.create(name="Paris")
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "events", "model_name": "statement", "field_name": "speaker", "term": "pari"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["France (State)"]


def _statement_form(speaker, source, excerpt: str) -> dict:
    return {
        "slug": "minister-supports-mission",
        "speaker": str(speaker.pk),
        "speaker_role": "",
        "text": "We support the mission,",
        "quote_type": "direct",
        "medium": "video_statement",
        "date": "2025-11-20",
        "date_precision": "day",
        "date_end": "",
        "date_note": "",
        "stance": "",
        "stance_topic": "",
        **_management("citations", 1),
        "citations-0-source": str(source.pk),
        "citations-0-excerpt": excerpt,
    }


def test_admin_refuses_non_verbatim_excerpt(admin_client, source):
    """A statement whose inline citation is not verbatim is not saved, and the page says why."""
    speaker = ActorFactory(kind="person")
    response = admin_client.post(
        reverse("admin:events_statement_add"),
        _statement_form(speaker, source, '"We support the mission," the minister said.'),
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert NOT_VERBATIM in page
    assert 'The article has “ (U+201C) at character 1 of the excerpt; you sent " (U+0022).' in page
    assert "The article's version: “We support the mission,” the minister said." in page
    assert not Statement.objects.exists()


def test_admin_saves_statement_with_verbatim_citation(admin_client, source):
    """A verbatim excerpt is saved inline with its new statement."""
    speaker = ActorFactory(kind="person")
    response = admin_client.post(
        reverse("admin:events_statement_add"),
        _statement_form(speaker, source, "“We support the mission,” the minister said."),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    statement = Statement.objects.get(slug="minister-supports-mission")
    assert list(statement.citations.values_list("source__slug", "excerpt")) == [
        ("source-article", "“We support the mission,” the minister said.")
    ]
    assert statement.date_end.isoformat() == "2025-11-20"


def test_admin_creates_event_with_participant_and_citation(admin_client, source):
    """A new event with a participant and a citation saves in one go."""
    actor = ActorFactory()
    response = admin_client.post(
        reverse("admin:events_event_add"),
        {
            "slug": "brussels-meeting",
            "title": "Brussels meeting",
            "description": "",
            "event_type": "diplomatic_meeting",
            "status": "occurred",
            "date": "2025-11-20",
            "date_precision": "day",
            "date_end": "",
            "date_note": "",
            "location": "Brussels",
            "country": "BE",
            "latitude": "",
            "longitude": "",
            **_management("participants", 1),
            "participants-0-actor": str(actor.pk),
            "participants-0-role": "participant",
            **_management("citations", 1),
            "citations-0-source": str(source.pk),
            "citations-0-excerpt": "Ministers met in Brussels on Thursday.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(slug="brussels-meeting")
    assert event.participants.get().actor == actor
    assert event.citations.get().excerpt == "Ministers met in Brussels on Thursday."


def test_admin_rejects_inconsistent_partial_date(admin_client, source):
    """A month-precision date that is not the 1st is refused on the form."""
    speaker = ActorFactory(kind="person")
    form = _statement_form(speaker, source, "“We support the mission,” the minister said.")
    form.update(date="2025-11-20", date_precision="month")
    response = admin_client.post(reverse("admin:events_statement_add"), form)
    assert response.status_code == 200
    assert "A month-precision date must be the first day of the month." in response.content.decode()
    assert not Statement.objects.exists()


def test_admin_save_refreshes_search(admin_client, source, api_client):
    """A statement entered in the admin is found by search through its inline citation's words."""
    speaker = ActorFactory(kind="person")
    form = _statement_form(speaker, source, "“We support the mission,” the minister said.")
    assert admin_client.post(reverse("admin:events_statement_add"), form).status_code == 302
    found = api_client.get("/api/v1/statements/?search=minister").json()["results"]
    assert [s["slug"] for s in found] == ["minister-supports-mission"]


def test_admin_refuses_a_duplicate_citation_on_the_page(admin_client, source):
    """Citing the same excerpt twice is a form error on the page, not a database error."""
    speaker = ActorFactory(kind="person")
    form = _statement_form(speaker, source, "“We support the mission,” the minister said.")
    assert admin_client.post(reverse("admin:events_statement_add"), form).status_code == 302
    statement = Statement.objects.get(slug="minister-supports-mission")
    form.update({"seen_version": str(statement.version)})
    response = admin_client.post(reverse("admin:events_statement_change", args=[statement.pk]), form)
    assert response.status_code == 200
    assert "This record already cites this excerpt of this source." in html.unescape(response.content.decode())
    assert statement.citations.count() == 1


def test_admin_refuses_a_save_over_someone_elses_change(admin_client, source):
    """Two editors open the same record; the second save is refused with a message, and the first edit stays."""
    speaker = ActorFactory(kind="person")
    form = _statement_form(speaker, source, "“We support the mission,” the minister said.")
    admin_client.post(reverse("admin:events_statement_add"), form)
    statement = Statement.objects.get(slug="minister-supports-mission")
    url = reverse("admin:events_statement_change", args=[statement.pk])
    first, second = change_form(admin_client, url), change_form(admin_client, url)
    assert admin_client.post(url, {**first, "speaker_role": "first editor"}).status_code == 302
    response = admin_client.post(url, {**second, "speaker_role": "second editor"})
    assert response.status_code == 200
    assert "has changed since version 1" in html.unescape(response.content.decode())
    statement.refresh_from_db()
    assert (statement.speaker_role, statement.version) == ("first editor", 2)


def test_admin_status_change_form(admin_client, source):
    """The admin's “Change status” page goes through the service: verbatim evidence and a dated step."""
    pledge = PledgeFactory(slug="p", pledger=ActorFactory())
    url = reverse("admin:events_pledge_status", args=[pledge.pk])
    assert admin_client.get(url).status_code == 200
    data = {
        "status": "stalled",
        "date": "2025-11-20",
        "source": source.pk,
        "excerpt": "Not in the text.",
        "note": "",
        "seen_version": pledge.version,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "is not verbatim in source" in html.unescape(response.content.decode())
    data["excerpt"] = "Hamas rejected disarmament."
    assert admin_client.post(url, data).status_code == 302
    pledge.refresh_from_db()
    assert (pledge.status, pledge.status_changes.get().citation.excerpt) == ("stalled", "Hamas rejected disarmament.")


def _actor_form(**fields) -> dict:
    return {
        "slug": "washington-dc",
        "name": "Washington",
        "kind": "government",
        "country": "",
        "title": "",
        "description": "",
        **_management("aliases", 0),
        **_management("citations", 0),
        **fields,
    }


def test_admin_refuses_an_actor_named_like_an_existing_alias(admin_client, db):
    """A new actor whose name is an existing actor's alias is refused, naming it; no tick box overrides that, and a
    distinguishing name goes through."""
    us = ActorFactory(slug="united-states", name="United States")
    ActorAliasFactory(actor=us, name="Washington")
    response = admin_client.post(reverse("admin:events_actor_add"), _actor_form())
    assert response.status_code == 200
    assert (
        "“Washington” reads the same as “Washington”, an alias of existing actor “united-states” (United States)"
        in (html.unescape(response.content.decode()))
    )
    assert admin_client.post(reverse("admin:events_actor_add"), _actor_form(distinct="on")).status_code == 200
    assert not Actor.objects.filter(slug="washington-dc").exists()
    assert admin_client.post(reverse("admin:events_actor_add"), _actor_form(name="Washington, D.C.")).status_code == 302


def test_admin_history_and_revert(admin_client, db):
    """Each record's history page lists its versions, and reverting to one saves it as a new version."""
    actor = ActorFactory(slug="hamas", name="Hamas", kind="armed_group")
    url = reverse("admin:events_actor_change", args=[actor.pk])
    assert admin_client.post(url, {**change_form(admin_client, url), "name": "Hamas movement"}).status_code == 302
    assert admin_client.get(reverse("admin:events_actor_history", args=[actor.pk])).status_code == 200
    first = actor.history.order_by("history_id").first().history_id
    revert_url = reverse("admin:events_actor_simple_history", args=[actor.pk, first])
    page = admin_client.get(revert_url)
    assert page.status_code == 200
    assert admin_client.post(revert_url, change_form(admin_client, revert_url)).status_code == 302
    actor.refresh_from_db()
    assert (actor.name, actor.version) == ("Hamas", 3)
    assert actor.history.count() == 3


def test_admin_merges_a_second_copy_of_a_pledge(admin_client, source):
    """Entering a pledge that already exists adds its citations to it, as the API does, unless the editor ticks
    “This is a different pledge”."""
    france = ActorFactory(slug="france", name="France")
    PledgeFactory(slug="france-100-gendarmes", title="100 gendarmes", pledger=france, quantity=100, unit="gendarmes")
    form = {
        "slug": "france-gendarmes-again",
        "title": "Gendarmes",
        "description": "",
        "category": "police_training",
        "pledger": france.pk,
        "quantity": "100",
        "unit": "gendarmes",
        "conditions": "",
        "date": "2025-11-20",
        "date_precision": "day",
        "date_note": "",
        "target_date_precision": "unknown",
        "target_date_note": "",
        "status": "announced",
        "status_note": "",
        **_management("citations", 1),
        "citations-0-source": source.pk,
        "citations-0-excerpt": "Hamas rejected disarmament.",
        **_management("status_changes", 0),
    }
    response = admin_client.post(reverse("admin:events_pledge_add"), form)
    assert response.status_code == 302
    assert Pledge.objects.filter(slug="france-gendarmes-again").exists() is False
    merged = Pledge.objects.get(slug="france-100-gendarmes")
    assert merged.citations.filter(excerpt="Hamas rejected disarmament.").exists()
    assert "already recorded this commitment" in html.unescape(admin_client.get(response.url).content.decode())
    assert admin_client.post(reverse("admin:events_pledge_add"), {**form, "distinct": "on"}).status_code == 302
    assert Pledge.objects.filter(slug="france-gendarmes-again").exists()


def test_an_add_form_left_without_a_precision_takes_it_from_the_date(admin_client):
    """Found from outside: a source added in the admin without a date was stored with day precision (the model's
    default), where the API stores unknown. The add form's precision now starts empty and means what the API's
    omitted precision means: a day when a date is given, unknown when not."""
    from events.models import Source
    from tests.admin_forms import change_form, page_errors

    url = reverse("admin:events_source_add")
    form = change_form(admin_client, url)
    assert form["date_precision"] == ""
    for slug, date, expected in (("undated", "", "unknown"), ("dated", "2025-11-07", "day")):
        data = form | {"slug": slug, "title": slug, "text": f"The {slug} article.", "date": date}
        response = admin_client.post(url, data)
        assert response.status_code == 302, page_errors(response)
        assert Source.objects.get(slug=slug).date_precision == expected
    data = form | {"slug": "monthly", "title": "m", "text": "The monthly article.", "date": "2025-11-01"}
    response = admin_client.post(url, data | {"date_precision": "month"})
    assert response.status_code == 302, page_errors(response)
    assert Source.objects.get(slug="monthly").date_precision == "month"
