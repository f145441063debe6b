"""Post the admin's real forms as a browser would: read the page, keep every field's value, change what a test
changes. So a test sends exactly what the admin's page holds (hidden version field and inline rows included)."""

import html
import re
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = form_id is None
        self.data: dict[str, str | list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._multiple = False
        self._option: str | None = None

    def _put(self, name: str, value: str, multiple: bool = False) -> None:
        if multiple:
            self.data.setdefault(name, [])
            self.data[name].append(value)
        else:
            self.data[name] = value

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.form_id is not None:
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file", "image", "reset"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self._put(name, a.get("value", "on"))
            else:
                self._put(name, a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select, self._multiple = name, "multiple" in a
            if self._multiple:
                self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self._put(self._select, a.get("value", ""), self._multiple)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.form_id is not None:
            self.inside = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(response, form_id: str | None = None) -> dict:
    """The fields of the page's form (by id, or every field on the page) with the values the page shows.

    Like a browser, a textarea's leading newline (the HTML spec drops the first one) is not part of its value.
    """
    assert response.status_code == 200, response.status_code
    reader = _FormReader(form_id)
    reader.feed(response.content.decode())
    data = reader.data
    for name, value in data.items():
        if isinstance(value, str) and value.startswith("\n") and name in _textareas(response):
            data[name] = value[1:]
    return data


def _textareas(response) -> set[str]:
    names: set[str] = set()

    class Finder(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "textarea":
                names.add(dict(attrs).get("name", ""))

    Finder().feed(response.content.decode())
    return names


def change_form(client, url: str) -> dict:
    """The admin change (or add) page at ``url`` as the data its Save button would post."""
    data = form_data(client.get(url))
    data.pop("csrfmiddlewaretoken", None)
    return data


def page_errors(response) -> str:
    """The error lists of an admin page, unescaped, as one text: what the editor reads after a refused save."""
    page = html.unescape(response.content.decode())
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S))
