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
