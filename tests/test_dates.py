import datetime

import pytest
from django.core.exceptions import ValidationError

from events.dates import resolve_span

D = datetime.date


@pytest.mark.parametrize(
    ("start", "precision", "end", "expected"),
    [
        (D(2025, 11, 6), "day", None, D(2025, 11, 6)),
        (D(2025, 11, 3), "week", None, D(2025, 11, 9)),
        (D(2025, 9, 1), "month", None, D(2025, 9, 30)),
        (D(2024, 2, 1), "month", None, D(2024, 2, 29)),
        (D(2006, 1, 1), "year", None, D(2006, 12, 31)),
        (D(2026, 1, 1), "approximate", D(2026, 4, 30), D(2026, 4, 30)),
        (None, "unknown", None, None),
        (D(2025, 9, 1), "month", D(2025, 9, 30), D(2025, 9, 30)),
    ],
)
def test_resolve_span_returns_last_day_the_date_can_denote(start, precision, end, expected):
    """Each precision resolves to the last day its span covers; approximate dates keep the editor's end."""
    assert resolve_span(start, precision, end) == expected


@pytest.mark.parametrize(
    ("start", "precision", "end", "field", "message"),
    [
        (D(2025, 11, 4), "week", None, "date", "A week-precision date must be the Monday of that week."),
        (D(2025, 9, 2), "month", None, "date", "A month-precision date must be the first day of the month."),
        (D(2006, 2, 1), "year", None, "date", "A year-precision date must be 1 January."),
        (D(2026, 1, 1), "approximate", None, "date_end", "An approximate date needs the last day it can fall on."),
        (
            D(2026, 1, 2),
            "approximate",
            D(2026, 1, 1),
            "date_end",
            "The end of an approximate date cannot be before its start.",
        ),
        (None, "day", None, "date", "A date with day precision needs a date."),
        (D(2025, 1, 1), "unknown", None, "date", "An unknown date has no date and no end; choose another precision."),
        (
            D(2025, 9, 1),
            "month",
            D(2025, 9, 15),
            "date_end",
            "With month precision the end is 2025-09-30; leave it empty.",
        ),
    ],
)
def test_resolve_span_rejects_inconsistent_parts(start, precision, end, field, message):
    """A partial date whose parts contradict each other is refused with a message on the right field."""
    with pytest.raises(ValidationError) as error:
        resolve_span(start, precision, end)
    assert error.value.message_dict == {field: [message]}


# Relative expressions (issue 13): one resolver, against the source's date -------------------------------------


@pytest.mark.parametrize(
    ("expression", "future", "expected"),
    [
        ("on Thursday", False, ("2025-11-06", "day", "2025-11-06")),
        ("Friday", False, ("2025-11-07", "day", "2025-11-07")),
        ("last Friday", False, ("2025-10-31", "day", "2025-10-31")),
        ("on Monday", True, ("2025-11-10", "day", "2025-11-10")),
        # The day before the source, in the future tense: the codebook's ambiguous "set to begin Thursday".
        ("Thursday", True, ("2025-11-06", "approximate", "2025-11-13")),
        ("yesterday", False, ("2025-11-06", "day", "2025-11-06")),
        ("earlier this week", False, ("2025-11-03", "approximate", "2025-11-06")),
        ("this week", False, ("2025-11-03", "approximate", "2025-11-07")),
        ("last week", False, ("2025-10-27", "week", "2025-11-02")),
        ("next month", False, ("2025-12-01", "month", "2025-12-31")),
        ("last month", False, ("2025-10-01", "month", "2025-10-31")),
        ("last year", False, ("2024-01-01", "year", "2024-12-31")),
        ("two weeks ago", False, ("2025-10-20", "week", "2025-10-26")),
        ("3 days ago", False, ("2025-11-04", "day", "2025-11-04")),
        ("in September", False, ("2025-09-01", "month", "2025-09-30")),
        ("in December", False, ("2024-12-01", "month", "2024-12-31")),
        ("in January", True, ("2026-01-01", "month", "2026-01-31")),
        ("Oct. 7, 2023", False, ("2023-10-07", "day", "2023-10-07")),
        ("on October 10", False, ("2025-10-10", "day", "2025-10-10")),
        ("early 2026", False, ("2026-01-01", "approximate", "2026-04-30")),
    ],
)
def test_relative_expressions_resolve_against_the_source_date(expression, future, expected):
    from events.dates import resolve_date_expression

    resolved = resolve_date_expression(expression, base=D(2025, 11, 7), future=future)
    assert (resolved.date.isoformat(), resolved.precision, resolved.date_end.isoformat()) == expected
    assert resolved.note.startswith("The source is dated Fri 7 Nov 2025;")
    assert resolved.note.endswith(resolution_of(expected))


def resolution_of(expected: tuple[str, str, str]) -> str:
    start, _, end = expected
    return f"Resolved: {start}." if start == end else f"Resolved: {start} to {end}."


@pytest.mark.parametrize("expression", ["recently", "May", "soon", "over the past few years", "earlier this week"])
def test_the_resolver_abstains_on_what_it_does_not_know(expression):
    """Nothing guessed: not an expression it knows, a modal "May", or "earlier this week" on a Monday."""
    from events.dates import resolve_date_expression

    assert resolve_date_expression(expression, base=D(2025, 11, 3)) is None


def test_a_source_dated_by_a_span_resolves_at_both_ends():
    from events.dates import resolve_date_expression

    same = resolve_date_expression("on Thursday", base=D(2025, 11, 20), base_end=D(2025, 11, 26))
    assert (same.date, same.precision) == (D(2025, 11, 20), "day")
    spread = resolve_date_expression("yesterday", base=D(2025, 11, 20), base_end=D(2025, 11, 26))
    assert (spread.date, spread.precision, spread.date_end) == (D(2025, 11, 19), "approximate", D(2025, 11, 25))


@pytest.mark.parametrize(
    ("sentence", "day", "future"),
    [
        # What was said is in the future; when it was said is not (found from outside).
        ("Indonesia said on Monday that it will deploy troops.", D(2025, 12, 1), False),
        ("Indonesia said on Monday, adding that it will deploy troops.", D(2025, 12, 1), False),
        ("Indonesia will deploy troops on Monday.", D(2025, 12, 8), True),
    ],
)
def test_the_tense_of_a_date_is_its_own_clause(sentence, day, future):
    from events.dates import find_dates

    (found,) = find_dates(sentence, base=D(2025, 12, 4))
    assert (found.resolved.date, found.future) == (day, future)
