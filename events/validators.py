from django.core.exceptions import ValidationError


def validate_verbatim(*, source_text: str, excerpt: str, source_label: str) -> None:
    """Refuse an excerpt that does not stand, character for character, in its source's text."""
    if not excerpt or not excerpt.strip():
        raise ValidationError({"excerpt": "An excerpt cannot be empty."})
    if excerpt not in source_text:
        raise ValidationError(
            {
                "excerpt": (
                    f"This excerpt is not verbatim in source “{source_label}”. Copy it exactly from the article "
                    "text, including quotation marks, apostrophes and dashes."
                )
            }
        )
