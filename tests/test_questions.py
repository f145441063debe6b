"""The README's questions, answered from the real data set: each feature answers one question an analyst asks."""

import pytest

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _all(api_client, url: str) -> list[dict]:
    response = api_client.get(url)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_everything_france_and_its_ministers_pledged_or_said(api_client, story):
    """The timeline of France with its members since 2025-11-01 holds Barrot's words and France's pledges."""
    items = _all(api_client, f"{API}/timeline/?actor=france&include_children=true&date_after=2025-11-01&page_size=100")
    kinds = {(item["type"], item["slug"]) for item in items}
    assert ("statement", "barrot-france-ready-to-deploy-100-gendarmes") in kinds
    assert ("pledge", "france-100-gendarmes-palestinian-police-training") in kinds
    assert ("event", "brussels-meeting-post-war-gaza") in kinds
    assert all(item["date_end"] >= "2025-11-01" for item in items)


def test_who_opposes_turkish_troops(api_client, story):
    """Israel's leaders, as a group, and Netanyahu on his own oppose Turkey on Turkish troops; the offer stands."""
    statements = _all(api_client, f"{API}/statements/?stance=opposes&stance_target=turkey")
    assert {(s["speaker"]["slug"], s["stance_topic"]) for s in statements} == {
        ("israeli-leaders", "Turkish troops in the ISF"),
        ("benjamin-netanyahu", "Turkish troops in Gaza"),
    }
    relations = api_client.get(f"{API}/actors/turkey/relations/").json()
    assert {g["actor"]["slug"] for g in relations["opposed_by"]} >= {"israeli-leaders", "benjamin-netanyahu"}
    # An objection by a third party is a note, not a rejection (CODEBOOK.md, Status).
    assert [p["status"] for p in relations["pledges_made"] if p["slug"] == "turkey-offer-to-send-forces-to-gaza"] == [
        "announced"
    ]


def test_washington_is_the_united_states(api_client, story):
    """An alias finds the same records as the slug."""
    by_alias = _all(api_client, f"{API}/statements/?actor=washington&page_size=100")
    by_slug = _all(api_client, f"{API}/statements/?actor=united-states&page_size=100")
    assert by_alias == by_slug
    assert by_alias


def test_search_finds_the_genocide_accusation(api_client, story):
    """Full-text search reaches reported positions through their excerpts."""
    assert [s["slug"] for s in _all(api_client, f"{API}/statements/?search=genocidal")] == [
        "turkey-calls-israeli-actions-genocidal"
    ]


def test_what_changed_since_a_given_time(api_client, editor, story):
    """`/changes/?since=…`: after the story's load, an editor corrects Turkey's description; asked since a moment
    before the edit, the feed answers that one change, with the field as it was and as it is."""
    from django.utils import timezone

    from events.models import Actor

    before = api_client.get(f"{API}/changes/").json()["results"]
    assert [entry["type"] for entry in before] == ["loaded"]
    moment = timezone.now().isoformat().replace("+00:00", "Z")
    turkey = Actor.objects.get(slug="turkey")
    edited = editor.patch(
        f"{API}/actors/turkey/", {"description": "Offered troops."}, format="json", HTTP_IF_MATCH=f'"{turkey.version}"'
    )
    assert edited.status_code == 200
    (change,) = api_client.get(f"{API}/changes/", {"since": moment}).json()["results"]
    assert (change["type"], change["resource"], change["slug"], change["version"]) == ("changed", "actor", "turkey", 2)
    assert change["changes"] == [{"field": "description", "old": turkey.description, "new": "Offered troops."}]
