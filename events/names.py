"""Name keys: one string per actor name or alias under which look-alike spellings meet.

Two actors must never be told apart only by case, spacing, invisible characters or letters from another script that
look the same ("Frаnce" with a Cyrillic а, "ＦＲＡＮＣＥ", "Fra\u200bnce"). Every name and alias is stored with its
key in ``ActorNameKey``, whose unique index is what makes the rule hold under concurrent writes.

The key is built with ICU (through PyICU), which carries Unicode's own data, rather than with Python's
``unicodedata`` (an older Unicode version, and no Default_Ignorable property or confusables table):

1. NFKC_Casefold: compatibility forms folded (fullwidth and mathematical letters, ligatures, no-break spaces),
   case folded (ß and ss meet), and every Default_Ignorable code point removed (ZWSP, ZWNJ, ZWJ, WJ, BOM, soft
   hyphen, bidi marks, variation selectors, Hangul fillers, tags…).
2. Whitespace collapsed to single spaces and stripped.
3. The confusable skeleton of UTS #39 (ICU's SpoofChecker), which maps each character to its look-alike prototype.
4. Steps 1 to 3 again until nothing changes: prototypes may be capitals or compatibility characters ("0" becomes
   "O"; "%" becomes "º/₀", then "o/0", then "o/o"), so that "0rban" meets "orban" and a key is its own key.

A name has a second key, the same steps on its capitals (see ``name_keys``), and two names clash when they share a
key: case folding first would otherwise let capital look-alikes through ("ΗAMAS" with a Greek Eta).

SQLite has no NFKC, so the key is computed here and stored, never derived in SQL. A key is for comparison only: it
mixes scripts ("hamas" becomes "harnas") and is never shown as a name. When the ICU data changes (a new
``pyicu-wheels``), stored keys may differ from fresh ones; ``keys_rebuild`` recomputes them.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import icu
from django.core.exceptions import ValidationError
from django.db import models
from rapidfuzz import fuzz

# Keys live in a unique B-tree index; PostgreSQL refuses index entries over ~2,700 bytes, and NFKC alone can
# expand one character into eighteen (U+FDFA), so the key's length is checked, not assumed from the name's.
MAX_KEY_BYTES = 1000

_FOLD = icu.Normalizer2.getNFKCCasefoldInstance()
# A SpoofChecker is safe to share between threads as long as its configuration does not change, and it never does.
_SPOOF = icu.SpoofChecker()


def _fold(text: str) -> str:
    return " ".join(_FOLD.normalize(text).split())


_ROOT = icu.Locale.getRoot()
# Every single code point reaches its fixed point within three rounds (checked over all of Unicode 16 with ICU 77);
# the bound only keeps a pathological string from looping.
_MAX_ROUNDS = 8


def _upper(text: str) -> str:
    return str(icu.UnicodeString(text).toUpper(_ROOT))


def _key(text: str, prepare) -> str:
    key = _fold(text)
    for _ in range(_MAX_ROUNDS):
        # getSkeleton's first argument (the check type) is ignored by ICU since version 58.
        folded = _fold(_SPOOF.getSkeleton(0, prepare(key)))
        if folded == key:
            break
        key = folded
    return key


def name_key(text: str) -> str:
    """The comparison key of a name: equal for names a reader could not tell apart in lower case (see the module
    docstring). Case variants always share it."""
    return _key(text, str)


def name_keys(text: str) -> tuple[str, ...]:
    """Every key of a name: ``name_key`` and, where it differs, the key of its capitals.

    The skeleton is case-sensitive and case folding comes first, so a capital look-alike whose small letter looks
    different (Greek Η and η, Cyrillic Н and н) would escape ``name_key``: "ΗAMAS" folds to "ηamas". Its capitals'
    skeleton catches it ("ΗAMAS" and "HAMAS" both give "hamas"). Two names clash when they share any key.
    """
    return tuple(dict.fromkeys((name_key(text), _key(text, _upper))))


@dataclass(frozen=True)
class NameEntry:
    """One of an actor's names, with its key: the name itself (``is_alias=False``) or one of its aliases."""

    key: str
    name: str
    is_alias: bool


def actor_entries(*, name: str, aliases: Sequence[str] = ()) -> dict[str, NameEntry]:
    """The keys of an actor's name and aliases, by key.

    Refused (ValidationError) when a name has no visible characters, when its key is too long to index, or when an
    alias reads the same as the name or another alias: each would otherwise be silently dropped from the index.
    An alias repeated character for character is one alias, as it always was.
    """
    entries: dict[str, NameEntry] = {}
    for text, is_alias in ((name, False), *((alias, True) for alias in dict.fromkeys(aliases))):
        field = "aliases" if is_alias else "name"
        keys = name_keys(text)
        if not all(keys):
            raise ValidationError({field: [f"“{text}” has no visible characters."]})
        if any(len(key.encode()) > MAX_KEY_BYTES for key in keys):
            raise ValidationError({field: [f"“{text[:50]}…” is too long once normalised for comparison."]})
        same = next((entries[key] for key in keys if key in entries), None)
        if same is not None:
            what = "alias" if same.is_alias else "name"
            raise ValidationError(
                {
                    "aliases": [
                        f"Alias “{text}” reads the same as the actor's {what} “{same.name}” (case, spacing, invisible "
                        "characters and look-alike letters aside); remove it."
                    ]
                }
            )
        entries.update({key: NameEntry(key=key, name=text, is_alias=is_alias) for key in keys})
    return entries


def holders(keys: Iterable[str], *, exclude: models.Model | None = None) -> models.QuerySet:
    """The stored name keys among ``keys`` that belong to another actor than ``exclude``, name rows first."""
    from .models import ActorNameKey

    rows = ActorNameKey.objects.filter(key__in=list(keys)).select_related("actor")
    if exclude is not None and exclude.pk is not None:
        rows = rows.exclude(actor=exclude)
    return rows.order_by("actor__slug", "is_alias", "key")


def entries_store(*, actor: models.Model, entries: dict[str, NameEntry]) -> bool:
    """Make the actor's stored name keys exactly ``entries``; return whether anything changed.

    Rows that change in any way are deleted and inserted again, so that no intermediate state holds two name rows
    for one actor. A key another actor holds raises IntegrityError from the unique index: the caller decides what
    that means (services.actor_upsert turns it into a duplicate naming the other actor).
    """
    from .models import ActorNameKey

    stored = {
        NameEntry(key=row.key, name=row.name, is_alias=row.is_alias): row.pk
        for row in ActorNameKey.objects.filter(actor=actor)
    }
    wanted = set(entries.values())
    stale = [pk for entry, pk in stored.items() if entry not in wanted]
    missing = [entry for entry in entries.values() if entry not in stored]
    if stale:
        ActorNameKey.objects.filter(pk__in=stale).delete()
    if missing:
        ActorNameKey.objects.bulk_create(
            [ActorNameKey(actor=actor, key=e.key, name=e.name, is_alias=e.is_alias) for e in missing]
        )
    return bool(stale or missing)


def keys_rebuild(actor_model, key_model) -> list[str]:
    """Recompute every actor's name keys from its name and aliases (the models are passed in, so that a migration
    can call this with its historical models). Returns the clashes (and unusable names) found, each a readable line; nothing is written
    when there are any, so that an editor can first rename one of each pair."""
    rows: dict[str, tuple] = {}
    clashes: list[str] = []
    for actor in actor_model.objects.order_by("slug").prefetch_related("aliases"):
        texts = [(actor.name, False), *((a.name, True) for a in sorted(actor.aliases.all(), key=lambda a: a.name))]
        for text, is_alias in texts:
            for key in name_keys(text):
                held = rows.get(key)
                if not key or len(key.encode()) > MAX_KEY_BYTES:
                    clashes.append(f"“{text[:50]}” of actor “{actor.slug}” has no visible characters or is too long")
                elif held is None:
                    rows[key] = (actor, text, is_alias)
                elif held[0].pk != actor.pk:
                    clashes.append(
                        f"“{text}” of actor “{actor.slug}” reads the same as “{held[1]}” of “{held[0].slug}”"
                    )
                    break
                # The same actor's name written twice (an alias that only differs in case) keeps its first entry:
                # the name. Its next save through the services asks the editor to remove the redundant alias.
    if clashes:
        return clashes
    key_model.objects.all().delete()
    key_model.objects.bulk_create(
        [key_model(actor=actor, key=key, name=text, is_alias=is_alias) for key, (actor, text, is_alias) in rows.items()]
    )
    return []


# Near-duplicate names ------------------------------------------------------------------------------------------
# The key above says when two names are one; these say when they only resemble each other ("Jean-Noel Barrot" and
# "Jean-Noël Barrot", "EU foreign policy chief Kaja Kallas" and "Kaja Kallas"), which the editor confirms.

# Words of a title or office that news writing puts before a person's name. Everything up to the last of them is
# the title ("EU foreign policy chief", "Secretary of State"), provided a name follows.
TITLE_WORDS = frozenset(
    """
    mr mrs ms dr prof sir dame lord lady his her excellency
    president vice prime minister ministers foreign defence defense interior finance deputy secretary state general
    chief policy head leader spokesperson spokesman spokeswoman ambassador envoy special representative high
    commissioner chancellor premier king queen prince crown emir sheikh sultan senator governor mayor chairman
    chairwoman chair commander gen lt col maj capt admiral marshal director former acting
    """.split()
)
# A name resembles another from this rapidfuzz token-sort ratio (0 to 1): above the spelling variants of one name
# (Zelensky/Zelenskyy 0.97, Mohammed/Mohammad 0.95), below different names that share letters (Austria/Australia
# 0.88). Checked on the curated variants in tests/test_near_duplicates.py.
NAME_SIMILARITY = 0.9
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Case, accents and punctuation set aside: “Jean-Noël Barrot” gives “jean noel barrot”."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(_NOT_ALNUM.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c))).split())


def person_core(name: str) -> str:
    """A person's name without the title or appositive around it (folded): “EU foreign policy chief Kaja Kallas”
    and “Kaja Kallas, the EU's foreign policy chief” both give “kaja kallas”."""
    head, _, tail = name.partition(",")
    if tail and any(word in TITLE_WORDS for word in fold(tail).split()):
        name = head
    words = fold(name).split()
    last_title = max((i for i, word in enumerate(words) if word in TITLE_WORDS), default=-1)
    if 0 <= last_title < len(words) - 1:
        words = words[last_title + 1 :]
    return " ".join(words)


def comparable(name: str, *, person: bool) -> str:
    return person_core(name) if person else fold(name)


def name_similarity(a: str, b: str, *, persons: bool) -> float:
    """How much two names (as ``comparable`` gives them) resemble each other, from 0 to 1.

    The same folded name is 1. Otherwise rapidfuzz's token-sort ratio, which takes word order and small spelling
    differences in its stride. Between two persons, a surname alone matches the full name (“Netanyahu”), and
    different initials keep two names apart (George W. Bush and George H. W. Bush).
    """
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    words_a, words_b = a.split(), b.split()
    if persons:
        initials_a, initials_b = {w for w in words_a if len(w) == 1}, {w for w in words_b if len(w) == 1}
        if initials_a and initials_b and initials_a != initials_b:
            return 0.0
        short, long = sorted((words_a, words_b), key=len)
        if len(short) == 1 and len(long) > 1 and long[-1] == short[0]:
            return 1.0
    return fuzz.token_sort_ratio(a, b) / 100
