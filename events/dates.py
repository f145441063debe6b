"""Partial dates: a first day plus a precision, resolved to the last day the date can denote.

"September 2025" is stored as 2025-09-01 with month precision and spans 2025-09-01..2025-09-30; a filter on a
date range matches it when the two spans overlap.
"""

import calendar
import datetime

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
