"""Who the text names: known actors by name, alias or a person's surname, capitalised names that match no actor,
and new actors parsed from a title and a name ("French Foreign Minister Jean-Noël Barrot")."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..names import name_key
from .text import fold


@dataclass(frozen=True)
class KnownActor:
    slug: str
    name: str
    kind: str
    title: str = ""
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    country: str = ""

    @classmethod
    def from_fixture(cls, item: dict) -> "KnownActor":
        """An actor as fixtures/actors.json writes it (the evaluation and the tests read the story's actors so)."""
        return cls(
            slug=item["slug"],
            name=item["name"],
            kind=item["kind"],
            title=item.get("title", ""),
            parent=item.get("parent"),
            aliases=tuple(item.get("aliases", ())),
            country=item.get("country_code", ""),
        )


@dataclass(frozen=True)
class Mention:
    """A name in the text: of a known actor (``actor`` its slug) or of none (``actor`` None)."""

    start: int
    end: int
    surface: str
    actor: str | None
    rule: str  # actor.name, actor.alias, actor.surname, actor.unknown_name
    reason: str


@dataclass(frozen=True)
class NewActor:
    """An actor the text introduces, as the write API takes it."""

    name: str
    kind: str
    title: str
    parent: str | None
    country: str
    reason: str


# Nationality adjectives and the countries they name (for a new actor's parent and country).
DEMONYMS = {
    "Afghan": ("Afghanistan", "AF"),
    "Algerian": ("Algeria", "DZ"),
    "American": ("United States", "US"),
    "Australian": ("Australia", "AU"),
    "Austrian": ("Austria", "AT"),
    "Azerbaijani": ("Azerbaijan", "AZ"),
    "Bahraini": ("Bahrain", "BH"),
    "Belgian": ("Belgium", "BE"),
    "Brazilian": ("Brazil", "BR"),
    "British": ("United Kingdom", "GB"),
    "Canadian": ("Canada", "CA"),
    "Chinese": ("China", "CN"),
    "Cypriot": ("Cyprus", "CY"),
    "Danish": ("Denmark", "DK"),
    "Dutch": ("Netherlands", "NL"),
    "Egyptian": ("Egypt", "EG"),
    "Emirati": ("United Arab Emirates", "AE"),
    "Finnish": ("Finland", "FI"),
    "French": ("France", "FR"),
    "German": ("Germany", "DE"),
    "Greek": ("Greece", "GR"),
    "Indian": ("India", "IN"),
    "Indonesian": ("Indonesia", "ID"),
    "Iranian": ("Iran", "IR"),
    "Iraqi": ("Iraq", "IQ"),
    "Irish": ("Ireland", "IE"),
    "Israeli": ("Israel", "IL"),
    "Italian": ("Italy", "IT"),
    "Japanese": ("Japan", "JP"),
    "Jordanian": ("Jordan", "JO"),
    "Kuwaiti": ("Kuwait", "KW"),
    "Lebanese": ("Lebanon", "LB"),
    "Moroccan": ("Morocco", "MA"),
    "Norwegian": ("Norway", "NO"),
    "Omani": ("Oman", "OM"),
    "Pakistani": ("Pakistan", "PK"),
    "Palestinian": ("", "PS"),
    "Polish": ("Poland", "PL"),
    "Portuguese": ("Portugal", "PT"),
    "Qatari": ("Qatar", "QA"),
    "Russian": ("Russia", "RU"),
    "Saudi": ("Saudi Arabia", "SA"),
    "Spanish": ("Spain", "ES"),
    "Swedish": ("Sweden", "SE"),
    "Swiss": ("Switzerland", "CH"),
    "Syrian": ("Syria", "SY"),
    "Turkish": ("Turkey", "TR"),
    "Ukrainian": ("Ukraine", "UA"),
}
# Words of a title, not of a name: "Foreign Minister", "Secretary-General", "foreign policy chief".
TITLE_WORDS = frozenset(
    """president vice prime minister ministers foreign defence defense interior finance affairs secretary
    secretary-general general spokesperson spokesman spokeswoman ambassador envoy special chief head commander
    king queen emir crown prince chancellor senator deputy representative high official officials senior
    director chair chairman chairwoman leader policy mayor governor army navy police colonel lieutenant major
    captain admiral sheikh for of and the to europe european state security national adviser advisor
    coordinator negotiator undersecretary under-secretary assistant acting former top""".split()
)
# Capitalised words that open a sentence or a clause without naming anyone.
FUNCTION_WORDS = frozenset(
    """a an the in on at of for to and or but if as by from with without after before during despite since
    while when where which who whose this that these those it its he she they we i you his her their our my
    however meanwhile initially currently according regarding although though also there here not no yes
    besides then thus still yet so some many most all both each every other another such what how why
    popular latest receive photo""".split()
)
CALENDAR_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)

TOKEN = r"[A-ZÀ-ÖØ-Þ][\w’'.-]*"
CAPITALISED_RUN = re.compile(
    rf"{TOKEN}(?:(?:[ \t]+(?:of|for|and|the|de|al|bin|von|van|da|del|la|le)){{0,2}}[ \t]+{TOKEN})*"
)
PERSON_NAME = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w’'-]*\s+){0,2}[A-ZÀ-ÖØ-Þ][\w’'-]+$")


COUNTRIES = {name: code for name, code in DEMONYMS.values() if name}


def _is_acronym(form: str) -> bool:
    return not any(c.islower() for c in form)


class ActorIndex:
    """The known actors, with every surface form that names one: names, aliases and (where no one else answers to
    it) a person's surname."""

    def __init__(self, actors: Iterable[KnownActor]):
        self.actors = {a.slug: a for a in actors}
        forms: dict[str, tuple[str, str, str]] = {}  # surface form → (slug, rule, reason)
        for actor in self.actors.values():
            for form, rule in ((actor.name, "actor.name"), *((alias, "actor.alias") for alias in actor.aliases)):
                what = "name" if rule == "actor.name" else "alias"
                forms.setdefault(form, (actor.slug, rule, f"“{form}” is the {what} of actor {actor.slug}."))
        by_key = {name_key(form): slug for form, (slug, _, _) in forms.items()}
        surnames: dict[str, set[str]] = {}
        for actor in self.actors.values():
            parts = actor.name.split()
            if actor.kind == "person" and len(parts) >= 2 and PERSON_NAME.match(actor.name) and len(parts[-1]) >= 3:
                surnames.setdefault(parts[-1], set()).add(actor.slug)
        for surname, slugs in surnames.items():
            # A surname that another actor's name or alias already is, or that two people share, names no one.
            if len(slugs) == 1 and name_key(surname) not in by_key:
                (slug,) = slugs
                reason = f"“{surname}” is the surname of {self.actors[slug].name} ({slug}), and no other actor's."
                forms[surname] = (slug, "actor.surname", reason)
        self.forms = forms
        self.by_key = {name_key(fold(form)): value for form, value in forms.items()}
        ordered = sorted(forms, key=len, reverse=True)
        # Acronyms ("US" is not "us") and surnames are matched with their case; other names in any case.
        exact = [re.escape(fold(f)) for f in ordered if _is_acronym(f) or forms[f][1] == "actor.surname"]
        loose = [re.escape(fold(f)) for f in ordered if not (_is_acronym(f) or forms[f][1] == "actor.surname")]
        boundary = r"(?<![\w-])(?:{})(?![\w])"
        self._exact = re.compile(boundary.format("|".join(exact))) if exact else None
        self._loose = re.compile(boundary.format("|".join(loose)), re.IGNORECASE) if loose else None

    # Mentions -----------------------------------------------------------------------------------------------

    def mentions(self, text: str) -> list[Mention]:
        """Every known actor's name or alias in the text, longest first, never overlapping; then the capitalised
        names around them that match no actor."""
        folded = fold(text)
        candidates = []
        for pattern in (self._exact, self._loose):
            if pattern is None:
                continue
            for match in pattern.finditer(folded):
                value = self.by_key.get(name_key(match.group(0)))
                if value is not None:
                    candidates.append((match.start(), match.end(), value))
        taken: list[Mention] = []
        occupied = [False] * (len(text) + 1)
        for start, end, (slug, rule, reason) in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
            if any(occupied[start:end]):
                continue
            occupied[start:end] = [True] * (end - start)
            taken.append(Mention(start, end, text[start:end], slug, rule, reason))
        return sorted(taken + self._unknown(text, occupied), key=lambda m: m.start)

    def _unknown(self, text: str, occupied: Sequence[bool]) -> list[Mention]:
        unknown = []
        for match in CAPITALISED_RUN.finditer(text):
            start, end = match.span()
            if any(occupied[start:end]):
                continue
            tokens = match.group(0).split()
            # Leading function words ("The", "In") and a trailing full stop are not part of a name.
            while tokens and tokens[0].lower().strip(".") in FUNCTION_WORDS | CALENDAR_WORDS:
                start += len(tokens[0])
                start += len(text[start:]) - len(text[start:].lstrip())
                tokens = tokens[1:]
            if not tokens:
                continue
            end = start + len(" ".join(tokens)) if text[start:end].count("\n") == 0 else end
            surface = text[start:end].rstrip(".,’'")
            end = start + len(surface)
            lowered = {t.lower().strip(".,") for t in surface.split()}
            if lowered <= TITLE_WORDS | CALENDAR_WORDS | FUNCTION_WORDS | {d.lower() for d in DEMONYMS}:
                continue
            if len(surface) < 2 or surface.isdigit():
                continue
            before = text[:start].rstrip()
            if " " not in surface and (not before or before[-1] in '.!?:“"\n(' or text[start - 1] == "\n"):
                # One capitalised word opening a sentence or a line is only capitalised because it opens it.
                continue
            reason = f"“{surface}” is capitalised like a name and matches no actor's name or alias."
            unknown.append(Mention(start, end, surface, None, "actor.unknown_name", reason))
        return unknown

    # Relations ----------------------------------------------------------------------------------------------

    @staticmethod
    def known_at(mentions: Sequence[Mention], end: int) -> Mention | None:
        """The known actor's mention that ends at ``end``, if any."""
        return next((m for m in mentions if m.actor and m.end == end), None)

    def get(self, slug: str | None) -> KnownActor | None:
        return self.actors.get(slug) if slug else None

    def lineage(self, slug: str) -> list[KnownActor]:
        """The actor and its parents, nearest first (a cycle is cut where it closes)."""
        chain, seen = [], set()
        while slug and slug not in seen and slug in self.actors:
            seen.add(slug)
            chain.append(self.actors[slug])
            slug = self.actors[slug].parent
        return chain

    def state_of(self, slug: str) -> KnownActor | None:
        """The state an actor belongs to (itself if it is one), if any."""
        return next((a for a in self.lineage(slug) if a.kind == "state"), None)

    def by_name(self, name: str) -> KnownActor | None:
        value = self.by_key.get(name_key(fold(name)))
        return self.actors[value[0]] if value else None

    # New actors ---------------------------------------------------------------------------------------------

    def new_person(self, phrase: str) -> NewActor | None:
        """A person the phrase names with a title ("French Foreign Minister Jean-Noël Barrot", "EU foreign policy
        chief Kaja Kallas"): the name is the capitalised words after the title, the parent the state its
        nationality names or the known actor its title names."""
        tokens = phrase.replace("’s", "").replace("'s", "").split()
        split = len(tokens)
        while split > 0 and tokens[split - 1][:1].isupper() and tokens[split - 1].lower() not in TITLE_WORDS:
            split -= 1
        name_tokens, title_tokens = tokens[split:], tokens[:split]
        name = " ".join(name_tokens)
        if not (2 <= len(name_tokens) <= 3) or not PERSON_NAME.match(name) or not title_tokens:
            return None
        if any(t.lower() in CALENDAR_WORDS | FUNCTION_WORDS for t in name_tokens):
            return None
        if not any(t.lower() in TITLE_WORDS - FUNCTION_WORDS for t in title_tokens):
            return None
        title = " ".join(t for t in title_tokens if t.lower() not in ("the", "a", "an") or title_tokens.index(t))
        return self._placed(name, title, kind="person")

    def new_state(self, phrase: str) -> NewActor | None:
        """A country the text names that is not an actor yet ("Italy")."""
        name = phrase.strip()
        if name not in COUNTRIES or self.by_name(name) is not None:
            return None
        reason = f"A new state: “{name}” is the name of a country ({COUNTRIES[name]}) that is not an actor yet."
        return NewActor(name=name, kind="state", title="", parent=None, country=COUNTRIES[name], reason=reason)

    def _placed(self, name: str, title: str, *, kind: str) -> NewActor:
        parent, country, why = None, "", "no parent named"
        for word in title.split():
            if word in DEMONYMS:
                country_name, country = DEMONYMS[word]
                state = self.by_name(country_name) if country_name else None
                if state is not None:
                    parent, why = state.slug, f"“{word}” names {state.name} ({state.slug}), its parent"
                else:
                    why = f"“{word}” names the country {country}, which is not an actor yet"
                break
        if parent is None:
            mentioned = [m for m in self.mentions(title) if m.actor]
            if mentioned:
                actor = self.actors[mentioned[0].actor]
                parent, country = actor.slug, country or actor.country
                why = f"its title names {actor.name} ({actor.slug}), its parent"
        if parent and not country:
            state = self.state_of(parent)
            country = state.country if state else ""
        reason = f"A new {kind}: “{name}”, titled “{title}”; {why}."
        return NewActor(name=name, kind=kind, title=title, parent=parent, country=country, reason=reason)
