"""The article as paragraphs, sentences and quotations, each a span of Python string indices into the text.

Every excerpt a proposal offers is ``text[start:end]`` of these spans, so it is verbatim by construction. Spans are
trimmed of surrounding whitespace, never altered inside.
"""

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

# A title, an initial or a month before a full stop does not end a sentence ("U.S. officials", "Oct. 7").
ABBREVIATIONS = frozenset(
    """u.s u.n u.k e.u mr mrs ms dr gen lt col sgt maj capt rep sen gov prof st jr sr no nos inc ltd co corp vs e.g
    i.e a.m p.m jan feb mar apr jun jul aug sep sept oct nov dec approx est dept""".split()
)
OPENING, CLOSING = "“", "”"
# Where a quotation can open: double marks, curly or straight, and single ones (‘, or a straight ' told apart from
# an apostrophe, see _single_quotes).
OPENING_MARKS = "“‘\"'"


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]

    def __contains__(self, position: int) -> bool:
        return self.start <= position < self.end


@dataclass(frozen=True)
class Quote(Span):
    """A quotation: ``start``/``end`` include its marks, ``inner_start``/``inner_end`` do not."""

    inner_start: int
    inner_end: int
    paragraph: int


@dataclass(frozen=True)
class Sentence(Span):
    paragraph: int
    index: int


@dataclass
class Paragraph:
    start: int
    end: int
    index: int
    quotes: list[Quote] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def fold(text: str) -> str:
    """The text with accents removed and typographic apostrophes and quotation marks made plain, character for
    character, so that a match in the folded text is at the same indices in the original ("Jean-Noel" finds
    "Jean-Noël")."""
    return "".join(_fold_char(c) for c in text)


_PLAIN = {"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "‐": "-", "‑": "-"}


def _fold_char(char: str) -> str:
    if char in _PLAIN:
        return _PLAIN[char]
    if char.isascii():
        return char
    base = unicodedata.normalize("NFD", char)[0]
    return base if len(base) == 1 and not unicodedata.combining(base) else char


def composed(text: str) -> tuple[str, list[int] | None]:
    """The text with its decomposed letters composed (NFC: "e" and U+0308 become "ë", as a macOS export may
    store them), for matching only, and where each of its positions is in the text (one more, for the end); None
    when the text is composed already. Each base letter and the combining marks after it are composed on their own,
    so that every position of the result maps to the start of the letter it comes from."""
    if unicodedata.is_normalized("NFC", text):
        return text, None
    parts: list[str] = []
    positions: list[int] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index < len(text) and unicodedata.combining(text[index]):
            continue
        part = unicodedata.normalize("NFC", text[start:index])
        parts.append(part)
        positions += [start] * len(part)
        start = index
    positions.append(len(text))
    return "".join(parts), positions


PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs (blank-line separated), each with its quotations and sentences."""
    found: list[Paragraph] = []
    position = 0
    for match in [*PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        start, stop = trimmed(text, position, end)
        if start < stop:
            paragraph = Paragraph(start, stop, len(found))
            paragraph.quotes = _quotes(text, paragraph)
            paragraph.sentences = _sentences(text, paragraph)
            found.append(paragraph)
        position = match.end() if match else len(text)
    return found


STRAIGHT = re.compile(r'"([^"\n]*)"')


def _quotes(text: str, paragraph: Paragraph) -> list[Quote]:
    """Matched pairs of double quotation marks, curly or straight. An unmatched mark (a stray closing quote) pairs
    with nothing: it is left alone rather than guessed at."""
    quotes: list[Quote] = []
    body = paragraph.of(text)
    depth_start = None
    for offset, char in enumerate(body):
        if char == OPENING:
            depth_start = offset
        elif char == CLOSING and depth_start is not None:
            quotes.append(_quote(paragraph, depth_start, offset + 1))
            depth_start = None
    if body.count('"') % 2 == 0:
        quotes += [_quote(paragraph, m.start(), m.end()) for m in STRAIGHT.finditer(body)]
    quotes += _single_quotes(text, paragraph, [(q.start, q.end) for q in quotes])
    return sorted(quotes, key=lambda q: q.start)


# Words that follow a closing mark as its speech tag (‘…’ said Barrot): the one place a closing single mark may be
# followed by a space and a word.
TAG_VERB = re.compile(r"\s+(?:said|says|told|tells|added|adds|asked|replied|wrote|continued|stated|declared)\b")


def _single_quotes(text: str, paragraph: Paragraph, double: list[tuple[int, int]]) -> list[Quote]:
    """Pairs of single quotation marks (‘…’, or straight '…'), told apart from apostrophes (Trump’s, officers’
    training, ’90s): an opening mark starts a word after the paragraph's start, a space or opening punctuation; a
    closing mark follows punctuation that ends speech ([.,!?…]), or precedes one ([,.;:!?]) or a speech verb, and
    never a letter or digit. Single marks inside a double quotation are a quotation within it, not another one."""
    quotes: list[Quote] = []
    opened = None
    for position in range(paragraph.start, paragraph.end):
        char = text[position]
        if char not in "‘’'" or any(start <= position < end for start, end in double):
            continue
        before = text[position - 1] if position > paragraph.start else ""
        after = text[position + 1] if position + 1 < paragraph.end else ""
        closes = (
            opened is not None
            and char in "’'"
            and before
            and not before.isspace()
            and not after.isalnum()
            and (before in ".,!?…" or (after and after in ",.;:!?") or bool(TAG_VERB.match(text, position + 1)))
        )
        if closes:
            if char == "'" == text[opened] or (char == "’" and text[opened] == "‘"):
                quotes.append(_quote(paragraph, opened - paragraph.start, position + 1 - paragraph.start))
                opened = None
            continue
        if (
            char in "‘'"
            and (not before or before.isspace() or before in "([{—–-")
            and after
            and (after.isalpha() or after == "…")
        ):
            opened = position
    return quotes


def _quote(paragraph: Paragraph, start: int, end: int) -> Quote:
    base = paragraph.start
    return Quote(base + start, base + end, base + start + 1, base + end - 1, paragraph.index)


BOUNDARY = re.compile(r"[.!?]+[”\"’)\]]*(?=\s+[“\"‘(\[A-Z0-9])|\n")


def _sentences(text: str, paragraph: Paragraph) -> list[Sentence]:
    """Sentences of a paragraph: a full stop, question or exclamation mark (with any closing quote after it)
    before a capital, digit or opening quote, or a line break; never inside a quotation, after an abbreviation or
    after an initial."""
    body = paragraph.of(text)
    base = paragraph.start
    inside = [(q.start - base, q.end - base) for q in paragraph.quotes]
    cuts = [0]
    for match in BOUNDARY.finditer(body):
        end = match.end()
        if match.group(0) != "\n":
            if any(start < match.start() and match.end() < stop for start, stop in inside):
                continue
            word = re.search(r"(\S+)$", body[: match.start()])
            token = word.group(1).lower().strip('“"‘(') if word else ""
            if (
                token.rstrip(".") in ABBREVIATIONS
                or re.fullmatch(r"[a-z]", token)
                or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token)
            ):
                continue
        cuts.append(end)
    cuts.append(len(body))
    sentences = []
    for start, stop in zip(cuts, cuts[1:], strict=False):
        start, stop = trimmed(body, start, stop)
        if start < stop:
            sentences.append(Sentence(base + start, base + stop, paragraph.index, len(sentences)))
    return sentences


def _of(self, text: str) -> str:
    return text[self.start : self.end]


Paragraph.of = _of


def sentence_at(paragraph: Paragraph, position: int) -> Sentence | None:
    return next((s for s in paragraph.sentences if s.start <= position < s.end), None)


WORD = re.compile(r"[\w’'.-]+")


def words(text: str) -> list[str]:
    """Words as compared between two passages: folded, lower case, punctuation at their ends dropped."""
    return [w.strip(".-'").lower() for w in WORD.findall(fold(composed(text)[0])) if w.strip(".-'")]


class ByStart:
    """Items with a ``start``, sorted, to find those in a range by bisection: a long article holds thousands of
    names and sentences, and a scan per lookup would make reading it quadratic."""

    def __init__(self, items: Sequence):
        self.items = sorted(items, key=lambda item: item.start)
        self.starts = [item.start for item in self.items]

    def within(self, start: int, end: int) -> list:
        """Items starting in start:end."""
        return self.items[bisect.bisect_left(self.starts, start) : bisect.bisect_left(self.starts, end)]

    def before(self, position: int) -> list:
        """Items starting before ``position``."""
        return self.items[: bisect.bisect_left(self.starts, position)]

    def at(self, position: int):
        """The item whose span holds ``position`` (spans do not overlap), or None."""
        index = bisect.bisect_right(self.starts, position) - 1
        if index >= 0 and position < self.items[index].end:
            return self.items[index]
        return None
