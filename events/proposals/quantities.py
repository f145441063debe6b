"""Quantities in a sentence: a number, its qualifier and its unit from the codebook's fixed list ("about 100 French
officers" is 100 officers, approximate; "$1.2bn" is 1,200,000,000 usd; "3,000 Palestinian police" is 3,000 police)."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Words that qualify a number as not exact.
QUALIFIERS = (
    "about",
    "approximately",
    "around",
    "roughly",
    "some",
    "nearly",
    "almost",
    "up to",
    "more than",
    "over",
    "at least",
    "close to",
    "an estimated",
    "as many as",
    "fewer than",
    "less than",
    "under",
)
SMALL_NUMBERS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {
    "hundred": 100,
    "thousand": 1_000,
    "k": 1_000,
    "million": 1_000_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
    "b": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "tn": 1_000_000_000_000,
}
# What a counted noun is, in the codebook's units.
PEOPLE_UNITS = {
    "troops": "troops",
    "soldiers": "troops",
    "peacekeepers": "troops",
    "service members": "troops",
    "police officers": "police",
    "policemen": "police",
    "carabinieri": "police",
    "police": "police",
    "gendarmes": "gendarmes",
    "officers": "officers",
    "officials": "officers",
    "trainees": "trainees",
    "recruits": "trainees",
    "cadets": "trainees",
    "personnel": "personnel",
    "staff": "personnel",
    "instructors": "personnel",
    "trainers": "personnel",
    "experts": "personnel",
    "advisers": "personnel",
    "advisors": "personnel",
    "observers": "personnel",
    "monitors": "personnel",
    "engineers": "personnel",
    "medics": "personnel",
    "states": "states",
    "countries": "states",
    "nations": "states",
}
CURRENCY_SYMBOLS = {"$": "usd", "US$": "usd", "€": "eur", "£": "gbp", "USD": "usd", "EUR": "eur", "GBP": "gbp"}
CURRENCY_WORDS = {
    "dollars": "usd",
    "us dollars": "usd",
    "euros": "eur",
    "euro": "eur",
    "pounds": "gbp",
    "pounds sterling": "gbp",
}

_QUALIFIER = "|".join(q.replace(" ", r"\s+") for q in QUALIFIERS)
_NUMBER_WORD = "|".join([*SMALL_NUMBERS, *TENS, "several", "dozens of", "hundreds of", "thousands of"])
# Thousands separated by commas (3,000), or by spaces, no-break or narrow no-break spaces (20 000), or a plain
# number with a decimal point (1.5). "2.000", a European thousands separator, is read as 2,000 only before a count
# of people (see ``_value``); money keeps the point decimal ("€1.500bn" is rare, "$1.5bn" common).
_DIGITS = r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])|\d+(?:\.\d+)?)"
EUROPEAN_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_NUMBER = (
    rf"(?P<digits>\b{_DIGITS})|(?P<words>\b(?:(?:a|an)\s+(?:hundred|thousand)|(?:(?:{_NUMBER_WORD})[\s-]+)*"
    rf"(?:{_NUMBER_WORD})(?:\s+(?:hundred|thousand))?))"
)
_SCALE = r"(?P<scale>hundred|thousand|million|billion|trillion|bn|mn|tn|m|k|b)\b"
# Up to three words between the number and what it counts: "100 French officers", "3,000 Palestinian police".
_MODIFIERS = (
    r"(?P<modifiers>(?:(?!(?:of|the|those|these|its|their|and|or|to|in|for|with|from|by|at|who|which|that)\b)"
    r"[A-Za-z][\w-]*\s+){0,3}?)"
)
_PEOPLE = "|".join(sorted(PEOPLE_UNITS, key=len, reverse=True))
_CURRENCY_WORD = "|".join(sorted(CURRENCY_WORDS, key=len, reverse=True))

MONEY_SYMBOL = re.compile(
    rf"(?:(?P<qualifier>{_QUALIFIER})\s+)?(?P<currency>US\$|\$|€|£|USD\s?|EUR\s?|GBP\s?)(?P<digits>{_DIGITS})\s?(?:{_SCALE})?",
    re.IGNORECASE,
)
MONEY_WORD = re.compile(
    rf"(?:(?P<qualifier>{_QUALIFIER})\s+)?(?P<digits>{_DIGITS})\s?(?:{_SCALE}\s+)?(?P<currency>{_CURRENCY_WORD})\b",
    re.IGNORECASE,
)
# "a 1,500-strong contingent": a group of people counted by its strength.
_GROUPS = {
    "force": "troops",
    "battalion": "troops",
    "brigade": "troops",
    "contingent": "personnel",
    "unit": "personnel",
    "team": "personnel",
    "mission": "personnel",
    "delegation": "personnel",
    "deployment": "personnel",
}
STRONG = re.compile(
    rf"(?:(?P<qualifier>{_QUALIFIER})\s+)?(?:an?\s+)?(?P<digits>{_DIGITS})[-‑ ]strong\s+(?P<group>{'|'.join(_GROUPS)})\b"
    rf"(?:\s+of\s+{_MODIFIERS}(?P<noun>{_PEOPLE})\b)?",
    re.IGNORECASE,
)
# "between 300 and 500 police officers", "300 to 500 troops", "300-500 troops": the lower bound before a quantity.
RANGE_BEFORE = re.compile(
    rf"(?:\b(?:between|from)\s+)?(?P<low>{_DIGITS})\s*(?:and|to|-|–|—)\s*$",
    re.IGNORECASE,
)
PEOPLE = re.compile(
    rf"(?:(?P<qualifier>{_QUALIFIER})\s+)?(?:{_NUMBER})(?:\s+(?:{_SCALE}))?[\s-]+{_MODIFIERS}(?P<noun>{_PEOPLE})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    value: int
    unit: str
    approximate: bool
    text: str
    reason: str


def _words_value(words: str) -> int | None:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", words.lower().strip()):
        if word in ("a", "an"):
            current = max(current, 1)
        elif word in SMALL_NUMBERS:
            current += SMALL_NUMBERS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None  # "several", "dozens of": a number the text does not give
    return total + current or None


def _value(digits: str | None, words: str | None, scale: str | None, *, counted: bool = False) -> int | None:
    """The number, or None. ``counted``: it counts people, so "2.000" is the European way of writing 2,000 (a
    point and exactly three digits; nobody pledges two troops to three decimals)."""
    if digits:
        digits = re.sub(r"[,\s\u00a0\u202f]", "", digits)
        if counted and not scale and EUROPEAN_THOUSANDS.fullmatch(digits):
            digits = digits.replace(".", "")
        try:
            number = Decimal(digits)
        except InvalidOperation:
            return None
    elif words:
        found = _words_value(words)
        if found is None:
            return None
        number = Decimal(found)
    else:
        return None
    if scale:
        number *= SCALES[scale.lower()]
    if number != number.to_integral_value() or number <= 0:
        return None
    return int(number)


def quantities(sentence: str, *, offset: int = 0) -> list[Quantity]:
    """Every quantity with a unit in the sentence, in order. People who are the object of training are trainees,
    as the codebook has it: training 3,000 police provides no police."""
    found: list[Quantity] = []
    for pattern in (MONEY_SYMBOL, MONEY_WORD, STRONG, PEOPLE):
        for match in pattern.finditer(sentence):
            if any(q.start - offset < match.end() and match.start() < q.end - offset for q in found):
                continue
            groups = match.groupdict()
            counted = pattern in (PEOPLE, STRONG)
            value = _value(groups.get("digits"), groups.get("words"), groups.get("scale"), counted=counted)
            if value is None:
                continue
            qualifier = groups.get("qualifier")
            start = match.start()
            ranged = RANGE_BEFORE.search(sentence[: match.start()]) if counted and not qualifier else None
            low = _value(ranged.group("low"), None, None, counted=True) if ranged else None
            if low is not None and low < value:
                # A range is proposed as its upper bound, approximate, as "up to" is: what was offered at most.
                start, qualifier = ranged.start(), f"a range from {low:,} to {value:,}: its upper bound, and"
            if pattern is STRONG:
                noun = (groups.get("noun") or "").lower()
                unit = PEOPLE_UNITS[noun] if noun else _GROUPS[groups["group"].lower()]
                why = f"a {groups['group']} counted by its strength is {unit}"
            elif pattern is PEOPLE:
                noun = groups["noun"].lower()
                unit = PEOPLE_UNITS[noun]
                before = sentence[max(0, match.start() - 25) : match.start()].lower()
                if re.search(r"\btrain(?:ing|s|ed)?\s+(?:some\s+|about\s+|up\s+to\s+)?$", before):
                    why = f"“{groups['noun']}” are being trained, so the unit is trainees (codebook: trainees are not {unit})"
                    unit = "trainees"
                else:
                    why = f"“{groups['noun']}” counts {unit}"
            else:
                currency = groups["currency"].strip()
                unit = CURRENCY_SYMBOLS.get(currency) or CURRENCY_SYMBOLS.get(currency.upper())
                unit = unit or CURRENCY_WORDS[currency.lower()]
                why = f"“{currency}” is {unit.upper()}"
            if counted and EUROPEAN_THOUSANDS.fullmatch(groups.get("digits") or "") and not groups.get("scale"):
                why += f"; “{groups['digits']}” has a point before exactly three digits, a thousands separator"
            text = sentence[start : match.end()]
            reason = f"“{text}” is {value:,} {unit}: {why}" + (
                f"; {qualifier} approximate."
                if qualifier and qualifier.startswith("a range")
                else f"; “{qualifier}” makes it approximate."
                if qualifier
                else "."
            )
            found.append(Quantity(start + offset, match.end() + offset, value, unit, bool(qualifier), text, reason))
    return sorted(found, key=lambda q: q.start)
