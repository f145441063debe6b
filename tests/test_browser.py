"""End to end in headless Chromium: an editor enters a new article's facts in the admin, and the API serves them.

Chromium comes from Debian (`make test` installs it); Playwright drives it, never downloading a browser of its own.
"""

import os
import shutil
import threading
import time
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group, User

# Playwright's sync API runs an event loop in this thread; the ORM calls below are ordinary blocking ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]
ARTICLE = (
    "ANKARA: Turkish Foreign Minister Hakan Fidan said on Monday that Turkey is ready to help. "
    "“We will contribute to stability in Gaza,” Fidan told reporters."
)

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), "Chromium is missing: `make test` installs Debian's chromium package."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page that records every Content-Security-Policy violation the browser reports (page.csp_violations)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.csp_violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.csp_violations.append(message.text),
    )
    yield page
    context.close()
    _wait_for_the_live_server()


def _wait_for_the_live_server(timeout: float = 15.0) -> None:
    """Let the live server finish every request the page had sent before the test's database is flushed.

    A fetch still in flight when the test ends (the reading view loads proposals and mentions in the background)
    would otherwise hold SQLite's shared-cache lock while the flush runs, or touch the database after pytest-django
    has closed it, failing the next test. The server runs one thread per connection, named after its target;
    closing the browser context closed the connections, so these threads end once their response is written.
    """
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(max(0.0, deadline - time.monotonic()))
            assert not thread.is_alive(), "the live server is still answering a request after the test"


def _only_the_redoc_logo(violations: list[str]) -> list[str]:
    """The violations other than the one the policy is there for: ReDoc's logo image on cdn.redoc.ly."""
    return [text for text in violations if not ("cdn.redoc.ly" in text and "img-src" in text)]


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="editor-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def _login(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "editor-pass-1")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def _autocomplete(page: Page, field_id: str, term: str) -> None:
    """Pick a value in one of the admin's select2 autocomplete widgets."""
    page.click(f'[aria-labelledby="select2-{field_id}-container"]')
    page.fill(".select2-container--open .select2-search__field", term)
    page.locator(".select2-results__option--highlighted", has_text=term).click()


def test_editor_enters_an_article_in_the_admin(page, live_server, editor):
    """Source, actor and statement with a citation are created on the pages; a non-verbatim excerpt is refused
    there; and the new statement is then served by the API with its evidence."""
    base = live_server.url
    _login(page, base)

    page.goto(f"{base}/admin/events/source/add/")
    page.fill("#id_title", "Turkey ready to help in Gaza")
    page.fill("#id_publisher", "Example Wire")
    page.fill("#id_date", "2025-11-24")
    page.fill("#id_text", ARTICLE)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(f"{base}/admin/events/actor/add/")
    page.fill("#id_name", "Hakan Fidan")
    page.select_option("#id_kind", "person")
    page.fill("#id_title", "Foreign Minister of Turkey")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(f"{base}/admin/events/statement/add/")
    page.fill("#id_slug", "fidan-will-contribute-to-stability")
    _autocomplete(page, "id_speaker", "Hakan Fidan")
    page.fill("#id_text", "We will contribute to stability in Gaza,")
    page.select_option("#id_quote_type", "direct")
    page.select_option("#id_medium", "remarks_to_reporters")
    page.fill("#id_date", "2025-11-24")
    _autocomplete(page, "id_citations-0-source", "Turkey ready to help in Gaza")
    # Straight quotes where the article has curly ones: not verbatim.
    page.fill("#id_citations-0-excerpt", '"We will contribute to stability in Gaza," Fidan told reporters.')
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text(
        "This excerpt is not verbatim in source “turkey-ready-to-help-in-gaza”."
    )

    page.fill("#id_citations-0-excerpt", "“We will contribute to stability in Gaza,” Fidan told reporters.")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    response = page.request.get(f"{base}/api/v1/statements/fidan-will-contribute-to-stability/")
    assert response.status == 200
    statement = response.json()
    assert statement["speaker"]["slug"] == "hakan-fidan"
    assert statement["text"] == "We will contribute to stability in Gaza,"
    assert statement["citations"] == [
        {
            "source": "turkey-ready-to-help-in-gaza",
            "excerpt": "“We will contribute to stability in Gaza,” Fidan told reporters.",
        }
    ]
    history = page.request.get(f"{base}/api/v1/statements/fidan-will-contribute-to-stability/history/").json()
    assert [(h["history_user"], h["history_change_reason"]) for h in history["results"]][-1] == ("editor", "admin")
    # The admin worked under the Content-Security-Policy (autocomplete, prepopulated slugs, inlines) and the browser
    # refused nothing on its pages.
    assert page.csp_violations == []


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_render_without_leaving_the_machine(page, live_server, path):
    """Swagger UI and ReDoc render the API from local assets only, under the site's Content-Security-Policy (no
    inline script without a nonce). ReDoc's bundle asks for a Redocly logo on cdn.redoc.ly; the policy stops it in
    the browser, so it never goes out."""
    sent, blocked = set(), set()

    def finished(request):
        sent.add(urlparse(request.url).netloc)

    def failed(request):
        (blocked if request.failure == "csp" else sent).add(urlparse(request.url).netloc)

    page.on("requestfinished", lambda r: r.url.startswith(("http:", "https:")) and finished(r))
    page.on("requestfailed", lambda r: r.url.startswith(("http:", "https:")) and failed(r))
    response = page.goto(f"{live_server.url}{path}")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy or "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    # ReDoc renders in a worker after parsing the whole schema: seconds on a busy two-core machine.
    expect(page.get_by_text("tracker API").first).to_be_visible(timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert sent == {urlparse(live_server.url).netloc}
    assert blocked <= {"cdn.redoc.ly"}
    # The page works under the policy: its scripts ran (the operations are listed), and the browser refused nothing
    # but the logo.
    expect(page.get_by_text("/api/v1/events/").first).to_be_attached()
    assert _only_the_redoc_logo(page.csp_violations) == []
