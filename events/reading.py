"""The reading view of a source (in the admin): the article as it is stored, its citations highlighted where their
excerpts stand, and the passage an editor selects turned into a prefilled add form or a citation on a record.

Nothing here writes. The page's script (events/static/events/reading.js) opens the admin's own add forms, which save
through the services, or posts to the API's citation endpoint, which does too.

The article is rendered so that the text of the page's article element is the source's text exactly, character for
character: no paragraph markup, no added whitespace, only highlight elements around stretches of it (paragraph
breaks show through CSS ``white-space: pre-wrap``). A selection in it is therefore a substring of the source by
construction, and the script maps it back to offsets in that text.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import names, quotes
from .dates import DatePrecision
from .models import CITATION_TARGETS, EXCERPT_MAX_LENGTH, ActorNameKey, Citation, Source, Statement

# The GET parameters of an add form opened from the reading view: the source's id and the passage's offsets in its
# text, in code points (Python string indices). Offsets rather than the excerpt keep the address short (an excerpt
# of 1,000 curly quotes is 9,000 characters percent-encoded) and the excerpt verbatim: the server cuts it.
PASSAGE_PARAMS = ("cite_source", "cite_start", "cite_end")
# Actor names in running text: up to this many words, starting with a word that has a capital or a digit.
MENTION_MAX_WORDS = 6
MAX_ID = 2**63 - 1
KIND_ORDER = ("statement", "pledge", "event", "actor")
_WORD = re.compile(r"[^\s,;:()\[\]“”\"‘«»„!?]+")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")


@dataclass
class Cited:
    """One citation of the source, the record it supports and where its excerpt stands."""

    citation: Citation
    kind: str
    record: models.Model
    change_url: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.record._meta.verbose_name} “{self.record.slug}”"


def occurrences(text: str, excerpt: str) -> list[int]:
    """Every position where ``excerpt`` starts in ``text``, overlapping ones included."""
    found, at = [], text.find(excerpt)
    while at != -1 and excerpt:
        found.append(at)
        at = text.find(excerpt, at + 1)
    return found


def cited(source: Source) -> list[Cited]:
    """The source's citations, each with its record's admin page and every span its excerpt covers."""
    rows = source.citations.select_related(*CITATION_TARGETS).order_by("id")
    result = []
    for citation in rows:
        kind = next(t for t in CITATION_TARGETS if getattr(citation, f"{t}_id") is not None)
        record = getattr(citation, kind)
        url = reverse(f"admin:events_{kind}_change", args=[record.pk])
        spans = [(at, at + len(citation.excerpt)) for at in occurrences(source.text, citation.excerpt)]
        result.append(Cited(citation=citation, kind=kind, record=record, change_url=url, spans=spans))
    return result


def article_html(text: str, citations: list[Cited]) -> SafeString:
    """The text, escaped, with every stretch that some excerpt covers highlighted as a link to the record citing it.

    The highlights are ``mark`` elements that the page's script makes follow their ``data-href``, not ``a href``
    links: Chromium starts no text selection in a link, and selecting is what the page is for (the citation list
    beside the article has plain links).

    Excerpts may overlap (one inside another, two records citing one sentence), so the text is cut at every span's
    ends and each piece links to one citation covering it, naming all of them in its title and data attributes.
    Nothing but the text itself goes between the tags: the element's text is the source's text. ``data-start`` is
    the piece's offset in code points.
    """
    opening: dict[int, list[Cited]] = defaultdict(list)
    closing: dict[int, list[Cited]] = defaultdict(list)
    for c in citations:
        for s, e in c.spans:
            opening[s].append(c)
            closing[e].append(c)
    cuts = sorted({0, len(text), *opening, *closing})
    # A sweep along the text: the citations whose spans are open over each piece, with how many of their spans are
    # (an excerpt's occurrences may overlap one another).
    open_spans: Counter[int] = Counter()
    by_pk = {c.citation.pk: c for c in citations}
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        open_spans.subtract(c.citation.pk for c in closing.get(start, ()))
        open_spans.update(c.citation.pk for c in opening.get(start, ()))
        covering = [by_pk[pk] for pk, count in open_spans.items() if count > 0]
        # The link goes to the most specific record: the shortest excerpt, then a statement, pledge or event
        # before an actor (whose citations often cover whole paragraphs).
        covering.sort(key=lambda c: (len(c.citation.excerpt), KIND_ORDER.index(c.kind), c.citation.pk))
        chunk = escape(text[start:end])
        if not covering:
            pieces.append(chunk)
            continue
        first = covering[0]
        pieces.append(
            f'<mark class="cite cite-{first.kind}{" cite-several" if len(covering) > 1 else ""}" role="link" '
            f'tabindex="0" data-href="{escape(first.change_url)}" data-start="{start}" '
            f'data-citations="{" ".join(str(c.citation.pk) for c in covering)}" '
            f'title="{escape("; ".join(c.label for c in covering))}">{chunk}</mark>'
        )
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text above went through escape()


def _words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text)]


def mentions(text: str) -> list[dict]:
    """Every name or alias of a known actor in the text, compared by name key (case, spacing and look-alike letters
    set aside, as actor names are), with its span in code points. A word's trailing full stop or possessive is
    tried both ways ("the U.S." and "Turkey’s")."""
    words = _words(text)
    candidates: dict[str, list[tuple[int, int]]] = {}
    for i, (start, _) in enumerate(words):
        first = text[words[i][0] : words[i][1]]
        if not any(ch.isupper() or ch.isdigit() for ch in first):
            continue
        for j in range(i, min(i + MENTION_MAX_WORDS, len(words))):
            end = words[j][1]
            phrase = text[start:end]
            variants = {end}
            trimmed = _POSSESSIVE.sub("", phrase.rstrip("."))
            variants.add(start + len(trimmed))
            variants.add(start + len(phrase.rstrip(".")))
            for stop in variants:
                if stop > start:
                    candidates.setdefault(names.name_key(text[start:stop]), []).append((start, stop))
    found = []
    keys = list(candidates)
    # Chunks keep each IN list under SQLite's bound on query parameters.
    for offset in range(0, len(keys), 500):
        rows = ActorNameKey.objects.filter(key__in=keys[offset : offset + 500]).select_related("actor")
        for row in rows:
            for start, end in candidates[row.key]:
                found.append({"start": start, "end": end, "actor": row.actor.slug, "name": row.actor.name})
    # Where one name holds another ("European Union Police" and "European Union"), keep the longest.
    found.sort(key=lambda m: (m["start"], -(m["end"] - m["start"]), m["actor"]))
    kept: list[dict] = []
    for mention in found:
        if kept and mention["start"] < kept[-1]["end"]:
            continue
        kept.append(mention)
    return kept


@dataclass(frozen=True)
class Passage:
    source: Source
    start: int
    end: int

    @property
    def excerpt(self) -> str:
        return self.source.text[self.start : self.end]


def passage_from(params) -> Passage | None:
    """The passage an add form was opened for (``PASSAGE_PARAMS``), None when none was given; a ValidationError
    that says what is wrong when the parameters do not name a passage of a source."""
    if not any(name in params for name in PASSAGE_PARAMS):
        return None
    try:
        source_id, start, end = (int(params.get(name, "")) for name in PASSAGE_PARAMS)
    except ValueError:
        raise ValidationError("The passage to cite needs a source id, a start and an end (whole numbers).") from None
    source = Source.objects.filter(pk=source_id).first() if 0 < source_id <= MAX_ID else None
    if source is None:
        raise ValidationError(f"No source has the id {source_id}.")
    if not 0 <= start < end <= len(source.text):
        raise ValidationError(f"{start} to {end} is not a passage of source “{source.slug}”.")
    return Passage(source=source, start=start, end=end)


def add_initial(model: type[models.Model], passage: Passage | None, initial: dict) -> dict:
    """An add form's initial values: what the address gave, references as slugs (the API's bodies name records by
    slug) or ids, and, for a passage, what it makes obvious. The editor sees and corrects all of it before saving."""
    initial = dict(initial)
    for name, value in list(initial.items()):
        try:
            f = model._meta.get_field(name)
        except FieldDoesNotExist:  # any other parameter stays as Django's admin leaves it
            continue
        if f.is_relation and f.related_model is not None and hasattr(f.related_model, "slug"):
            initial[name] = _references(f.related_model, value)
            if not f.many_to_many:
                initial[name] = initial[name][0] if initial[name] else None
        elif isinstance(f, models.BooleanField):
            # A check box's initial "false" would be a non-empty string, and ticked.
            initial[name] = str(value).lower() in ("true", "1", "on")
    if passage is None:
        return initial
    source = passage.source
    # A record reported by an article is dated against it; the source's own date is where the editor starts,
    # unless the address dates the record itself (a proposal's "on Thursday"): the date's parts go together, and
    # the source's end beside a proposal's day was a form that could not be saved unedited (found from outside).
    hints = {}
    if not {"date", "date_precision", "date_end"} & set(initial):
        hints = {"date": source.date, "date_precision": source.date_precision}
        if source.date_precision == DatePrecision.APPROXIMATE:
            hints["date_end"] = source.date_end  # only an approximate date's end is the editor's to set
    if model is Statement:
        # The codebook's direct statement: the quoted words, joined across a speech tag; else reported words.
        quoted = quotes.joined_quotation(passage.excerpt)
        hints["text"] = quoted or passage.excerpt
        hints["quote_type"] = Statement.QuoteType.DIRECT if quoted else Statement.QuoteType.REPORTED
    for name, value in hints.items():
        if value is not None and name not in initial:
            initial[name] = value
    return initial


def _references(model: type[models.Model], value) -> list[int]:
    values = value if isinstance(value, list) else str(value).split(",")
    values = [v.strip() for v in values if v.strip()]
    by_slug = dict(model.objects.filter(slug__in=values).values_list("slug", "pk"))
    ids = {int(v) for v in values if v not in by_slug and v.isascii() and v.isdigit() and int(v) <= MAX_ID}
    known = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return [
        by_slug[v] if v in by_slug else int(v)
        for v in values
        if v in by_slug or (v.isascii() and v.isdigit() and int(v) in known)
    ]


RESOURCES = {"statement": "statements", "pledge": "pledges", "event": "events"}


def page(model_admin, request, source: Source):
    """The reading view's page (the admin has checked the view permission)."""
    citations = cited(source)
    site = model_admin.admin_site
    registry = site._registry
    models_by_kind = {kind: model for model in registry if (kind := model._meta.model_name) in RESOURCES}
    data = {
        "source": {"id": source.pk, "slug": source.slug},
        "proposals_url": reverse("source-detail", kwargs={"slug": source.slug}) + "proposals/",
        "resources": {
            kind: {
                "plural": plural,
                "name": str(models_by_kind[kind]._meta.verbose_name),
                "api_list": reverse(f"{kind}-list"),
                "add_url": reverse(f"admin:events_{kind}_add")
                if registry[models_by_kind[kind]].has_add_permission(request)
                else None,
                "can_cite": registry[models_by_kind[kind]].has_change_permission(request),
            }
            for kind, plural in RESOURCES.items()
        },
        "mentions": mentions(source.text),
        "excerpt_max_length": EXCERPT_MAX_LENGTH,
    }
    context = {
        **site.each_context(request),
        "title": f"Reading “{source}”",
        "opts": Source._meta,
        "source": source,
        "article": article_html(source.text, citations),
        "citations": citations,
        "text": source.text,
        "data": data,
        "change_url": reverse("admin:events_source_change", args=[source.pk]),
    }
    return render(request, "admin/events/source/read.html", context)
