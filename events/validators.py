"""The verbatim rule, and the explanation of a refusal: where an excerpt differs from the closest passage of its
source, and the article's own version of it. Every door (the model, the services, the admin, the API's
serializers) refuses through ``verbatim_refusal``, so every door explains the same way."""

import difflib
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from rapidfuzz import fuzz

# Characters an editor types for the ones an article prints: each maps one character to one, so that a position
# in the loosened text is the same position in the original.
_LOOSE = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f\u2002\u2003\u2004\u2005\u2006\u3000\t\n\r", " "),
    }
)
# A passage is offered only when it is this close (rapidfuzz's 0-100 partial ratio) to what was sent; anything
# less would be a guess, not the article's version of the same words.
MIN_CLOSENESS = 70
# Enough differences to show a pattern (every quotation mark straight), few enough to read.
MAX_DIFFERENCES = 3


@dataclass(frozen=True)
class Difference:
    at: int  # 1-based character of the excerpt where the article differs
    article: str
    sent: str


@dataclass(frozen=True)
class Passage:
    """The closest passage of an article to an excerpt that is not in it."""

    start: int
    end: int
    text: str
    differences: tuple[Difference, ...]


def _loose(text: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text.translate(_LOOSE))


def closest_passage(source_text: str, excerpt: str) -> Passage | None:
    """The passage of ``source_text`` that ``excerpt`` was most likely copied from, or None if none is close.

    First the excerpt is looked up with quotation marks, apostrophes, dashes, spaces and case loosened (the usual
    reasons a pasted excerpt misses). Failing that, rapidfuzz aligns it with the text, and the passage is widened to
    every character that matches, so that a word left out or added still yields the whole passage.
    """
    if not excerpt.strip() or not source_text:
        return None
    loose_text, loose_excerpt = _loose(source_text), _loose(excerpt)
    start = loose_text.find(loose_excerpt)
    if start >= 0:
        end = start + len(excerpt)
    else:
        aligned = fuzz.partial_ratio_alignment(loose_excerpt, loose_text, score_cutoff=MIN_CLOSENESS)
        if aligned is None or len(loose_excerpt) > len(loose_text):
            return None
        margin = len(excerpt) // 2 + 1
        low, high = max(0, aligned.dest_start - margin), min(len(source_text), aligned.dest_end + margin)
        blocks = [
            b
            for b in difflib.SequenceMatcher(
                None, loose_excerpt, loose_text[low:high], autojunk=False
            ).get_matching_blocks()
            if b.size
        ]
        if not blocks:
            return None
        # Grow to the excerpt's own edges where the unmatched ends are as long on both sides (a changed first or
        # last character), so that the article's version replaces the whole excerpt.
        first, last = blocks[0], blocks[-1]
        start = low + first.b - min(first.a, first.b)
        end = low + last.b + last.size + min(len(excerpt) - last.a - last.size, high - low - last.b - last.size)
    passage = source_text[start:end]
    return Passage(start=start, end=end, text=passage, differences=tuple(differences(excerpt, passage)))


def differences(excerpt: str, passage: str) -> list[Difference]:
    """Where ``excerpt`` departs from ``passage``, character positions counted in the excerpt."""
    spans: list[list[int]] = []
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(None, excerpt, passage, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        # Changes a character or two apart are one change to a reader ("accep" for "rejec", not three).
        if spans and a1 - spans[-1][1] < 3 and b1 - spans[-1][3] < 3:
            spans[-1][1], spans[-1][3] = a2, b2
        else:
            spans.append([a1, a2, b1, b2])
    found = []
    for a1, a2, b1, b2 in spans:
        # A change inside a word is shown as the whole word ("Paris" for "Brussels", not "Pari" for "Brussel").
        while a1 > 0 and b1 > 0 and excerpt[a1 - 1].isalnum() and _alnum_edge(excerpt[a1:a2], passage[b1:b2], 0):
            a1, b1 = a1 - 1, b1 - 1
        while (
            a2 < len(excerpt)
            and b2 < len(passage)
            and excerpt[a2].isalnum()
            and _alnum_edge(excerpt[a1:a2], passage[b1:b2], -1)
        ):
            a2, b2 = a2 + 1, b2 + 1
        found.append(Difference(at=a1 + 1, article=passage[b1:b2], sent=excerpt[a1:a2]))
    return found


def _alnum_edge(sent: str, article: str, index: int) -> bool:
    return any(part and part[index].isalnum() for part in (sent, article))


def _shown(text: str) -> str:
    """A few characters with their code points (’ (U+2019)), since quotation marks look alike; longer text quoted."""
    if not text:
        return "nothing"
    if len(text) <= 3 and not text.isalnum():
        return " ".join(
            f"{c if unicodedata.category(c)[0] not in 'CZ' else unicodedata.name(c, 'a control character').lower()} "
            f"(U+{ord(c):04X})"
            for c in text
        )
    return f"“{text}”"


def verbatim_messages(*, source_text: str, excerpt: str, source_label: str) -> tuple[list[str], str | None]:
    """Why ``excerpt`` is not verbatim in the source, as messages, and the article's version if one is close
    (None otherwise): ``([], None)`` when it is verbatim."""
    if excerpt in source_text:
        return [], None
    messages = [
        f"This excerpt is not verbatim in source “{source_label}”. Copy it exactly from the article text, "
        "including quotation marks, apostrophes and dashes."
    ]
    passage = closest_passage(source_text, excerpt)
    if passage is None:
        messages.append("No passage of the article is close to it.")
        return messages, None
    shown = passage.differences[:MAX_DIFFERENCES]
    for d in shown:
        messages.append(
            f"The article has {_shown(d.article)} at character {d.at} of the excerpt; you sent {_shown(d.sent)}."
        )
    if len(passage.differences) > len(shown):
        messages.append(f"…and {len(passage.differences) - len(shown)} more difference(s).")
    messages.append(f"The article's version: {passage.text}")
    return messages, passage.text


def validate_verbatim(*, source_text: str, excerpt: str, source_label: str) -> None:
    """Refuse an excerpt that does not stand, character for character, in its source's text, saying where the
    closest passage differs and what the article has."""
    if not excerpt or not excerpt.strip():
        raise ValidationError({"excerpt": "An excerpt cannot be empty."})
    messages, _ = verbatim_messages(source_text=source_text, excerpt=excerpt, source_label=source_label)
    if messages:
        raise ValidationError({"excerpt": messages})
