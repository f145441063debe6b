"""A wrong choice names the valid ones, and a near miss the one meant: for filters (`status=`) and write bodies."""

import difflib
from collections.abc import Iterable

from rest_framework import serializers

# Lists longer than this (the 250 country codes) are named by their kind rather than spelt out.
LISTED_AT_MOST = 40


def normalised(value: str) -> str:
    """How a person misspells a choice: case, and spaces or hyphens for underscores ("Police training")."""
    return "_".join(str(value).strip().lower().replace("-", " ").split())


def closest(value: str, valid: Iterable[str]) -> str | None:
    """The valid choice ``value`` most likely meant, or None when none is close (difflib's ratio from 0.7)."""
    valid = [str(v) for v in valid]
    by_key = {normalised(v): v for v in valid}
    key = normalised(value)
    if key in by_key:
        return by_key[key]
    found = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.7)
    return by_key[found[0]] if found else None


def invalid_choice_message(value, valid: Iterable[str], *, what: str = "value") -> str:
    """“polic_training” is not a valid value; did you mean `police_training`? Valid values: troops, …"""
    valid = [str(v) for v in valid]
    message = f"“{value}” is not a valid {what}."
    suggestion = closest(str(value), valid)
    if suggestion is not None:
        message += f" Did you mean `{suggestion}`?"
    if len(valid) <= LISTED_AT_MOST:
        message += f" Valid {what}s: {', '.join(valid)}."
    return message


class SuggestingChoiceField(serializers.ChoiceField):
    """DRF's ChoiceField, whose refusal lists the choices and suggests the closest."""

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            raise serializers.ValidationError(
                invalid_choice_message(data, self.choice_strings_to_values), code="invalid_choice"
            ) from None
