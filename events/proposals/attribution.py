"""Who a phrase names, and which phrase is the subject of a verb: the attribution rules shared by quotations,
reported statements and pledges. Every answer carries its rule and a reason; where the text does not say who, the
answer says so instead of guessing."""

import re
from dataclasses import dataclass, replace

from .actors import DEMONYMS, PERSON_NAME, TITLE_WORDS, ActorIndex, Mention, NewActor
from .text import ByStart, Paragraph, fold

PRONOUNS_PERSON = frozenset({"he", "she"})
PRONOUNS_THING = frozenset({"it"})
RELATIVES = frozenset({"which", "who", "that"})
# Between a subject and its verb: auxiliaries and adverbs ("has also", "have stated unequivocally").
AUXILIARY = re.compile(
    r"(?:\s+(?:has|have|had|is|are|was|were|will|would|shall|could|can|also|previously|recently|again|then|later|once|further|now|"
    r"already|repeatedly|publicly|\w+ly))+\s*$",
    re.IGNORECASE,
)
PLURAL_TITLES = frozenset({"leaders", "officials", "ministers", "diplomats", "negotiators", "spokespeople", "sources"})
ORGANISATION_WORDS = frozenset(
    """watch council ministry agency office group force forces union organisation organization committee party
    movement association institute bank fund news times post press mission army command authority front brigade
    brigades government court commission league alliance""".split()
)
# Words of a place's name, not a person's ("Gaza City", "West Bank").
CITY_WORDS = frozenset({"city", "strip", "bank", "street", "square", "camp", "province", "district", "region"})
# A state's organs that speak for it ("the Qatari foreign ministry said").
ORGANS = frozenset({"ministry", "government"})
CONNECTORS = frozenset({"of", "for", "and", "de", "al", "bin", "von", "van", "da", "del"})
DETERMINERS = frozenset({"the", "a", "an"})
DESCRIPTION = re.compile(
    r"\b[Tt]he (?:[a-z-]+ ){0,2}(?:minister|president|secretary-general|spokesperson|spokesman|spokeswoman|"
    r"ambassador|envoy|chief|commander|official|chancellor|king|emir|leader)\b"
)
POSSESSIVE = re.compile(r"^(?P<owner>.+?)['’]s\s+(?P<rest>\S.*)$", re.DOTALL)
POSSESSIVE_BEFORE = re.compile(r"(?P<owner>\S+)['’]s\s+$")
TOKEN = re.compile(r"\(\d+\)|[\w’'.-]+|[^\w\s]")


@dataclass(frozen=True)
class Who:
    """Who a phrase names: a known actor (``actor``), a new one (``new``), or no one (both None: ``reason`` says
    why no one was found)."""

    start: int
    end: int
    phrase: str
    rule: str
    reason: str
    actor: str | None = None
    new: NewActor | None = None
    role: str = ""

    @property
    def found(self) -> bool:
        return self.actor is not None or self.new is not None


@dataclass(frozen=True)
class Person:
    """A person the text names, known or new, at a position: what "he" and "the minister" can refer to."""

    start: int
    end: int
    actor: str | None
    new: NewActor | None
    title: str
    surface: str

    @property
    def key(self) -> str:
        return self.actor or (self.new.name if self.new else self.surface)


class Attributor:
    def __init__(self, text: str, index: ActorIndex, mentions: list[Mention], paragraphs: list[Paragraph]):
        self.text = text
        self.folded = fold(text)
        self.index = index
        self.mentions = mentions
        self.known = ByStart([m for m in mentions if m.actor])
        self.known_by_end = {m.end: m for m in mentions if m.actor}
        self.paragraphs = ByStart(paragraphs)
        self.people = self._people()
        self.people_index = ByStart(self.people)

    # People named in the text ---------------------------------------------------------------------------------

    def _people(self) -> list[Person]:
        people = []
        for mention in self.mentions:
            actor = self.index.get(mention.actor)
            if actor is not None and actor.kind == "person":
                people.append(Person(mention.start, mention.end, actor.slug, None, actor.title, mention.surface))
            elif mention.actor is None:
                new = self._titled_person(mention)
                if new is not None:
                    people.append(Person(*new))
        return people

    def _titled_person(self, mention: Mention) -> tuple | None:
        """An unknown name with a title before it ("Turkish Foreign Minister Hakan Fidan") is a new person."""
        alone = self.index.new_person(mention.surface)
        if alone is not None:
            # The capitalised run holds the title too: "Turkish Foreign Minister Hakan Fidan".
            return (mention.start, mention.end, None, alone, alone.title, mention.surface)
        line_start = self.text.rfind("\n", 0, mention.start) + 1
        before = self.text[line_start : mention.start]
        owner = POSSESSIVE_BEFORE.search(before)
        if owner is not None and PERSON_NAME.match(mention.surface) and len(mention.surface.split()) in (2, 3):
            known = self.index.known_at(self.mentions, line_start + owner.end("owner"))
            if known is not None:
                plain = NewActor(mention.surface, "person", "", None, "", "")
                new = self._owned(plain, known)
                start = line_start + owner.start("owner")
                return (start, mention.end, None, new, "", self.text[start : mention.end])
        words = before.split()[-6:]
        for size in range(len(words), 0, -1):
            title = " ".join(words[-size:])
            if any(c in title for c in ',.;:“”"'):
                continue
            new = self.index.new_person(f"{title} {mention.surface}")
            if new is not None and new.name == mention.surface:
                start = mention.start - len(before) + before.rfind(title)
                return (start, mention.end, None, new, new.title, self.text[start : mention.end])
        return None

    def paragraph_of(self, position: int) -> Paragraph | None:
        return self.paragraphs.at(position)

    # Phrases --------------------------------------------------------------------------------------------------

    def subject_spans(self, position: int, floor: int):
        """Candidate spans for the subject of a verb at ``position``, best first: the phrase ending just before it
        (auxiliaries, adverbs and a closing quotation mark aside), then, after a parenthetical set off by commas
        ("Israeli leaders, including …, have stated"), the phrases before each comma in turn."""
        head = self.text[floor:position]
        stripped = AUXILIARY.sub("", head).rstrip()
        end = floor + len(stripped.rstrip('”"'))
        yield from self._spans_ending(end, floor, whole=False)
        if not self.text[floor:end].endswith(","):
            return
        cut = end - 1
        for _ in range(6):
            previous = self.text.rfind(",", floor, cut)
            segment_start = floor if previous < 0 else previous + 1
            segment = self.text[segment_start:cut]
            seg_start = segment_start + len(segment) - len(segment.lstrip())
            for span in self._spans_ending(cut, floor, whole=True):
                if span[0] == seg_start:
                    yield span
            if previous < 0:
                break
            cut = previous

    def _spans_ending(self, end: int, floor: int, *, whole: bool):
        known = self.known_by_end.get(end)
        if known is not None and known.start >= floor:
            yield known.start, known.end
        span = self._phrase_ending(end, floor)
        if span is not None:
            phrase = self.text[span[0] : span[1]]
            if (
                any(c.isupper() for c in phrase)
                or phrase.lower()
                in PRONOUNS_PERSON
                | PRONOUNS_THING
                | RELATIVES
                | {
                    "we",
                    "they",
                }
                or phrase.lower().split()[0] in DETERMINERS
            ):
                yield span

    def _with_title(self, start: int, floor: int) -> int:
        return start

    def _phrase_ending(self, end: int, floor: int) -> tuple[int, int] | None:
        """The longest run of name, title and determiner words ending at ``end``."""
        tokens = [(m.start() + floor, m.end() + floor, m.group(0)) for m in TOKEN.finditer(self.text[floor:end])]
        taken: list[tuple[int, int, str]] = []
        for token in reversed(tokens):
            word = token[2]
            lower = word.lower().rstrip(".")
            if word[:1].isupper() or re.fullmatch(r"\(\d+\)", word) or lower in TITLE_WORDS | PLURAL_TITLES | ORGANS:
                taken.append(token)
            elif lower in CONNECTORS and taken:
                taken.append(token)
            elif lower in DETERMINERS | PRONOUNS_PERSON | PRONOUNS_THING | RELATIVES | {"they", "we"} and (
                not taken or lower in DETERMINERS
            ):
                taken.append(token)
                break
            else:
                break
            if len(taken) > 12:
                return None
        while taken and taken[-1][2].lower() in CONNECTORS:
            taken.pop()
        while taken and taken[0][2].lower() in CONNECTORS:
            taken.pop(0)
        if not taken:
            return None
        return taken[-1][0], taken[0][1]

    # Who ------------------------------------------------------------------------------------------------------

    def who(self, start: int, end: int, *, speech: bool) -> Who:
        """Who the phrase at ``start:end`` names. ``speech``: the phrase is a speaker (a quotation's or a
        statement's), so "it" is not resolved; otherwise (a pledger) "it" is the last organisation named."""
        phrase = self.text[start:end]
        lower = phrase.lower().strip()
        words = lower.split()
        paragraph = self.paragraph_of(start)
        if lower in PRONOUNS_PERSON:
            return self._pronoun(start, end, phrase, paragraph)
        if lower in PRONOUNS_THING | RELATIVES | {"they", "we"}:
            if lower == "it" and not speech:
                return self._it(start, end, phrase, paragraph)
            return Who(start, end, phrase, "speaker.none", f"no speaker found: “{phrase}” names no one by itself.")
        owned = self._possessed(start, end, phrase, speech=speech)
        if owned is not None:
            return owned
        inside = [m for m in self.known.within(start, end) if m.end <= end]
        if inside and not any(self.index.actors[m.actor].kind == "person" for m in inside):
            # "EU foreign policy chief Kaja Kallas": a known actor in the title of a person not yet known.
            new = self.index.new_person(phrase)
            if new is not None and not any(m.surface in new.name for m in inside):
                return Who(start, end, phrase, "speaker.new_actor", new.reason, new=new, role=new.title)
        if inside:
            return self._known(start, end, phrase, inside)
        organ = self._state_organ(start, end, phrase)
        if organ is not None:
            return organ
        if words and words[0] in DETERMINERS:
            # "The United Kingdom", "the Netherlands": a country named with its article is still the country.
            state = self.index.new_state(phrase.split(None, 1)[1]) if len(words) > 1 else None
            if state is not None:
                return Who(start, end, phrase, "speaker.new_actor", state.reason, new=state)
            return self._description(start, end, phrase, words)
        for person in self.people_index.before(start):
            if person.new is not None and phrase.strip() in person.new.name.split():
                reason = f"“{phrase}” is the surname of {person.new.name}, named at {person.start} as a new person."
                return Who(start, end, phrase, "speaker.new_actor_surname", reason, new=person.new)
        new = self.index.new_person(phrase) or self.index.new_state(phrase)
        if new is not None:
            return Who(start, end, phrase, "speaker.new_actor", new.reason, new=new, role=new.title)
        tokens = phrase.split()
        if (
            PERSON_NAME.match(phrase.strip())
            and 2 <= len(tokens) <= 3
            and not {t.lower() for t in tokens} & (ORGANISATION_WORDS | TITLE_WORDS)
        ):
            new = NewActor(
                name=phrase.strip(),
                kind="person",
                title="",
                parent=None,
                country="",
                reason=f"A new person: “{phrase.strip()}” is named like a person; the text gives no title or parent.",
            )
            return Who(start, end, phrase, "speaker.new_actor", new.reason, new=new)
        return Who(start, end, phrase, "speaker.none", f"no speaker found: “{phrase}” matches no actor or name.")

    def _state_organ(self, start: int, end: int, phrase: str) -> Who | None:
        """ "the Qatari foreign ministry", "the Egyptian government": a state's ministry or government speaks for
        the state where the state is a known actor and the organ is not one itself."""
        tokens = phrase.split()
        if tokens and tokens[0].lower() in DETERMINERS:
            tokens = tokens[1:]
        if len(tokens) < 2 or tokens[0] not in DEMONYMS or tokens[-1].lower() not in ORGANS:
            return None
        state = self.index.by_name(DEMONYMS[tokens[0]][0]) if DEMONYMS[tokens[0]][0] else None
        if state is None:
            return None
        reason = f"“{phrase}” is an organ of {state.name} ({state.slug}), which it speaks for."
        return Who(start, end, phrase, "speaker.state_organ", reason, actor=state.slug, role=phrase.strip())

    def _possessed(self, start: int, end: int, phrase: str, *, speech: bool) -> Who | None:
        """ "Turkey’s Hakan Fidan": the person after a known actor's possessive is who the phrase names, a new person
        with that actor as parent where not known; the possessor only says whose they are."""
        owned = POSSESSIVE.match(phrase)
        if owned is None:
            return None
        owner_end = start + owned.end("owner")
        owner = next((m for m in self.known.within(start, owner_end) if m.end == owner_end), None)
        if owner is None:
            return None
        rest = self.who(start + owned.start("rest"), end, speech=speech)
        if rest.actor is not None and self.index.actors[rest.actor].kind == "person":
            return replace(rest, start=start, phrase=phrase)
        if rest.new is None or rest.new.kind != "person":
            return None
        new = self._owned(rest.new, owner)
        return Who(start, end, phrase, "speaker.new_actor", new.reason, new=new, role=new.title)

    def _owned(self, new: NewActor, owner: Mention) -> NewActor:
        actor = self.index.actors[owner.actor]
        state = self.index.state_of(actor.slug)
        reason = (
            f"A new person: “{new.name}”, named as {actor.name}’s (“{owner.surface}’s {new.name}”); "
            f"{actor.name} ({actor.slug}) is the parent."
        )
        return replace(new, parent=actor.slug, country=new.country or (state.country if state else ""), reason=reason)

    def _known(self, start: int, end: int, phrase: str, inside: list[Mention]) -> Who:
        people = [m for m in inside if self.index.actors[m.actor].kind == "person"]
        chosen = (people or inside)[-1]
        actor = self.index.actors[chosen.actor]
        words = phrase.lower().split()
        head = next((w for w in words if w in TITLE_WORDS - CONNECTORS - DETERMINERS - {"senior", "top"}), None)
        if not people and head and words.index(head) < len(words) and phrase.lower().find(head) < chosen.start - start:
            # "the commander of the US Central Command": a person of that actor with that title.
            child = self._member(actor.slug, head)
            if child is not None:
                reason = (
                    f"“{phrase}” describes a {head} of {actor.name}: {child.name} ({child.slug}) is the one known "
                    f"actor under {actor.slug} with “{head}” in their name or title."
                )
                return Who(start, end, phrase, "speaker.member", reason, actor=child.slug, role=phrase.strip())
            if head not in ("officials", "leaders"):
                return Who(
                    start,
                    end,
                    phrase,
                    "speaker.none",
                    f"no speaker found: “{phrase}” describes a {head} of {actor.name}, and no known actor is that.",
                )
        return Who(start, end, phrase, "speaker.known", chosen.reason, actor=actor.slug)

    def _member(self, parent: str, head: str):
        members = [
            a
            for a in self.index.actors.values()
            if a.parent == parent and a.kind == "person" and head in f"{a.name} {a.title}".lower()
        ]
        return members[0] if len(members) == 1 else None

    def _pronoun(self, start: int, end: int, phrase: str, paragraph: Paragraph | None) -> Who:
        within = [p for p in self.people_index.within(paragraph.start, start) if p.end <= start] if paragraph else []
        if paragraph is not None:
            # "The minister said … “…,” he said": a person described in the paragraph counts as named there.
            for match in DESCRIPTION.finditer(self.text, paragraph.start, start):
                who = self._description(match.start(), match.end(), match.group(0), match.group(0).lower().split())
                if who.found:
                    title = self.index.actors[who.actor].title if who.actor else who.new.title
                    within.append(Person(match.start(), match.end(), who.actor, who.new, title, match.group(0)))
            # The surname alone of a new person named earlier ("Fidan said later. He added …") names them here.
            for person in self.people_index.before(paragraph.start):
                if person.new is None or person.new.kind != "person":
                    continue
                surname = person.new.name.split()[-1]
                for match in re.finditer(rf"\b{re.escape(surname)}\b", self.text[paragraph.start : start]):
                    at = paragraph.start + match.start()
                    within.append(Person(at, at + len(surname), None, person.new, person.title, surname))
            within.sort(key=lambda p: p.start)
        if within:
            # Only one person named before it in the paragraph makes a pronoun safe to resolve: with two or more,
            # the last named is often not the one meant ("Barrot met Kallas … he said"), and no gender or role is
            # used to choose. Names that look like a person's but match no actor count among the candidates too.
            candidates = {}
            for person in within:
                candidates.setdefault(person.key, self._person_name(person))
            if paragraph is not None:
                for mention in self.mentions:
                    if paragraph.start <= mention.start and mention.end <= start and self._untitled_person(mention):
                        candidates.setdefault(mention.surface, mention.surface)
            if len(candidates) > 1:
                names = ", ".join(candidates.values())
                reason = (
                    f"no speaker found: “{phrase}” could be any of the {len(candidates)} people named before it in the "
                    f"paragraph ({names}); a pronoun is resolved only when one person is named there."
                )
                return Who(start, end, phrase, "speaker.none", reason)
            person = within[-1]
            name = self._person_name(person)
            reason = f"“{phrase}” is the one person named before it in the same paragraph: {name} (“{person.surface}”)."
            return Who(start, end, phrase, "speaker.pronoun", reason, actor=person.actor, new=person.new)
        earlier = [p for p in self.people_index.before(start) if p.end <= start]
        hint = (
            f" The last person named before it, “{earlier[-1].surface}”, is in an earlier paragraph;" if earlier else ""
        )
        reason = (
            f"no speaker found: “{phrase}” names no one in its own paragraph.{hint} pronouns are resolved only "
            "within the paragraph."
        )
        return Who(start, end, phrase, "speaker.none", reason)

    def _person_name(self, person: Person) -> str:
        return self.index.actors[person.actor].name if person.actor else person.new.name

    def _untitled_person(self, mention: Mention) -> bool:
        """A name that matches no actor and reads like a person's ("Kaja Kallas"): two or three capitalised words,
        none of an organisation, a title or a place the index knows."""
        if mention.actor is not None or any(p.start <= mention.start < p.end for p in self.people):
            return False
        tokens = mention.surface.split()
        return (
            2 <= len(tokens) <= 3
            and bool(PERSON_NAME.match(mention.surface))
            and not {t.lower() for t in tokens} & (ORGANISATION_WORDS | TITLE_WORDS | CITY_WORDS)
            and self.index.new_state(mention.surface) is None
        )

    def _it(self, start: int, end: int, phrase: str, paragraph: Paragraph | None) -> Who:
        floor = paragraph.start if paragraph else 0
        before = [
            m for m in self.known.within(floor, start) if m.end <= start and self.index.actors[m.actor].kind != "person"
        ]
        if not before:
            return Who(start, end, phrase, "speaker.none", f"no pledger found: “{phrase}” names no one before it.")
        chosen = before[-1]
        reason = f"“{phrase}” refers to the last organisation named before it in the paragraph, “{chosen.surface}”."
        return Who(start, end, phrase, "speaker.pronoun", reason, actor=chosen.actor)

    def _description(self, start: int, end: int, phrase: str, words: list[str]) -> Who:
        head = words[-1]
        if words[0] != "the" or head not in TITLE_WORDS | PLURAL_TITLES:
            return Who(
                start, end, phrase, "speaker.none", f"no speaker found: “{phrase}” does not name who (unnamed speaker)."
            )
        candidates = [
            p for p in self.people_index.before(start) if p.end <= start and head in f"{p.title} {p.surface}".lower()
        ]
        if not candidates:
            reason = f"no speaker found: no {head} is named before “{phrase}”."
            return Who(start, end, phrase, "speaker.none", reason)
        person = candidates[-1]
        name = self.index.actors[person.actor].name if person.actor else person.new.name
        reason = f"“{phrase}” is the nearest {head} named before it: {name} (“{person.surface}”)."
        return Who(start, end, phrase, "speaker.description", reason, actor=person.actor, new=person.new, role=phrase)
