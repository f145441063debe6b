"""Partial dates: a first day plus a precision, resolved to the last day the date can denote.

"September 2025" is stored as 2025-09-01 with month precision and spans 2025-09-01..2025-09-30; a filter on a
date range matches it when the two spans overlap.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week (the date is its Monday)"
    MONTH = "month", "Month (the date is its first day)"
    YEAR = "year", "Year (the date is 1 January)"
    APPROXIMATE = "approximate", "Approximate (somewhere between the date and its end)"
    UNKNOWN = "unknown", "Unknown"


def implied_precision(date: datetime.date | None) -> str:
    """The precision of a date sent without one: a day when there is a date, unknown when there is none (never a
    hidden `day` that would refuse a record sent without a date)."""
    return DatePrecision.DAY if date else DatePrecision.UNKNOWN


def resolve_span(
    start: datetime.date | None, precision: str, end: datetime.date | None, *, field: str = "date"
) -> datetime.date | None:
    """Check a partial date and return the last day it can denote.

    Raises ValidationError keyed by field name when the parts do not fit together, e.g. a month that does not
    start on the 1st, or an approximate date without an end.
    """
    end_field = f"{field}_end"
    if precision == DatePrecision.UNKNOWN:
        if start is not None or end is not None:
            raise ValidationError({field: "An unknown date has no date and no end; choose another precision."})
        return None
    if start is None:
        raise ValidationError({field: f"A date with {precision} precision needs a date."})
    if precision == DatePrecision.APPROXIMATE:
        if end is None:
            raise ValidationError({end_field: "An approximate date needs the last day it can fall on."})
        if end < start:
            raise ValidationError({end_field: "The end of an approximate date cannot be before its start."})
        return end
    if precision == DatePrecision.DAY:
        derived = start
    elif precision == DatePrecision.WEEK:
        if start.weekday() != 0:
            raise ValidationError({field: "A week-precision date must be the Monday of that week."})
        if start > datetime.date.max - datetime.timedelta(days=6):
            # Its Sunday would fall after 9999-12-31, which no date type here can hold.
            raise ValidationError({field: "A week-precision date must end by 9999-12-31; give its last week a day."})
        derived = start + datetime.timedelta(days=6)
    elif precision == DatePrecision.MONTH:
        if start.day != 1:
            raise ValidationError({field: "A month-precision date must be the first day of the month."})
        derived = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    elif precision == DatePrecision.YEAR:
        if (start.month, start.day) != (1, 1):
            raise ValidationError({field: "A year-precision date must be 1 January."})
        derived = start.replace(month=12, day=31)
    else:
        raise ValidationError({f"{field}_precision": f"Unknown precision {precision!r}."})
    if end is not None and end != derived:
        raise ValidationError(
            {end_field: f"With {precision} precision the end is {derived.isoformat()}; leave it empty."}
        )
    return derived


def today_utc() -> datetime.date:
    """Today's date in UTC: the one clock of derived states such as a pledge being overdue.

    Python and SQL (``PledgeQuerySet.overdue``) both read it here, so that a field and a filter computed in the
    same request agree, and so that a test can freeze it by replacing this one function.
    """
    return datetime.datetime.now(datetime.UTC).date()


# Relative expressions ----------------------------------------------------------------------------------------
#
# Articles date things against their own date: "on Thursday", "last month", "earlier this week". One resolver turns
# such an expression into a partial date (first day, precision, last day) with a note that shows the reasoning, so
# that proposals, the admin and any later door resolve alike. Weekday and tense logic is explicit here; anything the
# resolver does not recognise is left alone (it abstains) rather than guessed.

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTH_ABBREVIATIONS = {
    "Jan": 1,
    "Feb": 2,
    "Mar": 3,
    "Apr": 4,
    "Jun": 6,
    "Jul": 7,
    "Aug": 8,
    "Sep": 9,
    "Sept": 9,
    "Oct": 10,
    "Nov": 11,
    "Dec": 12,
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
# Early, mid and late parts of a year or a month, as spans (months of a year; days of a month).
YEAR_PARTS = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}
MONTH_PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, None)}


@dataclass(frozen=True)
class ResolvedDate:
    """A relative expression resolved against a source's date: a partial date and the note that explains it."""

    date: datetime.date
    precision: str
    date_end: datetime.date
    note: str

    def fields(self, prefix: str = "date") -> dict:
        """As the write API takes it: the end only where the precision does not imply it (approximate)."""
        values = {prefix: self.date.isoformat(), f"{prefix}_precision": self.precision, f"{prefix}_note": self.note}
        if self.precision == DatePrecision.APPROXIMATE:
            values[f"{prefix}_end"] = self.date_end.isoformat()
        return values


def day_label(day: datetime.date) -> str:
    """'Thu 6 Nov 2025', the form date notes use."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def resolution(start: datetime.date, end: datetime.date) -> str:
    return f"Resolved: {start.isoformat()}." if start == end else f"Resolved: {start.isoformat()} to {end.isoformat()}."


def _month_start(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, 1)


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: datetime.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _month_number(name: str) -> int | None:
    name = name.rstrip(".")
    if name in MONTHS:
        return MONTHS.index(name) + 1
    return MONTH_ABBREVIATIONS.get(name)


_WEEKDAY = "|".join(WEEKDAYS)
_MONTH = "|".join((*MONTHS, *(rf"{abbreviation}\." for abbreviation in MONTH_ABBREVIATIONS)))
_NUMBER = r"\d{1,2}|" + "|".join(NUMBER_WORDS)
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th)?"

# Candidate spans, longest first; the resolver then decides (and may still abstain). Month and weekday names are
# matched with their capital only: "may" and "march" are verbs.
DATE_EXPRESSION = re.compile(
    "|".join(
        (
            rf"(?P<md>(?:[Oo]n )?(?P<md_month>{_MONTH}) {_DAY.format(name='md_day')}(?:,? (?P<md_year>\d{{4}}))?)\b",
            rf"(?P<dm>(?:[Oo]n )?{_DAY.format(name='dm_day')} (?P<dm_month>{_MONTH})(?: (?P<dm_year>\d{{4}}))?)\b",
            rf"(?P<weekday>(?:(?P<wd_mod>[Oo]n|[Ll]ast|[Nn]ext|[Tt]his|[Ss]ince|[Bb]y|[Uu]ntil|[Ee]arly|[Ll]ate) )?"
            rf"(?P<wd_name>{_WEEKDAY})(?: (?:morning|afternoon|evening|night))?)\b",
            r"(?P<deictic>\b(?:[Yy]esterday|[Tt]oday|[Tt]omorrow))\b",
            r"(?P<within>\b(?P<within_side>[Ee]arlier|[Ll]ater) this (?P<within_unit>week|month|year))\b",
            r"(?P<unit>\b(?P<unit_mod>[Tt]his|[Ll]ast|[Nn]ext) (?P<unit_name>week|month|year))\b",
            rf"(?P<ago>\b(?P<ago_n>{_NUMBER}) (?P<ago_unit>day|week|month|year)s? ago)\b",
            rf"(?P<part>\b(?P<part_side>[Ee]arly|[Mm]id|[Ll]ate)[- ](?:(?P<part_month>{_MONTH})|(?P<part_year>\d{{4}})))\b",
            rf"(?P<month>\b(?:(?P<month_mod>[Ii]n|[Ll]ast|[Tt]his|[Nn]ext|[Ss]ince|[Bb]y) )?(?P<month_name>{_MONTH})"
            rf"(?: (?P<month_year>\d{{4}}))?)(?![\w-])",
            r"(?P<year>\b(?:[Ii]n|[Ss]ince|[Bb]y) (?P<year_n>(?:19|20)\d{2}))\b",
        )
    )
)

OUTER_GROUPS = ("md", "dm", "weekday", "deictic", "within", "unit", "ago", "part", "month", "year")

# Words that put a clause in the future: its bare weekdays and months point forward.
FUTURE = re.compile(
    r"\b(?:will|shall|(?:is|are|was|were) (?:set|due|expected|scheduled|to)|plans? to|planned|upcoming|next)\b", re.I
)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    resolved: ResolvedDate
    future: bool = False  # the clause governing it is in the future tense


def find_dates(
    sentence: str, *, base: datetime.date, base_end: datetime.date | None = None, offset: int = 0
) -> list[DateMention]:
    """Every expression in one sentence that the resolver can date against ``base``, with its span (plus
    ``offset``, the sentence's position in its text)."""
    mentions = []
    for match in DATE_EXPRESSION.finditer(sentence):
        future = is_future(sentence, match.start(), match.end())
        resolved = resolve_relative(match, base=base, base_end=base_end, future=future)
        if resolved is not None:
            mentions.append(DateMention(match.start() + offset, match.end() + offset, match.group(0), resolved, future))
    return mentions


QUOTED_PASSAGE = re.compile(r'“[^”]*”|"[^"]*"')


def is_future(sentence: str, start: int, end: int) -> bool:
    """Whether the verb governing the expression at ``start:end`` is in the future: a cue before it in the
    sentence or just after it, outside quotation marks (a quotation has its own tense)."""
    # After the expression, only its own clause: in "said on Monday that it will deploy", the "will" is what was
    # said, not when.
    after = re.split(r"\bthat\b|[,;:]", sentence[end:], maxsplit=1)[0]
    window = sentence[:start] + " " + " ".join(after.split()[:3])
    return bool(FUTURE.search(QUOTED_PASSAGE.sub(" ", window)))


def resolve_date_expression(
    expression: str, *, base: datetime.date, base_end: datetime.date | None = None, future: bool = False
) -> ResolvedDate | None:
    """Resolve one expression ("on Thursday", "last month") against a source dated ``base`` (to ``base_end`` when
    the source's own date is a span). None when the expression is not one the resolver knows."""
    match = DATE_EXPRESSION.fullmatch(expression.strip())
    if match is None:
        return None
    return resolve_relative(match, base=base, base_end=base_end, future=future)


def resolve_relative(
    match: re.Match, *, base: datetime.date, base_end: datetime.date | None = None, future: bool = False
) -> ResolvedDate | None:
    """A matched expression resolved against the source's date; against both ends of it when the source is dated
    by a span, whose union is then the honest answer (approximate) unless both ends agree."""
    first = _resolve_at(match, base, future)
    if first is None or base_end is None or base_end == base:
        return _with_base_note(first, match.group(0), base, None)
    last = _resolve_at(match, base_end, future)
    if last is None:
        return None
    if (first.date, first.precision, first.date_end) == (last.date, last.precision, last.date_end):
        return _with_base_note(first, match.group(0), base, base_end)
    start, end = min(first.date, last.date), max(first.date_end, last.date_end)
    note = (
        f"The source is dated between {day_label(base)} and {day_label(base_end)}; '{match.group(0)}' is "
        f"{_span_words(first)} if written on the first day and {_span_words(last)} if on the last. {resolution(start, end)}"
    )
    return ResolvedDate(start, DatePrecision.APPROXIMATE, end, note)


def _span_words(resolved: ResolvedDate) -> str:
    if resolved.date == resolved.date_end:
        return day_label(resolved.date)
    return f"{day_label(resolved.date)} to {day_label(resolved.date_end)}"


def _with_base_note(
    resolved: tuple | None, expression: str, base: datetime.date, base_end: datetime.date | None
) -> ResolvedDate | None:
    if resolved is None:
        return None
    dated = f"between {day_label(base)} and {day_label(base_end)}" if base_end else day_label(base)
    note = f"The source is dated {dated}; '{expression}' {resolved.note} {resolution(resolved.date, resolved.date_end)}"
    return ResolvedDate(resolved.date, resolved.precision, resolved.date_end, note)


def _day(day: datetime.date, why: str) -> ResolvedDate:
    return ResolvedDate(day, DatePrecision.DAY, day, why)


def _span(start: datetime.date, end: datetime.date, precision: str, why: str) -> ResolvedDate:
    return ResolvedDate(start, precision, end, why)


def _resolve_at(match: re.Match, base: datetime.date, future: bool) -> ResolvedDate | None:  # noqa: C901
    """The expression against one day; the note says why, without the base (added by the caller)."""
    group = next(name for name in OUTER_GROUPS if match.group(name))
    if match.group("md") or match.group("dm"):
        prefix = "md" if match.group("md") else "dm"
        month = _month_number(match.group(f"{prefix}_month"))
        year = match.group(f"{prefix}_year")
        try:
            day = datetime.date(int(year) if year else base.year, month, int(match.group(f"{prefix}_day")))
        except ValueError:
            return None
        if year:
            return _day(day, f"is {day_label(day)}.")
        if day > base and not future:
            day = day.replace(year=base.year - 1)
            return _day(day, f"names no year and the clause is in the past, so it is {day_label(day)}.")
        return _day(day, f"names no year: the one nearest the source, {day_label(day)}.")
    if match.group("weekday"):
        return _weekday(match, base, future)
    if group == "deictic":
        word = match.group("deictic").lower()
        shift = {"yesterday": -1, "today": 0, "tomorrow": 1}[word]
        day = base + datetime.timedelta(days=shift)
        return _day(day, f"is {day_label(day)}.")
    if group == "within":
        return _within(match.group("within_side").lower(), match.group("within_unit"), base)
    if group == "unit":
        return _unit(match.group("unit_mod").lower(), match.group("unit_name"), base, future)
    if group == "ago":
        return _ago(match.group("ago_n").lower(), match.group("ago_unit"), base)
    if group == "part":
        return _part(match, base, future)
    if group == "month":
        return _month(match, base, future)
    if group == "year":
        year = int(match.group("year_n"))
        return _span(datetime.date(year, 1, 1), datetime.date(year, 12, 31), DatePrecision.YEAR, f"is the year {year}.")
    return None


def _weekday(match: re.Match, base: datetime.date, future: bool) -> ResolvedDate | None:
    name = match.group("wd_name")
    modifier = (match.group("wd_mod") or "").lower()
    target = WEEKDAYS.index(name)
    back = (base.weekday() - target) % 7  # days since the last such weekday (0: the source's own day)
    ahead = (target - base.weekday()) % 7 or 7  # days until the next one after the source's day
    previous, following = base - datetime.timedelta(days=back), base + datetime.timedelta(days=ahead)
    if modifier == "last":
        day = previous if back else base - datetime.timedelta(days=7)
        return _day(day, f"is the {name} before the source's day, {day_label(day)}.")
    if modifier == "next":
        return _day(following, f"is the next {name}, {day_label(following)}.")
    if modifier == "this" and not future:
        return _day(previous, f"(past tense) is {day_label(previous)}.")
    if future and modifier != "since":
        if back == 0:
            note = "is the source's own day (future tense: later that day)."
            return _day(base, note)
        if back == 1:
            # The day before the source: a report written then would call it by name too, so the future tense
            # may point to it or to a week later (codebook, Dates: ambiguous references are approximate).
            note = (
                f"is in the future tense, but the last {name} ({day_label(previous)}) was the day before the source, "
                f"which a report written then may mean; otherwise it is the next ({day_label(following)})."
            )
            return _span(previous, following, DatePrecision.APPROXIMATE, note)
        return _day(following, f"(future tense) is the next {name}, {day_label(following)}.")
    if back == 0:
        return _day(base, f"is the source's own day, {day_label(base)}.")
    return _day(previous, f"(past tense) is the last {name} before the source's day, {day_label(previous)}.")


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _within(side: str, unit: str, base: datetime.date) -> ResolvedDate | None:
    if unit == "week":
        first, last = _monday(base), _monday(base) + datetime.timedelta(days=6)
    elif unit == "month":
        first, last = base.replace(day=1), _month_end(base.year, base.month)
    else:
        first, last = datetime.date(base.year, 1, 1), datetime.date(base.year, 12, 31)
    if side == "earlier":
        if base == first:
            return None
        end = base - datetime.timedelta(days=1)
        note = f"is {day_label(first)} to {day_label(end)} (the {unit} before the source's day; weeks start on Monday)."
        return _span(first, end, DatePrecision.APPROXIMATE, note)
    if base == last:
        return None
    start = base + datetime.timedelta(days=1)
    note = f"is {day_label(start)} to {day_label(last)} (the rest of the {unit} after the source's day)."
    return _span(start, last, DatePrecision.APPROXIMATE, note)


def _unit(modifier: str, unit: str, base: datetime.date, future: bool) -> ResolvedDate:
    shift = {"this": 0, "last": -1, "next": 1}[modifier]
    if unit == "week":
        monday = _monday(base) + datetime.timedelta(weeks=shift)
        sunday = monday + datetime.timedelta(days=6)
        if shift == 0:
            # "this week" in the past tense is the part of the week already gone, the source's day included.
            if not future:
                note = f"(past tense) is {day_label(monday)} to {day_label(base)}, the week so far."
                return _span(monday, base, DatePrecision.APPROXIMATE, note)
            note = f"(future tense) is {day_label(base)} to {day_label(sunday)}, the rest of the week."
            return _span(base, sunday, DatePrecision.APPROXIMATE, note)
        return _span(monday, sunday, DatePrecision.WEEK, f"is the week of Monday {day_label(monday)}.")
    if unit == "month":
        year, month = _add_months(base, shift)
        first, last = _month_start(year, month), _month_end(year, month)
        return _span(first, last, DatePrecision.MONTH, f"is {first:%B %Y}.")
    year = base.year + shift
    return _span(datetime.date(year, 1, 1), datetime.date(year, 12, 31), DatePrecision.YEAR, f"is {year}.")


def _ago(number: str, unit: str, base: datetime.date) -> ResolvedDate | None:
    count = int(number) if number.isdigit() else NUMBER_WORDS[number]
    if unit == "day":
        day = base - datetime.timedelta(days=count)
        return _day(day, f"is {count} day(s) before the source's day, {day_label(day)}.")
    if unit == "week":
        monday = _monday(base - datetime.timedelta(weeks=count))
        return _span(
            monday,
            monday + datetime.timedelta(days=6),
            DatePrecision.WEEK,
            f"is the week of Monday {day_label(monday)}.",
        )
    if unit == "month":
        year, month = _add_months(base, -count)
        first = _month_start(year, month)
        return _span(first, _month_end(year, month), DatePrecision.MONTH, f"is {first:%B %Y}.")
    year = base.year - count
    return _span(datetime.date(year, 1, 1), datetime.date(year, 12, 31), DatePrecision.YEAR, f"is {year}.")


def _part(match: re.Match, base: datetime.date, future: bool) -> ResolvedDate | None:
    side = match.group("part_side").lower()
    if match.group("part_year"):
        year = int(match.group("part_year"))
        first_month, last_month = YEAR_PARTS[side]
        first, last = _month_start(year, first_month), _month_end(year, last_month)
        note = f"is read as {first:%B} to {last:%B %Y} (a third of the year)."
        return _span(first, last, DatePrecision.APPROXIMATE, note)
    month = _month_number(match.group("part_month"))
    year = _month_year(month, base, future)
    first_day, last_day = MONTH_PARTS[side]
    first = datetime.date(year, month, first_day)
    last = _month_end(year, month) if last_day is None else datetime.date(year, month, last_day)
    return _span(first, last, DatePrecision.APPROXIMATE, f"is read as {day_label(first)} to {day_label(last)}.")


def _month_year(month: int, base: datetime.date, future: bool) -> int:
    """The year of a month named without one: this year's, unless the tense points past it."""
    if future and month < base.month:
        return base.year + 1
    if not future and month > base.month:
        return base.year - 1
    return base.year


def _month(match: re.Match, base: datetime.date, future: bool) -> ResolvedDate | None:
    month = _month_number(match.group("month_name"))
    modifier = (match.group("month_mod") or "").lower()
    if match.group("month_year"):
        year = int(match.group("month_year"))
        why = "names its year."
    elif modifier in ("", "since", "by", "in", "this"):
        name = match.group("month_name")
        if not modifier and (name in ("May", "March") or name.endswith(".")):
            # A verb, a noun or an abbreviation standing alone is not a date ("May I …", "the March on …").
            return None
        year = _month_year(month, base, future)
        tense = "future" if future else "past"
        why = f"names no year; in the {tense} tense it is the nearest such month."
    elif modifier == "last":
        year = base.year if month < base.month else base.year - 1
        why = "is the last such month before the source."
    else:
        year = base.year if month > base.month else base.year + 1
        why = "is the next such month after the source."
    first, last = _month_start(year, month), _month_end(year, month)
    return _span(first, last, DatePrecision.MONTH, f"{why} {first:%B %Y}.")


def has_said_convention(*, base: datetime.date, base_end: datetime.date | None) -> ResolvedDate:
    """The codebook's date for an undated report ("has said", the present tense): approximate, from one month
    before the source to its (last) day."""
    end = base_end or base
    year, month = _add_months(base, -1)
    start = datetime.date(year, month, min(base.day, calendar.monthrange(year, month)[1]))
    note = (
        f"The text gives no date for this, so the codebook's 'has said' convention applies: no later than the source "
        f"({day_label(end)}) and, by default, no earlier than one month before it ({day_label(start)}). "
        f"{resolution(start, end)}"
    )
    return ResolvedDate(start, DatePrecision.APPROXIMATE, end, note)
