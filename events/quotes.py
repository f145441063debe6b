"""Quotations in an excerpt (CODEBOOK.md, Statements): the words a direct statement may hold.

A quotation interrupted by a speech tag (“…,” Barrot continued. “…”) is one quotation in two halves. Its text is
the quoted passages in order, without the tag; the comma that hands over to the tag becomes a full stop.
"""

import re

QUOTED = re.compile(r"“([^”]*)”")
# A word, with the punctuation inside it (3,000; U.S; It’s): what "the same words" compares.
WORD = re.compile(r"\w+(?:[’'.,-]\w+)*")


def quoted_passages(excerpt: str) -> list[str]:
    """The passages an excerpt puts in double quotation marks, in order."""
    return QUOTED.findall(excerpt)


def joined_quotation(excerpt: str) -> str:
    """The excerpt's quoted passages as one text, the speech tags between them left out."""
    passages = quoted_passages(excerpt)
    return " ".join(re.sub(r",$", ".", p) if i < len(passages) - 1 else p for i, p in enumerate(passages))


def stands_in(text: str, excerpt: str) -> bool:
    """Whether a direct statement's text stands in the excerpt, verbatim or across the halves of its quotation."""
    return text in excerpt or text in joined_quotation(excerpt)


def words(text: str) -> list[str]:
    return WORD.findall(text)
