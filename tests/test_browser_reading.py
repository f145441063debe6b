"""The reading view in headless Chromium (Debian's, driven by Playwright as in tests/test_browser.py): select a
passage of a seed article, cite it on a new or an existing record, and read the record back through the API with
the selection as its excerpt, character for character.

Set TRACKER_SCREENSHOT_DIR to keep a screenshot of the reading view there (the README's is docs/reading-view.png).
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from events.loading import story_load
from events.models import Source, Statement
from tests.test_browser import _login, browser, editor, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True)]

SEED = "isf-deploy-very-soon-trump"
# A subheading of the seed; it has a curly apostrophe (’) that a hand-typed copy gets wrong.
NEW_PASSAGE = "Israel rejects Turkish troops under Trump’s 20-point peace plan"
# Part of a paragraph that the Istanbul meeting's event cites whole: selected inside its highlight.
EXISTING_PASSAGE = "hosting a high-level meeting in Istanbul this week"

SELECT = """passage => {
    const article = document.getElementById("article");
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(passage);
        if (at >= 0) {
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + passage.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return true;
        }
    }
    return false;
}"""


@pytest.fixture
def seeds(editor):  # noqa: F811 - the fixture imported above
    story_load(seeds_dir=settings.TRACKER_SEEDS_DIR, fixtures_dir=settings.TRACKER_FIXTURES_DIR)
    return Source.objects.get(slug=SEED)


def _read(tab: Page, base: str, source: Source) -> None:
    _login(tab, base)
    tab.goto(f"{base}/admin/events/source/{source.pk}/change/")
    # The page's script is deferred: it listens for selections only once the document has loaded, and the
    # article is visible before that.
    with tab.expect_navigation(wait_until="load"):
        tab.click("a.readlink")
    expect(tab.locator("#article")).to_be_visible()


def _select(tab: Page, passage: str) -> None:
    assert tab.evaluate(SELECT, passage), f"“{passage}” is not within one text node of the article"
    expect(tab.locator("#passage-text")).to_have_text(passage)


def test_select_a_passage_and_cite_it_on_a_new_statement(page, live_server, seeds):  # noqa: F811
    base = live_server.url
    _read(page, base, seeds)
    # Every citation of the article is highlighted, and the page's text is the source's.
    assert page.evaluate("document.getElementById('article').textContent") == seeds.text
    expect(page.locator("#article mark.cite").first).to_be_visible()
    # The proposals endpoint answers for an editor, so the panel is there beside the article.
    expect(page.locator("#proposals")).to_be_visible()

    _select(page, NEW_PASSAGE)
    expect(page.locator("#passage-mentions")).to_contain_text("Israel")
    if os.environ.get("TRACKER_SCREENSHOT_DIR"):
        page.set_viewport_size({"width": 1200, "height": 720})
        page.click("#toggle-nav-sidebar")
        expect(page.locator("#passage-results li").first).to_be_visible()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(Path(os.environ["TRACKER_SCREENSHOT_DIR"]) / "reading-view.png"))

    page.click("a[data-new=statement]")
    expect(page.locator("#id_citations-0-excerpt")).to_have_value(NEW_PASSAGE)
    # Prefilled from the passage: reported speech (no quotation marks), dated from the article, to be corrected.
    expect(page.locator("#id_text")).to_have_value(NEW_PASSAGE)
    expect(page.locator("#id_quote_type")).to_have_value("reported")
    expect(page.locator("#id_date")).to_have_value("2025-11-07")
    page.fill("#id_slug", "israel-rejects-turkish-troops-headline")
    # Several actors' names begin with "Israel" (Israeli leaders…): pick the state's.
    page.click('[aria-labelledby="select2-id_speaker-container"]')
    page.fill(".select2-container--open .select2-search__field", "Israel")
    page.locator(".select2-results__option", has_text=re.compile(r"^Israel \(State")).click()
    page.select_option("#id_medium", "unspecified")
    page.click("input[name=_save]")

    # Saved, and back on the article with the passage now highlighted.
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    # The fixtures cite every sentence of the seeds already; the highlight now names the new statement too, and
    # links to it, the record whose excerpt is exactly this passage.
    highlight = page.locator("#article mark.cite", has_text=NEW_PASSAGE)
    expect(highlight).to_have_attribute("title", re.compile("^statement “israel-rejects-turkish-troops-headline”; "))
    new = Statement.objects.get(slug="israel-rejects-turkish-troops-headline")
    expect(highlight).to_have_attribute("data-href", f"/admin/events/statement/{new.pk}/change/")
    statement = page.request.get(f"{base}/api/v1/statements/israel-rejects-turkish-troops-headline/").json()
    assert statement["citations"] == [{"source": SEED, "excerpt": NEW_PASSAGE}]
    assert statement["speaker"]["slug"] == "israel"
    assert page.csp_violations == []


def test_select_a_passage_and_cite_it_on_an_existing_record(page, live_server, seeds):  # noqa: F811
    base = live_server.url
    event = "istanbul-ministerial-meeting-isf"
    before = page.request.get(f"{base}/api/v1/events/{event}/").json()["citations"]
    _read(page, base, seeds)
    _select(page, EXISTING_PASSAGE)

    page.fill("#passage-search input[name=search]", "Istanbul")
    page.select_option("#passage-search select[name=resource]", "event")
    page.click("#passage-search button[type=submit]")
    result = page.locator("#passage-results li", has_text=event)
    result.get_by_role("button", name="Cite here…").click()
    expect(page.locator("#confirm-label")).to_have_text(f"event “{event}”")
    # Nothing is written before the editor confirms.
    assert page.request.get(f"{base}/api/v1/events/{event}/").json()["citations"] == before
    page.click("#confirm-yes")

    expect(page.locator("#reading-flash")).to_have_text(f"Cited on event “{event}”.")
    after = page.request.get(f"{base}/api/v1/events/{event}/").json()["citations"]
    assert after == [*before, {"source": SEED, "excerpt": EXISTING_PASSAGE}]
    history = page.request.get(f"{base}/api/v1/events/{event}/history/").json()["results"][0]
    assert (history["history_user"], history["history_change_reason"]) == ("editor", "api POST")
    assert page.csp_violations == []


def _proposal(text: str, excerpt: str, **rest) -> dict:
    start = text.index(excerpt)  # a code-point offset, as Python (and the proposals API) counts
    return {"start": start, "end": start + len(excerpt), "excerpt": excerpt, **rest}


def test_proposals_select_their_span_and_open_the_same_forms(page, live_server, seeds):  # noqa: F811
    """Where the proposals endpoint answers (here, stood in for by the browser with the shape it documents), the
    panel lists its proposals; one selects its span and opens the add form prefilled with its body, or offers the
    citation on the record it names."""
    base = live_server.url
    quote = "“It’s going to be very soon. And Gaza is working out very well,” Trump told reporters Thursday"
    body = {
        "slug": "trump-very-soon",
        "speaker": "donald-trump",
        "text": "It’s going to be very soon. And Gaza is working out very well,",
        "quote_type": "direct",
        "medium": "remarks_to_reporters",
        "date": "2025-11-06",
        "date_precision": "day",
        "about": ["international-stabilization-force", "hamas"],
        "citations": [{"source": SEED, "excerpt": quote}],
    }
    event = "istanbul-ministerial-meeting-isf"
    proposals = [
        _proposal(
            seeds.text,
            quote,
            rule="direct_quote",
            reason="Words in quotation marks, “Trump told reporters” after them.",
            body=body,
            url="/api/v1/statements/",
            method="POST",
        ),
        _proposal(
            seeds.text,
            EXISTING_PASSAGE,
            rule="corroboration",
            reason="The Istanbul meeting is already recorded.",
            cite_on={
                "resource": "events",
                "slug": event,
                "url": f"/api/v1/events/{event}/citations/",
                "body": {"source": SEED, "excerpt": EXISTING_PASSAGE},
            },
        ),
    ]
    page.route(
        f"**/api/v1/sources/{SEED}/proposals/",
        lambda route: route.fulfill(status=200, content_type="application/json", json={"proposals": proposals}),
    )
    _read(page, base, seeds)
    items = page.locator("#proposal-list button.proposal")
    expect(items).to_have_count(2)

    items.nth(1).click()
    expect(page.locator("#passage-text")).to_have_text(EXISTING_PASSAGE)
    assert page.evaluate("window.getSelection().toString()") == EXISTING_PASSAGE
    page.click("#proposal-cite")
    expect(page.locator("#confirm-label")).to_have_text(f"event “{event}”")
    page.click("#confirm-yes")
    expect(page.locator("#reading-flash")).to_have_text(f"Cited on event “{event}”.")
    citations = page.request.get(f"{base}/api/v1/events/{event}/").json()["citations"]
    assert citations[-1] == {"source": SEED, "excerpt": EXISTING_PASSAGE}

    items.nth(0).click()
    expect(page.locator("#passage-text")).to_have_text(quote)
    expect(page.locator("#proposal-reason")).to_have_text(proposals[0]["reason"])
    page.click("#proposal-open")
    expect(page.locator("#id_citations-0-excerpt")).to_have_value(quote)
    expect(page.locator("#id_slug")).to_have_value("trump-very-soon")
    expect(page.locator("#id_text")).to_have_value(body["text"])
    expect(page.locator("#id_medium")).to_have_value("remarks_to_reporters")
    expect(page.locator("#id_date")).to_have_value("2025-11-06")
    # References by slug, as the API names them, are found: the speaker and both actors it is about.
    expect(page.locator("#select2-id_speaker-container")).to_have_text(re.compile("Donald Trump"))
    expect(page.locator("#id_about option:checked")).to_have_count(2)
    assert page.csp_violations == []


def test_a_failing_proposals_endpoint_says_so_and_the_page_still_works(page, live_server, seeds):  # noqa: F811
    page.route(
        f"**/api/v1/sources/{SEED}/proposals/",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            json={"title": "Service Unavailable", "status": 503, "detail": "Try again later.", "errors": {}},
        ),
    )
    _read(page, live_server.url, seeds)
    expect(page.locator("#proposals-status")).to_have_text("Proposals could not be loaded: Try again later.")
    _select(page, NEW_PASSAGE)
    expect(page.locator("a[data-new=pledge]")).to_have_attribute("href", re.compile(r"cite_source=\d+&cite_start="))
    assert page.csp_violations == []


def test_a_mouse_drag_over_highlights_selects_without_following_their_links(page, live_server, seeds):  # noqa: F811
    """An editor drags across highlighted text with the mouse: the page stays, and the passage is the dragged
    stretch of the source, cut from its text."""
    _read(page, live_server.url, seeds)
    url = page.url
    line = page.locator("#article mark.cite", has_text="WASHINGTON").first
    box = line.bounding_box()
    y = box["y"] + 8
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    page.mouse.move(box["x"] + 150, y, steps=10)
    page.mouse.move(box["x"] + 300, y, steps=10)
    page.mouse.up()
    expect(page.locator("#passage-text")).to_have_text(re.compile(r"^WASHINGTON: US President"))
    assert page.url == url
    selected = page.locator("#passage-text").text_content()
    assert selected in seeds.text
    # A highlight is a link when no selection is made.
    page.evaluate("window.getSelection().removeAllRanges()")
    line.click()
    expect(page).to_have_url(re.compile(r"/admin/events/\w+/\d+/change/$"))
    assert page.csp_violations == []


def test_a_passage_after_astral_characters_and_odd_spacing_is_cut_exactly(page, live_server, editor):  # noqa: F811
    """JavaScript counts UTF-16 units, the server code points: a passage after an emoji, no-break spaces, tabs and
    blank lines still opens the form with exactly the selected words."""
    text = "Crowds 🙂🙂 cheered.\n\n\tThe minister\u00a0said: “We will help,” and left.\n"
    source = Source.objects.create(slug="astral", title="Astral", text=text, date_precision="unknown")
    passage = "The minister\u00a0said: “We will help,”"
    _read(page, live_server.url, source)
    _select(page, passage)
    page.click("a[data-new=event]")
    expect(page.locator("#id_citations-0-excerpt")).to_have_value(passage)
    assert page.csp_violations == []


def test_the_panel_lists_every_page_of_proposals(page, live_server, seeds):  # noqa: F811
    """Found from outside: the panel showed the first page (20) of an article's proposals and dropped the rest."""
    _read(page, live_server.url, seeds)
    # The editor's session reads the endpoint as the page does.
    count = page.request.get(f"{live_server.url}/api/v1/sources/{SEED}/proposals/").json()["count"]
    assert count > 20
    expect(page.locator("#proposal-list button.proposal")).to_have_count(count)
    expect(page.locator("#proposals-status")).to_have_text(re.compile(f"^{count} proposed by reading the text"))
    assert page.csp_violations == []
