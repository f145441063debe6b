"""The reading view of a source in the admin: the article as stored, every citation highlighted where its excerpt
stands and linked to its record, and add forms opened for a selected passage, prefilled, that save through the
services (the browser side is in tests/test_browser_reading.py)."""

import html
import json
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from conftest import ActorAliasFactory, ActorFactory, CitationFactory, EventFactory, SourceFactory, StatementFactory
from events import reading
from events.models import Pledge, Source, Statement
from tests.admin_forms import change_form, form_data, page_errors

pytestmark = pytest.mark.django_db

TRICKY = (
    "\nFirst line keeps its leading break.\n\n"
    "<script>alert('x')</script> & &amp; “curly” \"straight\"\u00a0nbsp\ttab  two spaces\n\n"
    "An astral 🙂 before the quote: “We will help,” she said. “We will help,” she said again.\n"
)


class _Article(HTMLParser):
    """The text of the element with id="article", as a browser's DOM holds it, and its highlights."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text = ""
        self.links: list[dict] = []
        self._link: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
            if tag == "mark":
                self._link = {**attrs, "text": ""}
                self.links.append(self._link)
        elif attrs.get("id") == "article":
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            self._link = None

    def handle_data(self, data):
        if self.depth:
            self.text += data
            if self._link is not None:
                self._link["text"] += data


def _article(response) -> _Article:
    assert response.status_code == 200
    parser = _Article()
    parser.feed(response.content.decode())
    return parser


def _json_script(response, element_id: str):
    content = response.content.decode()
    opening = f'<script id="{element_id}" type="application/json">'
    start = content.index(opening) + len(opening)
    return json.loads(content[start : content.index("</script>", start)])


def _read_url(source: Source) -> str:
    return reverse("admin:events_source_read", args=[source.pk])


def _staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pass-word-1", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_reading_view_needs_the_view_permission(client, source):
    """Anonymous visitors go to the login page; staff without the source's view permission are refused; the view
    (or change) permission opens it."""
    url = _read_url(source)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(_staff("events-only", "view_event"))
    assert client.get(url).status_code == 403
    client.force_login(_staff("viewer", "view_source"))
    assert client.get(url).status_code == 200
    client.force_login(_staff("changer", "change_source"))
    assert client.get(url).status_code == 200


def test_an_unknown_source_is_404(admin_client):
    assert admin_client.get(reverse("admin:events_source_read", args=[999999])).status_code == 404


def test_the_article_element_holds_the_source_text_exactly(admin_client):
    """Markup, entities, line breaks, no-break spaces, tabs and astral characters come out of the page's article
    element as the stored text, character for character, so a selection there is a substring of the source."""
    source = SourceFactory(slug="tricky", text=TRICKY)
    statement = StatementFactory(text="We will help,")
    CitationFactory(statement=statement, source=source, excerpt="“We will help,” she said.")
    response = admin_client.get(_read_url(source))
    article = _article(response)
    assert article.text == TRICKY
    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &amp;amp;" in content
    # The text also travels as JSON, for the script's check that the two agree.
    assert _json_script(response, "reading-text") == TRICKY


def test_every_occurrence_of_every_excerpt_is_highlighted_and_linked(admin_client):
    """An excerpt that stands twice is highlighted twice; where two excerpts overlap, the overlap names both records;
    each highlight links to a record's admin page."""
    text = "Talks began. “We will help,” she said. Talks began. Nothing else."
    source = SourceFactory(slug="twice", text=text)
    talks = EventFactory(slug="talks", title="Talks")
    CitationFactory(event=talks, source=source, excerpt="Talks began.")
    says = StatementFactory(slug="she-will-help", text="We will help,")
    CitationFactory(statement=says, source=source, excerpt="“We will help,” she said.")
    also = StatementFactory(slug="she-said", text="We will help,")
    CitationFactory(statement=also, source=source, excerpt="she said.")
    article = _article(admin_client.get(_read_url(source)))
    assert article.text == text
    talks_url = reverse("admin:events_event_change", args=[talks.pk])
    says_url = reverse("admin:events_statement_change", args=[says.pk])
    also_url = reverse("admin:events_statement_change", args=[also.pk])
    assert [(link["text"], link["data-href"], link["title"]) for link in article.links] == [
        ("Talks began.", talks_url, "event “talks”"),
        ("“We will help,” ", says_url, "statement “she-will-help”"),
        # Two records cite this piece: it links to the one whose excerpt is the shortest, and names both.
        ("she said.", also_url, "statement “she-said”; statement “she-will-help”"),
        ("Talks began.", talks_url, "event “talks”"),
    ]
    starts = [int(link["data-start"]) for link in article.links]
    assert [text[s : s + len(link["text"])] for s, link in zip(starts, article.links, strict=True)] == [
        link["text"] for link in article.links
    ]


def test_overlapping_occurrences_of_one_excerpt_are_all_highlighted(admin_client):
    """“na na” stands twice in “na na na”, the second time overlapping the first: the whole line is highlighted,
    and each piece names the one record once."""
    source = SourceFactory(slug="chant", text="They chanted na na na all night.")
    chant = EventFactory(slug="chant")
    CitationFactory(event=chant, source=source, excerpt="na na")
    assert reading.occurrences(source.text, "na na") == [13, 16]
    article = _article(admin_client.get(_read_url(source)))
    assert [(link["text"], link["title"]) for link in article.links] == [
        ("na ", "event “chant”"),
        ("na", "event “chant”"),
        (" na", "event “chant”"),
    ]


def test_the_citations_list_links_each_record_with_its_occurrences(admin_client, world):
    """Beside the article, every citation is listed with its record's page and how often its excerpt stands there."""
    source = world["source"]
    content = html.unescape(admin_client.get(_read_url(source)).content.decode())
    gendarmes = world["gendarmes"]
    url = reverse("admin:events_pledge_change", args=[gendarmes.pk])
    assert f'<a href="{url}">Pledge “france-100-gendarmes”</a>' in content
    assert f"Citations of this article ({source.citations.count()})" in content
    assert "(1 occurrence)" in content


def test_the_source_page_links_to_its_reading_view(admin_client, source):
    response = admin_client.get(reverse("admin:events_source_change", args=[source.pk]))
    assert f'href="{_read_url(source)}"' in response.content.decode()


def test_the_page_loads_its_script_and_styles_as_files(admin_client, source):
    """The Content-Security-Policy runs no inline script: the page's script is a static file, and its data is
    JSON that no browser executes."""
    response = admin_client.get(_read_url(source))
    content = response.content.decode()
    assert '<script src="/static/events/reading.js" defer></script>' in content
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    scripts = content.count("<script")
    assert scripts == content.count('type="application/json"') + content.count("<script src=")


def test_the_page_data_names_what_the_editor_may_do(client, source):
    """Add links and citing are offered only with the permissions the services will ask for."""
    viewer = _staff("viewer", "view_source")
    client.force_login(viewer)
    data = _json_script(client.get(_read_url(source)), "reading-data")
    assert {kind: (r["add_url"], r["can_cite"]) for kind, r in data["resources"].items()} == {
        "statement": (None, False),
        "pledge": (None, False),
        "event": (None, False),
    }
    viewer.groups.add(Group.objects.get(name="editors"))
    viewer = User.objects.get(pk=viewer.pk)
    client.force_login(viewer)
    data = _json_script(client.get(_read_url(source)), "reading-data")
    assert data["resources"]["statement"] == {
        "plural": "statements",
        "name": "statement",
        "api_list": "/api/v1/statements/",
        "add_url": "/admin/events/statement/add/",
        "can_cite": True,
    }
    assert data["source"] == {"id": source.pk, "slug": source.slug}
    assert data["proposals_url"] == f"/api/v1/sources/{source.slug}/proposals/"


# Mentions ---------------------------------------------------------------------------------------------------------


def test_mentions_find_names_and_aliases_as_actor_names_are_compared(db):
    """Names and aliases are found whatever their case or spacing, with a possessive or a sentence's full stop
    after them; the longest name wins where one holds another."""
    france = ActorFactory(slug="france", name="France")
    us = ActorFactory(slug="united-states", name="United States")
    ActorAliasFactory(actor=us, name="U.S.")
    ActorAliasFactory(actor=us, name="Washington")
    ActorFactory(slug="united-states-army", name="United States Army")
    text = "FRANCE’s offer. The U.S. said so; Washington agreed with the United States Army and France."
    found = [(m["actor"], text[m["start"] : m["end"]]) for m in reading.mentions(text)]
    assert found == [
        ("france", "FRANCE"),
        ("united-states", "U.S."),
        ("united-states", "Washington"),
        ("united-states-army", "United States Army"),
        ("france", "France"),
    ]
    assert france.slug == "france"


# Add forms opened for a passage -------------------------------------------------------------------------------------


def _passage_query(source: Source, excerpt: str, **extra) -> str:
    start = source.text.index(excerpt)
    return urlencode({"cite_source": source.pk, "cite_start": start, "cite_end": start + len(excerpt), **extra})


def test_a_statement_form_opened_for_a_passage_is_prefilled(admin_client):
    """The citation row holds the source and the passage cut from its text by code-point offsets (an astral
    character before it counts once); the statement's text is the quoted words, and the date starts at the
    source's."""
    source = SourceFactory(slug="tricky", text=TRICKY)
    excerpt = "“We will help,” she said."
    url = f"{reverse('admin:events_statement_add')}?{_passage_query(source, excerpt)}"
    data = form_data(admin_client.get(url))
    assert data["citations-0-source"] == str(source.pk)
    assert data["citations-0-excerpt"] == excerpt
    assert (data["text"], data["quote_type"]) == ("We will help,", "direct")
    assert (data["date"], data["date_precision"]) == ("2025-11-20", "day")


def test_a_prefilled_form_saves_through_the_services_and_returns_to_the_article(admin_client):
    """The editor completes the prefilled page and saves: the statement and its citation are stored by the service
    (verbatim, with a history row), and the admin goes back to the article."""
    source = SourceFactory(slug="tricky", text=TRICKY)
    speaker = ActorFactory(slug="minister", name="The Minister", kind="person")
    excerpt = "“We will help,” she said again."
    url = f"{reverse('admin:events_statement_add')}?{_passage_query(source, excerpt)}"
    data = change_form(admin_client, url)
    data.update(slug="minister-will-help", speaker=str(speaker.pk), medium="unspecified")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == _read_url(source)
    statement = Statement.objects.get(slug="minister-will-help")
    assert list(statement.citations.values_list("source__slug", "excerpt")) == [("tricky", excerpt)]
    assert statement.text == "We will help,"
    assert statement.history.get().history_change_reason == "admin"
    # Back on the article, the new citation is highlighted at the passage.
    article = _article(admin_client.get(response["Location"]))
    assert [link["text"] for link in article.links] == [excerpt]


def test_save_and_continue_stays_on_the_form(admin_client, source):
    speaker = ActorFactory(kind="person")
    excerpt = "“We support the mission,” the minister said."
    url = f"{reverse('admin:events_statement_add')}?{_passage_query(source, excerpt)}"
    data = change_form(admin_client, url)
    data.update(slug="s", speaker=str(speaker.pk), medium="unspecified", _continue="1")
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:events_statement_change", args=[Statement.objects.get().pk]))


def test_references_in_the_address_may_be_slugs(admin_client, source):
    """A proposal's body names records by slug, as the API does: the add form finds them (ids work as before)."""
    france = ActorFactory(slug="france", name="France")
    us = ActorFactory(slug="united-states", name="United States")
    excerpt = "France stands ready to deploy approximately 100 gendarmes."
    query = _passage_query(source, excerpt, pledger="france", beneficiary=str(us.pk), quantity="100", unit="gendarmes")
    data = form_data(admin_client.get(f"{reverse('admin:events_pledge_add')}?{query}&quantity_approximate=true"))
    assert (data["pledger"], data["beneficiary"], data["quantity"], data["unit"]) == (
        str(france.pk),
        str(us.pk),
        "100",
        "gendarmes",
    )
    assert data["quantity_approximate"] == "on"
    data = form_data(admin_client.get(f"{reverse('admin:events_pledge_add')}?{query}&quantity_approximate=false"))
    assert "quantity_approximate" not in data
    query = urlencode({"about": f"france,{us.pk},nobody"})
    data = form_data(admin_client.get(f"{reverse('admin:events_statement_add')}?{query}"))
    assert sorted(data["about"]) == sorted([str(france.pk), str(us.pk)])
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cite_source": "x", "cite_start": "0", "cite_end": "3"}, "needs a source id, a start and an end"),
        ({"cite_source": "999999", "cite_start": "0", "cite_end": "3"}, "No source has the id 999999."),
        ({"cite_source": str(2**70), "cite_start": "0", "cite_end": "3"}, "No source has the id"),
        ({"cite_start": "0"}, "needs a source id"),
        ({"cite_source": "{pk}", "cite_start": "5", "cite_end": "5"}, "5 to 5 is not a passage of source"),
        ({"cite_source": "{pk}", "cite_start": "0", "cite_end": "100000"}, "is not a passage of source"),
    ],
)
def test_a_passage_that_is_not_one_is_a_warning_and_no_prefill(admin_client, source, params, message):
    params = {k: v.format(pk=source.pk) for k, v in params.items()}
    response = admin_client.get(f"{reverse('admin:events_event_add')}?{urlencode(params)}")
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    data = form_data(response)
    assert (data.get("citations-0-source"), data["citations-0-excerpt"], data["date"]) == (None, "", "")


def test_a_form_dated_by_its_address_saves_unedited(admin_client):
    """Found from outside: a proposal's form dated 2025-11-19 (“on Wednesday”) kept the source's date end beside it,
    and could not be saved without a correction. The address's date goes without the source's."""
    source = SourceFactory(slug="tricky", text=TRICKY)
    excerpt = "“We will help,” she said."
    speaker = ActorFactory(slug="kallas", name="Kaja Kallas", kind="person")
    query = _passage_query(source, excerpt, date="2025-11-19", date_precision="day", speaker="kallas")
    url = f"{reverse('admin:events_statement_add')}?{query}"
    data = form_data(admin_client.get(url))
    assert (data["date"], data["date_precision"], data.get("date_end", "")) == ("2025-11-19", "day", "")
    response = admin_client.post(url, data | {"medium": "unspecified"})
    assert response.status_code == 302, page_errors(response)
    assert Statement.objects.get(speaker=speaker).date.isoformat() == "2025-11-19"
