"""The codebook (CODEBOOK.md at the project root), served as HTML at /codebook/ so that help texts can link to it
offline. Rendered with markdown-it-py with raw HTML disabled, so the page holds only what Markdown produces."""

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

CODEBOOK_FILE = "CODEBOOK.md"


@lru_cache(maxsize=1)
def codebook_html() -> str:
    """The codebook as HTML; headings carry ids (``## Quantities and units`` → ``#quantities-and-units``)."""
    text = (settings.BASE_DIR / CODEBOOK_FILE).read_text(encoding="utf-8")
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table").use(anchors_plugin, max_level=3)
    return markdown.render(text)


@require_safe
def codebook(request: HttpRequest) -> HttpResponse:
    # mark_safe: markdown-it escapes the text and, with html disabled, passes no raw HTML through.
    return render(request, "events/codebook.html", {"body": mark_safe(codebook_html())})  # noqa: S308
