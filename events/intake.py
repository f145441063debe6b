"""Bringing an article in: its bytes read as text, its URL as a comparison key, its text as word shingles.

The API's upload, the admin's Source form and ``manage.py add_source`` all read a file through ``upload_text``,
and the services compare a new source with the existing ones through ``url_key`` and ``shingles``
(services.source_create).
"""

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Plain text only: an article is kept byte for byte as text, and citations are found in it character by character.
TEXT_TYPES = ("text/plain",)
# What browsers and curl send for a file they cannot type.
UNTYPED = ("", "application/octet-stream")
UTF8_NAMES = ("utf-8", "utf8", "us-ascii", "ascii")
# C0 controls other than tab, line feed, form feed and carriage return do not occur in text: they mark a binary file.
BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class UnreadableText(Exception):
    """The upload is not UTF-8 plain text. Nothing was stored. ``field`` names the part that is not (the file, or
    a metadata field sent beside it)."""

    def __init__(self, message: str, *, field: str = "file"):
        super().__init__(message)
        self.field = field


def upload_text(data: bytes, *, content_type: str | None, name: str, charset: str | bytes | None = None) -> str:
    """The article in ``data`` as text, refusing (UnreadableText, saying why) anything but UTF-8 plain text.

    ``content_type`` is the media type the client declared, with its parameters or with ``charset`` apart (as
    Django's uploaded files keep it).
    A UTF-8 byte order mark is dropped; line endings are left to the services, which store LF.
    """
    media, _, parameters = (content_type or "").partition(";")
    media = media.strip().lower()
    if media not in TEXT_TYPES and not (media in UNTYPED and name.lower().endswith(".txt")):
        what = f"“{media}”" if media else "of no declared type"
        raise UnreadableText(
            f"The file “{name}” is {what}; the article must be plain text: text/plain, or a file named .txt."
        )
    if isinstance(charset, bytes):  # Django's multipart parser keeps a part's charset as bytes
        charset = charset.decode("latin-1")
    charset = (charset or "").lower() or next(
        (
            v.strip().strip('"').lower()
            for k, _, v in (p.partition("=") for p in parameters.split(";"))
            if k.strip().lower() == "charset"
        ),
        "",
    )
    # Only a well-formed charset name is repeated back in a message.
    charset = charset if re.fullmatch(r"[a-z0-9._:-]{1,40}", charset) else ""
    declared = charset if charset and charset not in UTF8_NAMES else ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableText(
            f"The file “{name}” is not UTF-8 text{f' (declared charset {declared})' if declared else ''}: byte "
            f"{error.start} (0x{data[error.start]:02X}) does not decode. Convert it to UTF-8 first, e.g. "
            f"`iconv -f {(declared or _likely_encoding(data)).upper()} -t UTF-8`."
        ) from None
    binary = BINARY.search(text)
    wide = declared or _likely_encoding(data)
    if binary is not None and wide.startswith("utf-"):
        raise UnreadableText(
            f"The file “{name}” looks like {wide.upper()} text, not UTF-8. Convert it to UTF-8 first, e.g. "
            f"`iconv -f {wide.upper()} -t UTF-8`."
        )
    if binary is not None:
        raise UnreadableText(
            f"The file “{name}” looks binary, not text: it has the control character "
            f"U+{ord(binary.group()):04X} at character {binary.start() + 1}."
        )
    return text.removeprefix("\ufeff")


def _likely_encoding(data: bytes) -> str:
    """The encoding a file that is not UTF-8 most likely has, for the hint in the refusal: its byte order mark, or
    the zero bytes that UTF-16 puts beside every ASCII character, or else Windows' Western code page."""
    for mark, encoding in ((b"\xff\xfe\x00\x00", "utf-32le"), (b"\x00\x00\xfe\xff", "utf-32be")):
        if data.startswith(mark):
            return encoding
    if data.startswith(b"\xff\xfe"):
        return "utf-16le"
    if data.startswith(b"\xfe\xff"):
        return "utf-16be"
    sample = data[:4096]
    if len(sample) >= 4:
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return "utf-16le"
        if even > len(sample) // 4 and odd == 0:
            return "utf-16be"
    return "windows-1252"


# URLs ---------------------------------------------------------------------------------------------------------

# Parameters that say how a reader arrived, not which article it is.
TRACKING = re.compile(
    r"^(utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|_gl|ocid|cmpid)$"
)
DEFAULT_PORTS = {"http": "80", "https": "443"}


def url_key(url: str) -> str:
    """The URL as compared for duplicates: http and https alike, the host in lower case without a default port,
    no trailing slash, no fragment, no tracking parameters (utm_*, fbclid, gclid…), the other parameters sorted.
    Empty for an empty URL. A key is for comparison only; the source keeps its URL as entered."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    scheme = "https" if scheme in ("http", "https") else scheme
    host = (parts.hostname or "").rstrip(".")
    port = parts.port if parts.port is not None and str(parts.port) not in DEFAULT_PORTS.values() else None
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k.lower()))
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


# Shingles -----------------------------------------------------------------------------------------------------

# Word n-grams of this length: long enough that two articles on one story share few by chance (names and stock
# phrases are shorter), short enough that light editing of wire copy leaves most of them.
SHINGLE_WORDS = 5
# The share of the shorter text's shingles that the other must have too for a source to be a near-duplicate.
NEAR_DUPLICATE_SHARE = 0.5
# One shingle in this many is kept in the index (by its hash, so two texts keep the same ones): a shared sampled
# shingle points at a candidate, whose whole text is then compared.
SAMPLE_EVERY = 4
WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's words, case folded and accents set aside, punctuation and quotation marks ignored."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


def shingles(text: str) -> set[int]:
    """The text's word shingles, each as a signed 64-bit hash (what the index stores)."""
    w = words(text)
    return {
        int.from_bytes(
            hashlib.blake2b(" ".join(w[i : i + SHINGLE_WORDS]).encode(), digest_size=8).digest(), "big", signed=True
        )
        for i in range(len(w) - SHINGLE_WORDS + 1)
    }


def sampled(hashes: set[int]) -> set[int]:
    return {h for h in hashes if h % SAMPLE_EVERY == 0}


def shared_share(a: set[int], b: set[int]) -> float:
    """Containment: the share of the smaller set's shingles that the other has too (0 when either has none). A
    wire story reprinted with a paragraph cut or added still shares most of the shorter copy, where the Jaccard
    index would fall with the length difference."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
