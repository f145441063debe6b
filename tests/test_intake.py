"""Bringing a source in (issue 13, milestone 1): the article as a file through the API, the admin and
``manage.py add_source``, UTF-8 plain text only (415 otherwise), line endings as LF, and duplicates refused: the
same text or URL (409 naming the source), or a near-duplicate text (409 with the shared share, saved with force)."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from events import intake
from events.inputs import input_for
from events.models import Source, SourceShingle
from events.services import source_create
from tests.admin_forms import change_form, page_errors
from tests.errors import assert_error, error_fields

pytestmark = pytest.mark.django_db

SEED_B = (settings.BASE_DIR / "seeds" / "002_7b9d2e22e71f35f0.txt").read_text(encoding="utf-8")
SEED_A = (settings.BASE_DIR / "seeds" / "000_5daf8beab54a5ef0.txt").read_text(encoding="utf-8")


def _reprint(text: str) -> str:
    """Another outlet's copy of the same wire story, made from the seed for this test only (no fact added): its
    own headline and dateline, the page furniture gone, two paragraphs cut and a few words edited."""
    paragraphs = [p for p in text.split("\n\n") if p.strip() and "icon-" not in p][5:]
    body = "\n\n".join(p for i, p in enumerate(paragraphs) if i not in (3, 6))
    return "Trump expects Gaza force soon\n\n(Wire) " + body.replace("Turkiye", "Turkey").replace(" also ", " ")


def _upload(editor, content: bytes, *, name="article.txt", content_type="text/plain", **fields):
    body = {
        "file": SimpleUploadedFile(name, content, content_type=content_type),
        "title": "Turkey ready to help",
        "date": "2025-11-24",
        "date_precision": "day",
        **fields,
    }
    return editor.post("/api/v1/sources/", body, format="multipart")


def _seed_source(slug: str, text: str, url: str = "") -> Source:
    return source_create(data=input_for(Source, slug=slug, title=slug, text=text, url=url, date=None))


# The API ------------------------------------------------------------------------------------------------------


def test_an_article_uploaded_as_a_file_is_stored_with_lf_line_endings(editor):
    """multipart/form-data: the article as the file part (no JSON escaping of its quotes and line breaks), the
    metadata as fields; CRLF becomes LF, and the sha256 is the stored text's."""
    raw = "ANKARA: Turkey is ready to help.\r\n\r\n“We will contribute,” Fidan said.\r\n".encode()
    response = _upload(editor, raw, url="https://example.org/turkey-ready")
    assert response.status_code == 201, response.json()
    body = response.json()
    text = "ANKARA: Turkey is ready to help.\n\n“We will contribute,” Fidan said.\n"
    assert (body["slug"], body["text"], body["url"]) == (
        "turkey-ready-to-help",
        text,
        "https://example.org/turkey-ready",
    )
    assert body["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert response["Location"].endswith("/api/v1/sources/turkey-ready-to-help/")
    assert SourceShingle.objects.filter(source__slug="turkey-ready-to-help").exists()


def test_an_untyped_file_named_txt_and_a_byte_order_mark_are_fine(editor):
    response = _upload(editor, "\ufeffTurkey is ready to help.".encode(), content_type="application/octet-stream")
    assert response.status_code == 201, response.json()
    assert response.json()["text"] == "Turkey is ready to help."


@pytest.mark.parametrize(
    ("content", "name", "content_type", "says"),
    [
        ("Türkei ist bereit.".encode("latin-1"), "a.txt", "text/plain; charset=iso-8859-1",
         "is not UTF-8 text (declared charset iso-8859-1): byte 1 (0xFC) does not decode"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a.txt", "text/plain", "does not decode"),
        (b"%PDF-1.7 Turkey is ready", "a.pdf", "application/pdf", "is “application/pdf”; the article must be plain text"),
        (b"<p>Turkey is ready</p>", "a.html", "text/html", "is “text/html”; the article must be plain text"),
        (b"Turkey\x00is\x00ready", "a.txt", "text/plain", "looks binary, not text: it has the control character U+0000"),
        # Found from outside: UTF-16 was told to convert from WINDOWS-1252.
        ("Türkei ist bereit.".encode("utf-16"), "a.txt", "text/plain", "`iconv -f UTF-16LE -t UTF-8`"),
        ("Turkey is ready.".encode("utf-16-be"), "a.txt", "text/plain", "looks like UTF-16BE text, not UTF-8"),
        ("Türkei ist bereit.".encode("cp1252"), "a.txt", "text/plain", "`iconv -f WINDOWS-1252 -t UTF-8`"),
        (b"Turkey is ready", "a.bin", "application/octet-stream", "of no declared type" if False else "is “application/octet-stream”"),
    ],
)  # fmt: skip
def test_anything_but_utf8_plain_text_is_a_415_that_says_so(editor, content, name, content_type, says):
    response = _upload(editor, content, name=name, content_type=content_type)
    body = assert_error(response, 415, code="unsupported_media_type", fields=["file"], contains=says)
    assert body["errors"]["file"] == [body["detail"]]
    assert not Source.objects.exists()


def test_a_file_and_text_together_are_refused(editor):
    response = _upload(editor, b"Turkey is ready.", text="Turkey is ready.")
    assert_error(response, 400, fields=["text"], contains="Send the article once")
    assert not Source.objects.exists()


def test_a_source_is_changed_with_json_only(editor):
    _upload(editor, b"Turkey is ready.")
    etag = editor.get("/api/v1/sources/turkey-ready-to-help/")["ETag"]
    response = editor.patch(
        "/api/v1/sources/turkey-ready-to-help/",
        {"file": SimpleUploadedFile("a.txt", b"Other.", content_type="text/plain")},
        format="multipart",
        HTTP_IF_MATCH=etag,
    )
    assert_error(response, 415)


def test_a_file_over_the_body_limit_is_413(editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    assert_error(_upload(editor, b"word " * 1000), 413)


def test_the_same_text_is_a_409_naming_the_source(editor):
    existing = _seed_source("wire-story", "Turkey is ready to help.\n", url="https://example.org/a")
    response = _upload(editor, b"Turkey is ready to help.\r\n", url="https://other.example/b")
    assert error_fields(response, 409) == {
        "status": 409,
        "code": "duplicate",
        "detail": "Source “wire-story” (https://example.org/a) already has this very text (same sha256): cite it "
        "instead of entering the article again.",
        "errors": {"existing": ["source:wire-story"]},
    }
    assert Source.objects.get() == existing


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/news/story",
        "https://EXAMPLE.org/news/story/",
        "https://example.org:443/news/story?utm_source=x&utm_medium=social",
        "https://example.org/news/story?fbclid=abc#comments",
        "https://example.org/news/story/?gclid=1",
    ],
)
def test_the_same_url_is_a_409_once_normalised(editor, url):
    _seed_source("wire-story", "Turkey is ready to help.", url="https://example.org/news/story")
    response = _upload(editor, b"Another text entirely.", url=url)
    body = assert_error(response, 409, code="duplicate", contains="Source “wire-story” already has this URL")
    assert body["errors"] == {"existing": ["source:wire-story"]}


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTP://Example.COM:80/News/?utm_campaign=a&b=2&a=1&FBCLID=x#top", "https://example.com/News?a=1&b=2"),
        ("https://example.com/news?id=7", "https://example.com/news?id=7"),
        ("", ""),
    ],
)
def test_url_key(url, key):
    """The path keeps its case (servers tell paths apart by it) and non-tracking parameters stay, sorted."""
    assert intake.url_key(url) == key


def test_another_path_or_parameter_is_another_article(editor):
    _seed_source("wire-story", "Turkey is ready to help.", url="https://example.org/news/story?id=1")
    assert _upload(editor, b"Another text.", url="https://example.org/news/story?id=2").status_code == 201


def test_a_near_duplicate_text_is_a_409_with_the_share_and_saved_with_force(editor):
    """The same wire story in another outlet (headline, dateline, cuts and edits of its own) is flagged with the
    existing source and how much of it is shared; force saves it. Another article on the same story shares no
    five-word sequence with it and goes through."""
    _seed_source("isf-deploy-very-soon-trump", SEED_B)
    reprint = _reprint(SEED_B)
    share = intake.shared_share(intake.shingles(reprint), intake.shingles(SEED_B))
    assert 0.5 <= share < 1
    response = _upload(editor, reprint.encode(), title="Trump expects Gaza force soon")
    body = assert_error(response, 409, code="near_duplicate")
    assert body["candidates"] == [
        {
            "type": "source",
            "slug": "isf-deploy-very-soon-trump",
            "label": "isf-deploy-very-soon-trump",
            "similarity": round(share, 3),
            "threshold": 0.5,
            "reason": "shared five-word sequences (share of the shorter text's)",
        }
    ]
    assert body["errors"]["existing"] == ["source:isf-deploy-very-soon-trump"]
    assert (
        f"shares {share:.0%} of its five-word word sequences with source “isf-deploy-very-soon-trump”" in body["detail"]
    )
    assert not Source.objects.filter(slug="trump-expects-gaza-force-soon").exists()
    forced = _upload(editor, reprint.encode(), title="Trump expects Gaza force soon", force="true")
    assert forced.status_code == 201, forced.json()
    assert intake.shared_share(intake.shingles(SEED_A), intake.shingles(SEED_B)) == 0
    assert _upload(editor, SEED_A.encode(), title="All Israel").status_code == 201


def test_json_creates_take_the_same_checks(editor):
    _seed_source("isf-deploy-very-soon-trump", SEED_B)
    body = {"title": "Reprint", "text": _reprint(SEED_B)}
    assert_error(editor.post("/api/v1/sources/", body, format="json"), 409, code="near_duplicate")
    assert editor.post("/api/v1/sources/", {**body, "force": True}, format="json").status_code == 201


# The command --------------------------------------------------------------------------------------------------


def test_add_source_command(tmp_path: Path):
    """The same service from the shell: CRLF to LF, a slug made from the title; a duplicate, a near-duplicate
    without --force and a non-text file are refused with a clear message and nothing stored."""
    article = tmp_path / "article.txt"
    article.write_bytes(b"ANKARA: Turkey is ready to help.\r\n")
    call_command(
        "add_source",
        str(article),
        title="Turkey ready",
        url="https://example.org/t?utm_source=x",
        date="2025-11-24",
        precision="day",
    )
    source = Source.objects.get(slug="turkey-ready")
    assert (source.text, source.url_key) == ("ANKARA: Turkey is ready to help.\n", "https://example.org/t")
    assert source.history.get().history_change_reason.startswith("command add_source")
    with pytest.raises(CommandError, match="already has this very text"):
        call_command("add_source", str(article), title="Again")
    other = tmp_path / "other.txt"
    other.write_text("Another article.", encoding="utf-8")
    with pytest.raises(CommandError, match="already has this URL"):
        call_command("add_source", str(other), title="Again", url="http://EXAMPLE.org/t/")
    wire = tmp_path / "wire.txt"
    wire.write_text(SEED_B, encoding="utf-8")
    call_command("add_source", str(wire), title="ISF soon")
    reprint = tmp_path / "reprint.txt"
    reprint.write_text(_reprint(SEED_B), encoding="utf-8")
    with pytest.raises(CommandError, match=r"shares \d+% of its five-word .* Add --force to keep both"):
        call_command("add_source", str(reprint), title="Reprint")
    call_command("add_source", str(reprint), title="Reprint", force=True)
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.7")
    with pytest.raises(CommandError, match="is “application/pdf”; the article must be plain text"):
        call_command("add_source", str(binary), title="Scan")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Türkei".encode("latin-1"))
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        call_command("add_source", str(latin), title="Latin")
    assert sorted(Source.objects.values_list("slug", flat=True)) == ["isf-soon", "reprint", "turkey-ready"]


# The admin ----------------------------------------------------------------------------------------------------


def _admin_add(admin_client, **fields):
    url = reverse("admin:events_source_add")
    data = change_form(admin_client, url) | {"title": "Turkey ready", "date": "2025-11-24"} | fields
    return admin_client.post(url, data)


def test_admin_add_takes_a_file_or_pasted_text(admin_client, db):
    upload = SimpleUploadedFile("a.txt", "Turkey is ready.\r\n“Yes,” he said.".encode(), content_type="text/plain")
    response = _admin_add(admin_client, upload=upload)
    assert response.status_code == 302, page_errors(response)
    assert Source.objects.get(slug="turkey-ready").text == "Turkey is ready.\n“Yes,” he said."
    response = _admin_add(admin_client, title="Pasted", text="Pasted text.\r\n")
    assert response.status_code == 302, page_errors(response)
    assert Source.objects.get(slug="pasted").text == "Pasted text.\n"


def test_admin_add_refuses_unreadable_files_and_missing_text(admin_client, db):
    upload = SimpleUploadedFile("a.txt", "Türkei".encode("latin-1"), content_type="text/plain")
    assert "is not UTF-8 text" in page_errors(_admin_add(admin_client, upload=upload))
    assert "Paste the article's text, or choose its file above." in page_errors(_admin_add(admin_client))
    upload = SimpleUploadedFile("a.txt", b"Text.", content_type="text/plain")
    assert "a file or pasted text, not both" in page_errors(_admin_add(admin_client, upload=upload, text="Text."))
    assert not Source.objects.exists()


def test_admin_near_duplicate_needs_the_tick(admin_client, db):
    _seed_source("isf-deploy-very-soon-trump", SEED_B)
    response = _admin_add(admin_client, title="Reprint", text=_reprint(SEED_B))
    assert response.status_code == 200
    assert "“isf-deploy-very-soon-trump” (isf-deploy-very-soon-trump) at" in page_errors(response)
    assert "tick this box and save again" in page_errors(response)
    assert not Source.objects.filter(slug="reprint").exists()
    response = _admin_add(admin_client, title="Reprint", text=_reprint(SEED_B), distinct="on")
    assert response.status_code == 302, page_errors(response)
    response = _admin_add(admin_client, title="Same again", text=SEED_B, distinct="on")
    assert "already has this very text" in page_errors(response)


def _raw_multipart(*parts: tuple[str, bytes, str | None]) -> tuple[bytes, str]:
    """A multipart body built byte by byte: (name, content, filename or None) per part."""
    boundary = b"tracker-boundary"
    body = b""
    for name, content, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += b"--" + boundary + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        body += (b"Content-Type: text/plain\r\n" if filename else b"") + b"\r\n" + content + b"\r\n"
    return body + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


def test_metadata_fields_that_are_not_utf8_or_sent_twice_are_refused(editor):
    """Found from outside: a title's Latin-1 byte was stored as U+FFFD, silently; of two file parts the last won."""
    article = ("file", b"Turkey is ready to help.", "a.txt")
    body, content_type = _raw_multipart(article, ("title", b"M\xfcnchen talks", None))
    response = editor.generic("POST", "/api/v1/sources/", body, content_type=content_type)
    assert_error(response, 415, fields=["title"], contains="The field “title” is not UTF-8 text")
    body, content_type = _raw_multipart(article, ("title", "München talks".encode(), None))
    for twice in (("file", b"Another text.", "b.txt"), ("title", b"Other title", None)):
        body, content_type = _raw_multipart(article, ("title", "München talks".encode(), None), twice)
        response = editor.generic("POST", "/api/v1/sources/", body, content_type=content_type)
        assert_error(response, 400, fields=[twice[0]], contains="was sent 2 times; send it once")
    assert not Source.objects.exists()
    body, content_type = _raw_multipart(article, ("title", "München talks".encode(), None))
    response = editor.generic("POST", "/api/v1/sources/", body, content_type=content_type)
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "München talks"
