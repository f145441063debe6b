"""A detail URL given a case variant of a slug, or an actor's name or alias, answers 308 to the canonical URL."""

import pytest

from conftest import ActorAliasFactory
from events.models import Actor

from .errors import error_fields

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("actors/washington/", "actors/united-states/"),
        ("actors/Washington/", "actors/united-states/"),
        ("actors/France/", "actors/france/"),
        ("actors/jean-noël-barrot/", None),  # not a slug's characters: the route itself does not match
        ("actors/ankara/timeline/?type=event", "actors/turkey/timeline/?type=event"),
        ("actors/washington/relations/", "actors/united-states/relations/"),
        ("actors/WASHINGTON/history/", "actors/united-states/history/"),
        ("events/Brussels-Meeting/", "events/brussels-meeting/"),
        ("events/BRUSSELS-MEETING/citations/", "events/brussels-meeting/citations/"),
        (
            "pledges/France-100-Gendarmes/?fields=slug&fields=status",
            "pledges/france-100-gendarmes/?fields=slug&fields=status",
        ),
        ("statements/Hamas-Rejects-Disarmament/history/", "statements/hamas-rejects-disarmament/history/"),
        ("sources/Other-Article/", "sources/other-article/"),
    ],
)
def test_a_variant_or_alias_redirects_to_the_canonical_url(api_client, world, url, canonical):
    if canonical is None:
        assert api_client.get(f"{API}/{url}").status_code == 404
        return
    _assert_redirects(api_client, url, canonical)


def _assert_redirects(api_client, url: str, canonical: str) -> None:
    """GET and HEAD answer 308 to the canonical URL."""
    response = api_client.get(f"{API}/{url}")
    assert response.status_code == 308, response.content
    assert response["Location"] == f"http://testserver{API}/{canonical}"
    head = api_client.head(f"{API}/{url}")
    assert (head.status_code, head["Location"]) == (308, response["Location"])


def test_the_redirect_leads_to_the_record(api_client, world):
    followed = api_client.get(f"{API}/actors/washington/", follow=True)
    assert followed.status_code == 200
    assert followed.json() == api_client.get(f"{API}/actors/united-states/").json()


def test_an_alias_of_several_words_is_found_by_its_hyphenated_form(api_client, world):
    ActorAliasFactory(actor=Actor.objects.get(slug="turkey"), name="Sublime Porte")
    response = api_client.get(f"{API}/actors/sublime-porte/")
    assert (response.status_code, response["Location"]) == (308, f"http://testserver{API}/actors/turkey/")


@pytest.mark.parametrize("url", ["actors/atlantis/", "events/washington/", "actors/atlantis/timeline/"])
def test_nothing_close_is_still_a_404(api_client, world, url):
    """An alias names actors only; a slug with no record in any case is the usual 404."""
    assert error_fields(api_client.get(f"{API}/{url}"), 404)["code"] == "not_found"


def test_writes_are_never_redirected(editor, world):
    """A write names its record exactly: PATCH, PUT, DELETE and POST keep their 404."""
    url = f"{API}/actors/washington/"
    assert error_fields(editor.patch(url, {"description": "x"}, format="json", HTTP_IF_MATCH='"1"'), 404)
    assert error_fields(editor.delete(url, HTTP_IF_MATCH='"1"'), 404)
    citation = {"source": "other-article", "excerpt": "Troops will deploy."}
    assert error_fields(editor.post(f"{API}/events/Brussels-Meeting/citations/", citation, format="json"), 404)
    assert editor.options(url).status_code in (200, 404)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("events/Brussels-Meeting-Post-War-Gaza/", "events/brussels-meeting-post-war-gaza/"),
        ("actors/washington/", "actors/united-states/"),
        ("actors/security-council/", "actors/un-security-council/"),
        ("actors/washington/timeline/?type=event", "actors/united-states/timeline/?type=event"),
    ],
)
def test_the_readme_redirects(api_client, story, url, canonical):
    _assert_redirects(api_client, url, canonical)
