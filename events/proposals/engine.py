"""The rules that read an article and propose records. Pure: a source and the known actors and records in, a list
of proposals out; nothing here reads or writes the database.

Each proposal is a span of the text (its excerpt is ``text[start:end]``), the rule that made it and why, and
either a body for the ordinary create endpoint, the existing record to cite instead, the record that already cites
it, or (dates and names) nothing to write.
"""

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.utils.text import slugify

from ..dates import DateMention, ResolvedDate, find_dates, has_said_convention, resolve_date_expression
from ..models import EXCERPT_MAX_LENGTH
from .actors import ActorIndex, KnownActor, Mention, NewActor
from .attribution import Attributor, Who
from .quantities import Quantity, quantities
from .records import KnownCitation, Records, SourceDoc
from .text import ByStart, Paragraph, Quote, Sentence, composed, fold, paragraphs, trimmed, words

# Kinds and actions, as the API documents them.
KINDS = ("statement", "pledge", "event", "actor", "date", "mention")
RESOURCES = {"statement": "statements", "pledge": "pledges", "event": "events", "actor": "actors"}
MAX_EXCERPT = EXCERPT_MAX_LENGTH
# A date phrase that sets a deadline rather than a day: "by March", "until 2026", "before the end of the year".
DEADLINE = re.compile(r"(?:by|until|before)\b", re.IGNORECASE)
MONEY_UNITS = frozenset({"eur", "usd", "gbp"})
MAX_SLUG = 100

SPEECH = (
    r"said|says|told|tells|stated|states|added|adds|continued|continues|explained|explains|warned|warns|noted|"
    r"notes|insisted|insists|wrote|writes|declared|declares|replied|argued|argues|stressed|stresses|acknowledged|"
    r"concluded|urged|urges|reiterated|reiterates|announced|announces|posted|remarked|recalled|emphasised|"
    r"emphasized|cautioned|claimed|claims|confirmed|confirms|vowed|went on"
)
SPEECH_VERB = re.compile(rf"\b(?:{SPEECH})\b")
REPORTING_VERB = re.compile(
    r"\b(?:said|says|told|tells|stated|states|added|warned|warns|called for|calls for|rejected|rejects|opposed|opposes|"
    r"reiterated|reiterates|confirmed|confirms|refused|refuses|condemned|condemns|urged|urges|criticised|"
    r"criticized|insisted|insists|denied|denies|demanded|demands)\b"
)
ACCORDING_TO = re.compile(r"\b[Aa]ccording to (?P<who>[^,.;:“”\"]{2,80})")
TAG_AFTER = re.compile(
    rf"^\s*,?\s*(?P<who>(?:[\w’'.()-]+\s+){{0,9}}?[\w’'.()-]+?)\s+(?:(?:has|had|also|then|later|again)\s+)*"
    rf"(?P<verb>{SPEECH})\b"
)
TAG_INVERTED = re.compile(
    rf"^\s*,?\s*(?P<verb>{SPEECH})\s+(?P<who>(?:[\w’'.()-]+\s+){{0,9}}?[\w’'.()-]+?)"
    r"(?=\s*(?:[,;:!?]|\.(?:\s|$)|\s+(?:in|on|at|during|after|before|when|while|from|who|which|adding|saying)\b|$))"
)
MEDIUMS = (
    (re.compile(r"\bvideo (?:statement|message|address)\b", re.I), "video_statement"),
    (re.compile(r"\b(?:told|to) (?:reporters|journalists)\b", re.I), "remarks_to_reporters"),
    (re.compile(r"\b(?:press|news) conference\b|\bbriefing\b", re.I), "press_conference"),
    (re.compile(r"\b(?:in|during) an interview\b", re.I), "interview"),
    (re.compile(r"\bin a (?:written )?statement\b|\bcommuniqu", re.I), "written_statement"),
    (re.compile(r"\b(?:on X|on Twitter|on social media|posted on)\b", re.I), "social_media"),
    (re.compile(r"\bin a speech\b|\baddressing (?:the|a)\b", re.I), "speech"),
)
# What a pledger provides: "ready to send", "will provide", "is to give".
_GIVE = "provide|send|deploy|contribute|fund|donate|dispatch|train|supply|finance|pay|give|help|host"
# What "commit" takes as a pledge: a qualified number or what is provided.
_COMMITTED = (
    r"(?:about|around|approximately|roughly|some|nearly|up\s+to|more\s+than|over|at\s+least|another|"
    r"an?\s+(?=[\d$€£]|further|additional|contingent|battalion|brigade|unit|team)|"
    r"an\s+additional|additional|further|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|"
    r"hundreds|thousands|dozens|troops|soldiers|forces|police|officers|gendarmes|personnel|funds|funding|money|"
    r"aid|experts|trainers)"
)
COMMITMENT = re.compile(
    r"\b(?:pledg(?:e|es|ed|ing)|offer(?:s|ed|ing)?|volunteer(?:s|ed)|promis(?:e|es|ed)|"
    r"commit(?:s|ted|ting)?\s+(?:to|itself|themselves)\b|"
    # "committed €25m", "will commit 300 troops": a commitment of something counted or named, not "committed a
    # crime" nor the noun "commitment" (a request: "trying to secure the commitment of troops").
    rf"commit(?:s|ted|ting)?(?=\s+(?:(?:{_COMMITTED})\b|[$€£]|US\$|\d))|"
    rf"(?:stands?|stood|is|are|was|were|be|remains?|remained)\s+ready\s+to\s+(?:{_GIVE})|"
    rf"(?:willing|prepared)\s+to\s+(?:{_GIVE})|"
    rf"(?:will|would|shall)\s+(?:also\s+)?(?:{_GIVE})|"
    rf"(?:is|are)\s+to\s+(?:{_GIVE})|"
    r"agreed\s+to\s+(?:send|provide|fund|deploy|train|contribute)|"
    r"announc(?:ed|es)\s+the\s+(?:creation|establishment|launch)\s+of)\b",
    re.IGNORECASE,
)
NEGATION = re.compile(
    r"\b(?:not|no|never|yet to|refus\w*|reject\w*|declin\w*|unwilling|unable|trying to secure|seek\w* to secure)\b"
    r"|n’t|n't",
    re.IGNORECASE,
)
CATEGORIES = (
    ("police_training", re.compile(r"\btrain\w*|\bpolice\b|\bgendarm\w*", re.I)),
    ("governance_reform", re.compile(r"\breform\w*|\bgovernance\b|\bcommittee\b|\belection\w*", re.I)),
    ("funding", re.compile(r"[$€£]|\b(?:fund\w*|financ\w*|million|billion|euros?|dollars?)\b", re.I)),
    ("border_monitoring", re.compile(r"\bborder\w*", re.I)),
    ("justice_sector", re.compile(r"\b(?:judicia\w*|justice|courts?)\b", re.I)),
    ("reconstruction", re.compile(r"\b(?:reconstruct\w*|rebuild\w*)\b", re.I)),
    ("humanitarian_aid", re.compile(r"\b(?:humanitarian|food|medical|aid)\b", re.I)),
    ("troops", re.compile(r"\b(?:troops?|soldiers|forces|peacekeep\w*|military)\b", re.I)),
    ("security", re.compile(r"\b(?:step in|security|protect\w*|guarantee\w*)\b", re.I)),
)
EVENT_WORDS = {
    "diplomatic_meeting": r"meeting|met|summit|talks|gathering|conference",
    "negotiation": r"negotiat\w*|talks|discussions",
    "resolution_vote": r"resolution|vote[ds]?|adopt\w*",
    "agreement": r"agreement|deal|accord|plan",
    "ceasefire": r"ceasefire|truce",
    "ceasefire_violation": r"violat\w*",
    "military_operation": r"operat\w*|strikes|airstrikes|offensive",
    "attack": r"attack\w*|massacre|assault",
    "deployment": r"deploy\w*|stationed",
    "withdrawal": r"withdr\w*",
    "captive_release": r"releas\w*|hostages|captives",
    "announcement": r"announc\w*",
    "press_conference": r"press conference|news conference|told reporters|briefing",
    "establishment": r"establish\w*|creat\w*|founded|launch\w*",
    "humanitarian": r"humanitarian|aid",
}
STOPWORDS = frozenset(
    """a an the of to in on at for and or but that this these those is are was were be been has have had it its
    with by from as will would should could may might must their his her our we they he she i you which who
    there said says told also""".split()
)


@dataclass
class Proposal:
    kind: str
    rule: str
    reason: str
    start: int
    end: int
    excerpt: str
    action: str = "note"  # create, cite, recorded, note
    resource: str | None = None
    body: dict | None = None
    cite_on: dict | None = None  # {resource, slug}
    recorded_on: dict | None = None  # {resource, slug}
    requires: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    # A direct quotation's quoted passages (inner spans): its text is rebuilt from them where the text was read in
    # a composed form (see ``propose``). Not part of what the API shows.
    passages: list[tuple[int, int]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.start}-{self.end}"


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 2}


def overlap(a: Sequence[str], b: Sequence[str]) -> tuple[int, float]:
    """Words of ``a`` and ``b`` matched in order, and their share of the shorter."""
    if not a or not b:
        return 0, 0.0
    matched = sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return matched, matched / min(len(a), len(b))


def is_full_quote(inner: str) -> bool:
    """A quotation that stands as speech, not a fragment quoted inside the writer's sentence (“very soon”,
    “will not accept”): it opens with a capital, or runs to eight words or more."""
    stripped = inner.strip(" …-—–.")
    tokens = stripped.split()
    if not tokens:
        return False
    return (stripped[0].isupper() and len(tokens) >= 4) or len(tokens) >= 8


def is_short_speech(inner: str) -> bool:
    """A quotation too short for ``is_full_quote`` that still reads as a sentence of speech (“We are ready,”):
    a capital, and the punctuation that ends speech or hands over to its tag inside the marks. It counts only where
    it opens its sentence and a speech tag follows (``Reading.quotations``), which a scare quote never has."""
    stripped = inner.strip()
    return bool(stripped) and stripped[0].isupper() and stripped[-1] in ",.!?…"


class Reading:
    """One reading of one source: the text's structure, its names and dates, and the proposals made from them."""

    def __init__(self, source: SourceDoc, actors: Iterable[KnownActor], records: Records):
        self.source = source
        self.text = source.text
        self.records = records
        self.index = ActorIndex(actors)
        self.paragraphs = paragraphs(self.text)
        self.sentences = [s for p in self.paragraphs for s in p.sentences]
        self.mentions = self.index.mentions(self.text)
        self.who = Attributor(self.text, self.index, self.mentions, self.paragraphs)
        self.quotes = [q for p in self.paragraphs for q in p.quotes]
        self.sentence_index = ByStart(self.sentences)
        self.inner_quotes = ByStart(
            [Quote(q.inner_start, q.inner_end, q.inner_start, q.inner_end, q.paragraph) for q in self.quotes]
        )
        self.dates = []
        # Dates are read with the quotations' words blanked: a quotation has its own time and tense ("‘We will
        # send police’ said Barrot on Thursday" is said on the past Thursday).
        masked = list(self.text)
        for quote in self.quotes:
            masked[quote.inner_start : quote.inner_end] = " " * (quote.inner_end - quote.inner_start)
        masked = "".join(masked)
        if source.date is not None:
            for sentence in self.sentences:
                for found in find_dates(
                    sentence.of(masked), base=source.date, base_end=source.base_end, offset=sentence.start
                ):
                    if not self._quoted(found.start):
                        self.dates.append((sentence, found))
        self.dates_index = ByStart([found for _, found in self.dates])
        self.dates_by_sentence: dict[Sentence, list] = {}
        for sentence, found in self.dates:
            self.dates_by_sentence.setdefault(sentence, []).append(found)
        self.named: dict[str, list[int]] = {}
        for mention in self.mentions:
            if mention.actor:
                self.named.setdefault(mention.actor, []).append(mention.start)
        self.slugs: dict[str, set[str]] = {resource: set(slugs) for resource, slugs in records.taken.items()}
        self.new_actors: dict[str, Proposal] = {}
        self.proposals: list[Proposal] = []
        self.headline = self._headline()

    # Helpers --------------------------------------------------------------------------------------------------

    def _headline(self) -> Paragraph | None:
        """The headline: the one-line paragraph among the first three that is the source's title; without a title,
        a first line that does not end like a sentence, when more follows."""
        title = " ".join(self.source.title.split()).casefold()
        for paragraph in self.paragraphs[:3]:
            line = paragraph.of(self.text)
            if "\n" not in line and title and " ".join(line.split()).casefold() == title:
                return paragraph
        if title or len(self.paragraphs) < 2:
            return None
        first = self.paragraphs[0]
        line = first.of(self.text)
        return first if "\n" not in line and not line.rstrip().endswith((".", "!", "?")) else None

    def _in_headline(self, position: int) -> bool:
        return self.headline is not None and self.headline.start <= position < self.headline.end

    def _quoted(self, position: int) -> bool:
        return self.inner_quotes.at(position) is not None

    def sentence_at(self, position: int) -> Sentence | None:
        return self.sentence_index.at(position)

    def _slug(self, resource: str, *parts: str) -> str:
        base = slugify(" ".join(p for p in parts if p))[: MAX_SLUG - 4].strip("-") or resource.rstrip("s")
        taken = self.slugs.setdefault(resource, set())
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        taken.add(slug)
        return slug

    def _citation(self, start: int, end: int) -> dict:
        return {"source": self.source.slug, "excerpt": self.text[start:end]}

    def _date(self, windows: Sequence[tuple[int, int]], speaker: str | None = None) -> tuple[dict, str]:
        """The date of what a passage reports: a date said where its verb is (``windows``: the speech tag, the
        main clause; never inside a quotation, which has its own time, nor "the Oct. 7 massacre", a date that
        names something else); for a quotation, else the date said where its speaker was last named; else the
        codebook's 'has said' convention."""
        if self.source.date is None:
            return {"date_precision": "unknown", "date_note": "The source has no date. Resolved: unknown."}, "none"
        own = [
            found
            for a, b in windows
            for found in self.dates_index.within(a, b)
            if not re.search(r"\bthe\s+$", self.text[max(0, found.start - 10) : found.start]) and self._said_then(found)
        ]
        if own:
            return own[0].resolved.fields(), f"dated by “{own[0].text}”"
        if speaker:
            named = [start for start in self.named.get(speaker, ()) if start < windows[0][0]]
            named += [p.start for p in self.who.people_index.before(windows[0][0]) if p.new and p.new.name == speaker]
            for position in sorted(named, reverse=True):
                dated = [d for d in self.dates_by_sentence.get(self.sentence_at(position), []) if self._said_then(d)]
                if dated:
                    resolved = dated[0].resolved
                    cut = resolved.note.rfind("Resolved:")
                    note = (
                        f"{resolved.note[:cut]}The passage gives no date of its own; the sentence that last names its "
                        f"speaker with a date (“{dated[0].text}”) dates it. {resolved.note[cut:]}"
                    )
                    return replace(
                        resolved, note=note
                    ).fields(), f"dated by “{dated[0].text}” where the speaker was named"
        return has_said_convention(base=self.source.date, base_end=self.source.base_end).fields(), "undated"

    def _said_then(self, found: DateMention) -> bool:
        """Whether a date can be when something was said or announced: not in the future tense ("ready to deploy
        troops next year" is when they would go, not when it was said), and not reaching past the source's date."""
        last = self.source.base_end or self.source.date
        return not found.future and last is not None and found.resolved.date_end <= last

    def _target_date(self, sentence: Sentence, after: int) -> tuple[dict, str] | None:
        """A pledge's target date: a date after its verb in the future tense or after the source's date ("next
        year", "by March", "early 2026"), which says when the commitment is to be delivered, not when it was made."""
        last = self.source.base_end or self.source.date
        for found in self.dates_by_sentence.get(sentence, []):
            if found.start < after or last is None:
                continue
            resolved = found.resolved
            if DEADLINE.match(found.text):
                # "by March" after a commitment is a deadline: the next such month, whatever the verb's tense.
                resolved = resolve_date_expression(
                    found.text, base=self.source.date, base_end=self.source.base_end, future=True
                )
            elif not (found.future or resolved.date > last):
                continue
            if resolved is None:
                continue
            note = f"The target date, from “{found.text}” after the commitment: {resolved.note}"
            return replace(resolved, note=note).fields("target_date"), found.text
        return None

    def _main_clause(self, sentence: Sentence, verb: int) -> tuple[int, int]:
        """From the sentence's start to where what was said begins after its verb ("that", a colon, a quotation)."""
        rest = self.text[verb : sentence.end]
        cut = re.search(r"\bthat\b|[:“\"]", rest)
        return sentence.start, verb + cut.start() if cut else sentence.end

    def _medium(self, start: int, end: int) -> str:
        passage = self.text[start:end]
        # The words of a quotation say nothing of how it was spoken: blank them, keeping the offsets.
        for quote in self.inner_quotes.within(start, end):
            a, b = quote.start - start, min(quote.end, end) - start
            passage = passage[:a] + " " * (b - a) + passage[b:]
        for pattern, medium in MEDIUMS:
            if pattern.search(passage):
                return medium
        told = re.search(r"\btold (?P<who>[A-Z][\w ]+)", passage)
        if told:
            for mention in self.mentions:
                if mention.actor and start + told.start("who") == mention.start:
                    if self.index.actors[mention.actor].kind == "media":
                        return "interview"
        return "unspecified"

    def _speaker_ref(self, who: Who, excerpt: tuple[int, int]) -> tuple[str | None, list[str]]:
        """The slug a body names for ``who``, proposing the new actor first when it is one."""
        if who.actor:
            return who.actor, []
        if who.new is None:
            return None, []
        proposal = self._new_actor(who.new, who.start, who.end)
        return proposal.body["slug"], [proposal.id]

    def _new_actor(self, new: NewActor, start: int, end: int) -> Proposal:
        key = fold(new.name).lower()
        if key in self.new_actors:
            return self.new_actors[key]
        # The excerpt is the title and name as the text gives them ("French Foreign Minister Jean-Noël Barrot").
        named = next((p for p in self.who.people if p.new and p.new.name == new.name), None)
        if named is not None:
            start, end = named.start, named.end
        body = {
            "slug": self._slug("actors", new.name),
            "name": new.name,
            "kind": new.kind,
            "title": new.title,
            "parent": new.parent,
            "country": new.country,
            "citations": [self._citation(start, end)],
        }
        proposal = Proposal(
            "actor", "actor.new", new.reason, start, end, self.text[start:end], "create", "actors", body=body
        )
        proposal.details = {"name": new.name, "kind": new.kind, "title": new.title, "parent": new.parent}
        self.new_actors[key] = proposal
        self.proposals.append(proposal)
        return proposal

    # Direct quotations ------------------------------------------------------------------------------------------

    def quotations(self) -> None:
        attributed: dict[Quote, Who] = {}
        for paragraph in self.paragraphs:
            group: list[Quote] = []
            group_who: Who | None = None
            for quote in paragraph.quotes:
                inner = self.text[quote.inner_start : quote.inner_end]
                full = is_full_quote(inner)
                if not full and not is_short_speech(inner):
                    continue
                who, tag_end = self._tag(quote, paragraph)
                if not full and (who is None or not self._opens_sentence(quote)):
                    continue  # a short capitalised phrase inside the writer's sentence (“Board of Peace”)
                if who is None and group and group_who is not None and group_who.found:
                    if self._follows(group[-1], quote, paragraph) and self.text[quote.start] == "“":
                        group.append(quote)
                        continue
                if group:
                    self._quote_proposal(group, group_who, paragraph)
                if who is None:
                    who = self._continuation(quote, paragraph, attributed)
                group, group_who = [quote], who
                attributed[quote] = who
            if group:
                self._quote_proposal(group, group_who, paragraph)

    def _tag(self, quote: Quote, paragraph: Paragraph) -> tuple[Who | None, int]:
        """The speech tag of a quotation in its own sentence: after it (“…,” Barrot said / said Barrot), before it
        (Netanyahu reiterated … that “…”), or an 'according to'."""
        sentence = self.sentence_at(quote.start) or self.sentence_at(quote.end - 1)
        if sentence is None:
            return None, quote.end
        tail_end = sentence.end
        tail = self.text[quote.end : tail_end]
        tail = re.split(r"[“‘]", tail)[0]
        for pattern in (TAG_INVERTED, TAG_AFTER):
            match = pattern.match(tail)
            if match:
                start, end = quote.end + match.start("who"), quote.end + match.end("who")
                who = self._speaker(start, end)
                return replace(who, rule=f"quote.{'inverted' if pattern is TAG_INVERTED else 'tag'}|{who.rule}"), end
        head = self.text[sentence.start : quote.start]
        verbs = [m for m in SPEECH_VERB.finditer(head) if not self._quoted(sentence.start + m.start())]
        if verbs:
            who = self._subject(sentence.start + verbs[-1].start(), sentence, speech=True)
            if who is not None:
                return replace(who, rule=f"quote.tag_before|{who.rule}"), quote.end
        according = ACCORDING_TO.search(self.text[sentence.start : sentence.end])
        if according:
            start = sentence.start + according.start("who")
            who = self._speaker(start, start + len(according.group("who").rstrip()))
            return replace(who, rule=f"quote.according_to|{who.rule}"), quote.end
        return None, quote.end

    def _subject(self, position: int, sentence: Sentence, *, speech: bool) -> Who | None:
        """The first candidate subject of the verb at ``position`` that names someone; else the last refusal."""
        last = None
        for span in self.who.subject_spans(position, sentence.start):
            phrase = self.text[span[0] : span[1]].lower()
            if phrase in ("which", "who"):
                who = self._antecedent(span[0], sentence)
            elif phrase == "we" and not speech:
                return Who(*span, "we", "pledger.we", "")
            else:
                start, end = trimmed(self.text, *span)
                who = self.who.who(start, end, speech=speech)
            if who.found:
                return who
            last = who
        return last

    def _speaker(self, start: int, end: int) -> Who:
        start, end = trimmed(self.text, start, end)
        return self.who.who(start, end, speech=True)

    def _opens_sentence(self, quote: Quote) -> bool:
        sentence = self.sentence_at(quote.start)
        return sentence is not None and sentence.start == quote.start

    def _follows(self, previous: Quote, quote: Quote, paragraph: Paragraph) -> bool:
        """Whether ``quote`` opens the sentence right after the one holding ``previous`` (two halves of one
        quotation split by a speech tag)."""
        first, second = self.sentence_at(previous.start), self.sentence_at(quote.start)
        return bool(first and second and second.index == first.index + 1 and second.start == quote.start)

    def _continuation(self, quote: Quote, paragraph: Paragraph, attributed: dict[Quote, Who]) -> Who:
        """A paragraph that is only a quotation continues the attributed quotation that ends the paragraph before
        it, by news convention (codebook, Statements); anything else has no speaker."""
        outside = (self.text[paragraph.start : quote.start] + self.text[quote.end : paragraph.end]).strip()
        before = [q for q in attributed if q.paragraph == paragraph.index - 1]
        if not outside and before and attributed[before[-1]].found and self.text[quote.start] == "“":
            previous = attributed[before[-1]]
            reason = (
                f"The paragraph is only this quotation, and the paragraph before ends with a quotation attributed to "
                f"{previous.actor or previous.new.name}: by news convention (codebook, Statements) it continues "
                "that quotation. This is an inference; the coding note says so."
            )
            return replace(previous, rule=f"quote.continuation|{previous.rule.split('|')[-1]}", reason=reason)
        return Who(
            quote.start,
            quote.end,
            "",
            "quote.no_speaker",
            "no speaker found: no speech tag in the quotation's sentence, and no attributed quotation it continues.",
        )

    def _quote_proposal(self, group: list[Quote], who: Who | None, paragraph: Paragraph) -> None:
        first, last = group[0], group[-1]
        start_sentence = self.sentence_at(first.start)
        end_sentence = self.sentence_at(last.end - 1)
        start = min(first.start, start_sentence.start if start_sentence else first.start)
        end = max(last.end, end_sentence.end if end_sentence else last.end)
        text = joined_passages([self.text[q.inner_start : q.inner_end] for q in group])
        halves = f" in {len(group)} halves split by a speech tag" if len(group) > 1 else ""
        cut = ""
        if end - start > MAX_EXCERPT and last.end - first.start <= MAX_EXCERPT:
            # The statement's text must stand in one excerpt, so the excerpt can shrink to the quotation itself
            # (never to one of its sentences): the speaker's name stays in the reason and the body.
            cut = (
                f" Its sentences run to {end - start:,} characters, more than the {MAX_EXCERPT:,} an excerpt may "
                "hold: the excerpt is the quotation alone, marks included, without its speech tag."
            )
            start, end = first.start, last.end
        proposal = Proposal("statement", "quote", "", start, end, self.text[start:end], resource="statements")
        proposal.details = {"quote_type": "direct", "text": text, "quote_start": first.start, "quote_end": last.end}
        proposal.passages = [(q.inner_start, q.inner_end) for q in group]
        if end - start > MAX_EXCERPT:
            # A direct statement's text is the full quotation and must stand in one excerpt (codebook,
            # Statements): a quotation longer than an excerpt may be cannot be cited whole, so nothing is proposed
            # to create rather than a body the API would refuse.
            proposal.rule = "quote.too_long"
            proposal.reason = (
                f"A direct quotation{halves} of {last.end - first.start:,} characters, more than the "
                f"{MAX_EXCERPT:,} a citation's excerpt may hold; a direct statement's text (the full quotation) must "
                "stand in one excerpt, so no statement can be proposed from it. The editor may record it as reported "
                "speech citing parts of it."
                + (f" Its speaker would be: {who.reason}" if who is not None and who.found else "")
            )
            proposal.details["speaker"] = None
            self.proposals.append(proposal)
            return
        if who is None or not who.found:
            why = who.reason if who is not None else "no speaker found."
            proposal.rule = "quote.no_speaker"
            proposal.reason = f"A direct quotation{halves}; {why} The speaker is left for the editor."
            proposal.details["speaker"] = None
            self.proposals.append(proposal)
            return
        speaker, requires = self._speaker_ref(who, (start, end))
        rule = who.rule if "|" in who.rule else f"quote.tag|{who.rule}"
        proposal.rule = rule.split("|")[0]
        proposal.reason = f"A direct quotation{halves}; speaker: {who.reason}{cut}"
        windows = []
        for quote in group:
            sentence = self.sentence_at(quote.start)
            if sentence is None:
                continue
            if quote.start > sentence.start:
                windows.append((sentence.start, quote.start))
            tail = re.search(r"[,;.]", self.text[quote.end + 1 : sentence.end])
            windows.append((quote.end, quote.end + 1 + tail.start() if tail else sentence.end))
        dates, dated = self._date(windows or [(start, start)], who.actor or (who.new.name if who.new else None))
        notes = []
        if proposal.rule == "quote.continuation":
            notes.append("Speaker by news convention: this paragraph continues the previous one's quotation.")
        if "speaker.description" in rule:
            notes.append(f"Speaker inferred from “{who.phrase}” (the nearest such person named before).")
        body = self._statement_body(speaker, who, text, "direct", (start, end), dates, " ".join(text.split()[:6]))
        if notes:
            body["coding_note"] = " ".join(notes)
        proposal.action, proposal.body, proposal.requires = "create", body, requires
        proposal.details["speaker"] = {
            "slug": speaker,
            "name": who.phrase or None,
            "rule": rule.split("|")[-1],
            "new_actor": who.new.name if who.new else None,
        }
        proposal.details["dated"] = dated
        self.proposals.append(proposal)

    def _statement_body(
        self, speaker: str, who: Who, text: str, quote_type: str, span: tuple[int, int], dates: dict, words_of: str
    ) -> dict:
        """A statement as the create endpoint takes it, cited by the passage at ``span``."""
        body = {
            "slug": self._slug("statements", speaker, words_of),
            "speaker": speaker,
            "text": text,
            "quote_type": quote_type,
            "medium": self._medium(*span),
            **dates,
            "citations": [self._citation(*span)],
        }
        if who.role:
            body["speaker_role"] = who.role[:200]
        return body

    # Reported statements ---------------------------------------------------------------------------------------

    def reported(self) -> None:
        quoted = {
            (p.start, p.end)
            for p in self.proposals
            if p.kind == "statement" and p.details.get("quote_type") == "direct" and p.action == "create"
        }
        for sentence in self.sentences:
            if any(s <= sentence.start and sentence.end <= e for s, e in quoted):
                continue
            if self._in_headline(sentence.start):
                continue  # a headline is the outlet's summary, not anyone's statement
            body_text = sentence.of(self.text)
            for verb in REPORTING_VERB.finditer(body_text):
                position = sentence.start + verb.start()
                if self._quoted(position):
                    continue
                who = self._subject(position, sentence, speech=True)
                if who is None or not who.found:
                    continue
                self._reported_proposal(sentence, who, verb.group(0), self._main_clause(sentence, position))
                break

    def _antecedent(self, position: int, sentence: Sentence) -> Who:
        """“Turkey, which previously said”: the relative pronoun's antecedent is the name just before its comma."""
        before = self.text[sentence.start : position].rstrip()
        if before.endswith(","):
            end = sentence.start + len(before) - 1
            known = self.who.known_by_end.get(end)
            if known is not None:
                who = self.who.who(known.start, known.end, speech=True)
                return replace(who, reason=f"“which” refers to “{known.surface}” before it; {who.reason}")
        return Who(position, position, "", "speaker.none", "no speaker found for a relative clause.")

    def _reported_proposal(self, sentence: Sentence, who: Who, verb: str, clause: tuple[int, int]) -> None:
        start, end = sentence.start, sentence.end
        if end - start > MAX_EXCERPT:
            return
        speaker, requires = self._speaker_ref(who, (start, end))
        dates, dated = self._date([clause])
        text = self.text[start:end]
        words_of = " ".join(content_words_ordered(text)[:5])
        body = self._statement_body(speaker, who, text, "reported", (start, end), dates, words_of)
        reason = (
            f"Reported speech: the reporting verb “{verb}” with its subject “{who.phrase}”; {who.reason} "
            "The text is the sentence as written: rewrite it as a neutral paraphrase."
        )
        proposal = Proposal(
            "statement", "reported", reason, start, end, text, "create", "statements", body=body, requires=requires
        )
        proposal.details = {
            "quote_type": "reported",
            "text": text,
            "speaker": {
                "slug": speaker,
                "name": who.phrase,
                "rule": who.rule,
                "new_actor": who.new.name if who.new else None,
            },
            "dated": dated,
        }
        self.proposals.append(proposal)

    # Pledges -----------------------------------------------------------------------------------------------------

    def pledges(self) -> None:
        quote_speakers = {
            (p.details["quote_start"], p.details["quote_end"]): p
            for p in self.proposals
            if p.kind == "statement" and "quote_start" in p.details
        }
        for sentence in self.sentences:
            body_text = sentence.of(self.text)
            for verb in COMMITMENT.finditer(body_text):
                clause_start = max(body_text.rfind(",", 0, verb.start()), body_text.rfind(";", 0, verb.start()), 0)
                if NEGATION.search(body_text[clause_start : verb.start()]) or NEGATION.search(verb.group(0)):
                    continue
                position = sentence.start + verb.start()
                pledger = self._pledger(position, sentence, quote_speakers)
                if pledger is None or not pledger[0].found:
                    continue
                quote = next((p for (s, e), p in quote_speakers.items() if s <= position < e), None)
                speaker = (quote.details.get("speaker") or {}).get("slug") if quote else None
                self._pledge_proposal(sentence, verb, pledger, speaker)
                break

    def _pledger(self, position: int, sentence: Sentence, quote_speakers: dict) -> tuple[Who, str] | None:
        who = self._subject(position, sentence, speech=False)
        if who is not None and who.rule == "pledger.we":
            quote = next(((s, e) for s, e in quote_speakers if s <= position < e), None)
            speaker = quote_speakers[quote].details.get("speaker") if quote else None
            if speaker and speaker.get("slug") in self.index.actors:
                state = self.index.state_of(speaker["slug"])
                if state is not None:
                    why = f"“we” in a quotation of {speaker['slug']}, who speaks for {state.name}"
                    return replace(who, actor=state.slug, reason=why), why
            return None
        if who is None:
            # No subject at all (a headline, an inverted clause): the last actor named before the commitment.
            before = [
                m
                for m in self.who.known.within(sentence.start, position)
                if m.end <= position and not self._quoted(m.start)
            ]
            if not before:
                return None
            mention = before[-1]
            who = Who(
                mention.start,
                mention.end,
                mention.surface,
                "pledger.nearest",
                f"“{mention.surface}” is the last actor named before the commitment; {mention.reason}",
                actor=mention.actor,
            )
        if not who.found:
            return None
        if who.actor:
            actor = self.index.actors[who.actor]
            state = self.index.state_of(actor.slug)
            if actor.kind in ("person", "government") and state is not None and state.slug != actor.slug:
                why = (
                    f"{who.reason} The pledger is {state.name}, the state {actor.name} speaks for (codebook, "
                    "Pledger: a state rather than its ministry or minister)."
                )
                return replace(who, actor=state.slug, rule="pledger.state"), why
        return who, who.reason

    def _pledge_proposal(
        self, sentence: Sentence, verb: re.Match, pledger: tuple[Who, str], speaker: str | None
    ) -> None:
        who, why = pledger
        start, end = sentence.start, sentence.end
        if end - start > MAX_EXCERPT:
            return
        text = sentence.of(self.text)
        after = text[verb.start() :]
        found = quantities(after, offset=start + verb.start()) or quantities(text, offset=start)
        quantity: Quantity | None = found[0] if found else None
        category = next((name for name, pattern in CATEGORIES if pattern.search(after)), "other")
        if quantity is not None and quantity.unit in MONEY_UNITS:
            # Money given is funding, whatever it pays for ("€25m to the police mission").
            category = "funding"
        slug_ref, requires = self._speaker_ref(who, (start, end))
        pledger_name = self.index.actors[who.actor].name if who.actor else who.new.name
        clause = " ".join(re.split(r"[,;]\s", after)[0].strip(' “”"').split())
        title = f"{pledger_name}: {clause}"[:300].rstrip(" .,")
        dates, dated = self._date([(start, end)], speaker)
        body = {
            "slug": self._slug(
                "pledges",
                slug_ref,
                f"{quantity.value} {quantity.unit}" if quantity else "",
                " ".join(content_words_ordered(clause)[:4]),
            ),
            "title": title,
            "description": " ".join(text.split())[:2000],
            "category": category,
            "pledger": slug_ref,
            "status": "announced",
            **dates,
            "citations": [self._citation(start, end)],
        }
        if quantity is not None:
            body |= {"quantity": quantity.value, "unit": quantity.unit, "quantity_approximate": quantity.approximate}
        target = self._target_date(sentence, start + verb.start())
        if target is not None:
            body |= target[0]
        if who.rule in ("pledger.state", "pledger.we"):
            body["coding_note"] = "Pledger: the state, not its minister or ministry (codebook, Pledger)."
        reason = (
            f"A commitment: “{verb.group(0)}”. Pledger: {why}"
            + (f" Quantity: {quantity.reason}" if quantity else " No quantity with a unit is given.")
            + f" Category {category}, from the words of the commitment."
            + (f" Target date from “{target[1]}”, not the pledge's date." if target else "")
        )
        proposal = Proposal("pledge", "pledge", reason, start, end, text, "create", "pledges", body=body)
        proposal.requires = requires
        proposal.details = {
            "pledger": {
                "slug": slug_ref,
                "name": who.phrase,
                "rule": who.rule,
                "new_actor": who.new.name if who.new else None,
            },
            "quantity": (
                {
                    "value": quantity.value,
                    "unit": quantity.unit,
                    "approximate": quantity.approximate,
                    "start": quantity.start,
                    "end": quantity.end,
                }
                if quantity
                else None
            ),
            "category": category,
            "dated": dated,
        }
        self.proposals.append(proposal)

    # Dates and names -----------------------------------------------------------------------------------------

    def notes(self) -> None:
        for _, found in self.dates:
            resolved: ResolvedDate = found.resolved
            reason = resolved.note
            proposal = Proposal("date", "date.relative", reason, found.start, found.end, found.text)
            proposal.details = {
                "date": resolved.date.isoformat(),
                "date_precision": resolved.precision,
                "date_end": resolved.date_end.isoformat(),
                "date_note": resolved.note,
            }
            self.proposals.append(proposal)
        for mention in self.mentions:
            proposal = Proposal("mention", mention.rule, mention.reason, mention.start, mention.end, mention.surface)
            proposal.details = {"actor": mention.actor}
            if mention.actor:
                proposal.recorded_on = {"resource": "actors", "slug": mention.actor}
            self.proposals.append(proposal)

    # Records this source already cites, and records other sources report -----------------------------------

    def _cited_here(self, citations: Iterable[KnownCitation]) -> list[tuple[int, int]]:
        spans = []
        for citation in citations:
            if citation.source != self.source.slug or not citation.excerpt:
                continue
            position = self.text.find(citation.excerpt)
            while position >= 0:
                spans.append((position, position + len(citation.excerpt)))
                position = self.text.find(citation.excerpt, position + 1)
        return spans

    def corroborate(self) -> None:
        for proposal in self.proposals:
            # A quotation whose speaker the text does not give may still be a recorded one: its record says who.
            speakerless = proposal.kind == "statement" and proposal.action == "note"
            if not (proposal.action == "create" or speakerless) or proposal.kind not in ("statement", "pledge"):
                continue
            if proposal.end - proposal.start > MAX_EXCERPT:
                continue  # no citation can hold it
            known = self.records.statements if proposal.kind == "statement" else self.records.pledges
            recorded = self._recorded(proposal, known)
            if recorded is not None:
                record, why = recorded
                proposal.action, proposal.recorded_on = "recorded", {"resource": proposal.resource, "slug": record}
                proposal.reason += f" Already recorded: {why}"
                continue
            match = self._statement_match(proposal) if proposal.kind == "statement" else self._pledge_match(proposal)
            if match is not None:
                slug, why = match
                proposal.action = "cite"
                proposal.cite_on = {"resource": proposal.resource, "slug": slug}
                proposal.reason += f" Corroboration: {why} Cite it there rather than create a second record."
        self._events()

    def headline_twins(self) -> None:
        """A headline pledge that the body proposes too (same pledger and category, and the same quantity, or none
        in the headline) is a citation on the body's pledge, not a second one: the body's sentence, with its date and
        qualifiers, makes the record, and the headline is cited on it once it is created (``requires``)."""
        if self.headline is None:
            return
        pledges = [p for p in self.proposals if p.kind == "pledge" and p.action == "create"]
        for headline in [p for p in pledges if self._in_headline(p.start)]:
            body = headline.body
            twins = [
                p
                for p in pledges
                if not self._in_headline(p.start)
                and p.body["pledger"] == body["pledger"]
                and p.body["category"] == body["category"]
                and (body.get("quantity") is None or p.body.get("quantity") == body.get("quantity"))
            ]
            if not twins:
                continue
            twin = max(
                twins, key=lambda p: (len(content_words(body["title"]) & content_words(p.body["title"])), -p.start)
            )
            same = (
                f"the same quantity ({body['quantity']:,})" if body.get("quantity") else "no quantity in the headline"
            )
            headline.action = "cite"
            headline.cite_on = {"resource": "pledges", "slug": twin.body["slug"]}
            headline.requires = [twin.id]
            headline.reason += (
                f" Headline twin: the body proposes this pledge at {twin.id} (same pledger and category, {same}); "
                f"the body's sentence makes the record and the headline is cited on it: accept {twin.id} first."
            )
            headline.details["headline_of"] = twin.id

    def _recorded(self, proposal: Proposal, known: Iterable) -> tuple[str, str] | None:
        for record in known:
            for start, end in self._cited_here(record.citations):
                shared = min(end, proposal.end) - max(start, proposal.start)
                if shared > 0 and shared >= 0.5 * (proposal.end - proposal.start):
                    return record.slug, f"{proposal.resource[:-1]} {record.slug} cites this passage of the source."
        return None

    def _statement_match(self, proposal: Proposal) -> tuple[str, str] | None:
        speaker = proposal.body["speaker"] if proposal.body else None
        mine = words(proposal.details["text"])
        best = None
        for statement in self.records.statements:
            if speaker is not None and statement.speaker != speaker and speaker in self.index.actors:
                continue
            if proposal.details["quote_type"] == "direct":
                theirs = words(statement.text)
                matched, share = overlap(mine, theirs)
                if matched >= 4 and share >= 0.8:
                    why = f"statement {statement.slug} has the same quoted words ({matched} words, {share:.0%})."
                    best = max(best or (0, "", ""), (share, statement.slug, why))
            elif statement.speaker == speaker:
                a = content_words(proposal.details["text"])
                for text in (statement.text, *(c.excerpt for c in statement.citations)):
                    b = content_words(text)
                    share = len(a & b) / len(a | b) if a and b else 0.0
                    if share >= 0.5:
                        why = (
                            f"statement {statement.slug} by the same speaker says the same ({share:.0%} shared words)."
                        )
                        best = max(best or (0, "", ""), (share, statement.slug, why))
        return (best[1], best[2]) if best else None

    def _pledge_match(self, proposal: Proposal) -> tuple[str, str] | None:
        body = proposal.body
        quantity = body.get("quantity")
        unquantified = []
        for pledge in self.records.pledges:
            if pledge.pledger != body["pledger"] or pledge.category != body["category"]:
                continue
            if quantity is not None and pledge.quantity == quantity:
                unit = body["unit"]
                differs = (
                    f"; the unit differs ({unit} here, {pledge.unit} there), which the editor should reconcile"
                    if unit != pledge.unit
                    else ""
                )
                return pledge.slug, (
                    f"pledge {pledge.slug} has the same pledger, category and quantity ({quantity:,}){differs}."
                )
            if quantity is None and pledge.quantity is not None and self._gives_a_number(proposal):
                continue  # a number the rules could not read may differ from the recorded one
            if quantity is None or pledge.quantity is None:
                unquantified.append((len(content_words(body["title"]) & content_words(pledge.title)), pledge))
        if not unquantified:
            return None
        # A passage that gives no quantity (a headline, a summary) cannot be told apart from the pledger's recorded
        # offer of the same category, and the same holds the other way round; proposing a new record would make
        # the twin the near-duplicate check exists to stop. Where several qualify, the titles' shared words decide.
        share, pledge = max(unquantified, key=lambda item: (item[0], item[1].slug))
        unstated = "this passage gives no quantity" if quantity is None else f"{pledge.slug} records no quantity"
        return pledge.slug, (
            f"pledge {pledge.slug} has the same pledger and category, and {unstated} to tell them apart"
            + (f"; their titles share {share} words." if share else ".")
        )

    def _gives_a_number(self, proposal: Proposal) -> bool:
        """Whether the passage holds a number outside its dates ("a 1,500-man contingent")."""
        dates = self.dates_index.within(proposal.start, proposal.end)
        for match in re.finditer(r"\d+", self.text[proposal.start : proposal.end]):
            position = proposal.start + match.start()
            if not any(d.start <= position < d.end for d in dates):
                return True
        return False

    def _events(self) -> None:
        """A sentence that names an existing event's participants, on a date within its span, in words of its
        type, reports that event."""
        by_sentence: dict[Sentence, list] = {}
        for sentence, found in self.dates:
            by_sentence.setdefault(sentence, []).append(found)
        for sentence, found in by_sentence.items():
            named = {m.actor for m in self.who.known.within(sentence.start, sentence.end)}
            for actor in list(named):
                named |= {a.slug for a in self.index.lineage(actor)[:1]}
            text = sentence.of(self.text)
            for event in self.records.events:
                if not event.participants or event.date is None:
                    continue
                words_of_type = EVENT_WORDS.get(event.event_type)
                if not words_of_type or not re.search(rf"\b(?:{words_of_type})\b", text, re.I):
                    continue
                shared = set(event.participants) & named
                if len(shared) < min(2, len(set(event.participants))):
                    continue
                end = event.date_end or event.date
                dated = [f for f in found if f.resolved.date <= end and event.date <= f.resolved.date_end]
                if not dated:
                    continue
                recorded = any(
                    min(e, sentence.end) - max(s, sentence.start) > 0 for s, e in self._cited_here(event.citations)
                )
                reason = (
                    f"Event {event.slug} ({event.event_type}, {event.date.isoformat()} to {end.isoformat()}) has "
                    f"participants named here ({', '.join(sorted(shared))}), words of its type, and “{dated[0].text}” "
                    f"({dated[0].resolved.date.isoformat()}) falls in its span."
                )
                proposal = Proposal(
                    "event", "event.same", reason, sentence.start, sentence.end, text, resource="events"
                )
                if recorded:
                    proposal.action, proposal.recorded_on = "recorded", {"resource": "events", "slug": event.slug}
                elif sentence.end - sentence.start <= MAX_EXCERPT:
                    proposal.action, proposal.cite_on = "cite", {"resource": "events", "slug": event.slug}
                else:
                    continue
                proposal.details = {"event": event.slug}
                self.proposals.append(proposal)


def content_words_ordered(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 2]


def joined_passages(passages: Sequence[str]) -> str:
    """A quotation's text from its quoted passages: the comma that hands over to a speech tag becomes a full stop
    (codebook, Statements)."""
    text = " ".join(re.sub(r",$", ".", p) if i < len(passages) - 1 else p for i, p in enumerate(passages))
    return text.rstrip(", ")


def propose(source: SourceDoc, actors: Iterable[KnownActor], records: Records | None = None) -> list[Proposal]:
    """Every proposal for the source, in the order of the text, each id once.

    A text with decomposed letters ("e" and a combining diaeresis) is read in its composed form, so that names,
    words and quotation marks match; every span is then mapped back to the text as stored, and every excerpt and
    quoted text taken from it, so that excerpts stay verbatim."""
    text, positions = composed(source.text)
    reading = Reading(replace(source, text=text) if positions else source, actors, _composed_records(records))
    reading.quotations()
    reading.reported()
    reading.pledges()
    reading.corroborate()
    reading.headline_twins()
    reading.notes()
    proposals = reading.proposals
    if positions:
        proposals = [_restored(p, source.text, text, positions) for p in proposals]
    order = {kind: n for n, kind in enumerate(KINDS)}
    return _unique(sorted(proposals, key=lambda p: (p.start, order[p.kind], p.end)))


def _composed_records(records: Records | None) -> Records:
    """Records whose excerpts are found in the composed text (``propose``): their excerpts composed alike."""
    records = records or Records()

    def citations(items):
        return tuple(replace(c, excerpt=composed(c.excerpt)[0]) for c in items)

    return replace(
        records,
        statements=tuple(replace(r, citations=citations(r.citations)) for r in records.statements),
        pledges=tuple(replace(r, citations=citations(r.citations)) for r in records.pledges),
        events=tuple(replace(r, citations=citations(r.citations)) for r in records.events),
    )


def _restored(proposal: Proposal, original: str, text: str, positions: list[int]) -> Proposal:
    """A proposal read in the composed ``text``, with its spans in the ``original`` and its excerpts from it."""

    def span(start: int, end: int) -> tuple[int, int]:
        return positions[start], positions[end]

    start, end = span(proposal.start, proposal.end)
    proposal.start, proposal.end, proposal.excerpt = start, end, original[start:end]
    details = proposal.details
    if "quote_start" in details:
        details["quote_start"], details["quote_end"] = span(details["quote_start"], details["quote_end"])
    if details.get("quantity"):
        details["quantity"]["start"], details["quantity"]["end"] = span(
            details["quantity"]["start"], details["quantity"]["end"]
        )
    if proposal.passages:
        proposal.passages = [span(a, b) for a, b in proposal.passages]
        details["text"] = joined_passages([original[a:b] for a, b in proposal.passages])
    elif details.get("quote_type") == "reported":
        details["text"] = proposal.excerpt
    body = proposal.body
    if body is not None:
        if "text" in body and "text" in details:
            body["text"] = details["text"]
        for citation in body.get("citations", ()):
            found = text.find(citation["excerpt"], max(0, proposal.start - len(citation["excerpt"])))
            found = found if found >= 0 else text.find(citation["excerpt"])
            a, b = span(found, found + len(citation["excerpt"]))
            citation["excerpt"] = original[a:b]
    return proposal


def _unique(proposals: list[Proposal]) -> list[Proposal]:
    """Each id (kind and span) once: where two rules propose the same kind for the same passage, the one that
    writes (create, then cite) is kept, and a direct quotation before a reported statement."""
    rank = {"create": 0, "cite": 1, "recorded": 2, "note": 3}
    best: dict[str, Proposal] = {}
    for proposal in proposals:
        kept = best.get(proposal.id)
        key = (rank[proposal.action], proposal.details.get("quote_type") != "direct")
        if kept is None or key < (rank[kept.action], kept.details.get("quote_type") != "direct"):
            best[proposal.id] = proposal
    return [p for p in proposals if best[p.id] is p]


def mentioned_actors(source: SourceDoc, actors: Iterable[KnownActor]) -> set[str]:
    """The known actors the text names: whose records the corroboration rules need to see."""
    return {m.actor for m in ActorIndex(actors).mentions(composed(source.text)[0]) if m.actor}


__all__ = ["KINDS", "RESOURCES", "Mention", "Proposal", "mentioned_actors", "propose"]
