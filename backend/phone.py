"""Phone numbers people give us: for a session by phone, the number the
advisor calls. Kept as the person wrote it (tidied), since that is how they
and their advisor read it; a number that cannot be called is refused."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PHONE_MAX_LENGTH = 30

_SEPARATORS = re.compile(r"[\s\-()/.]+")
_WRITTEN = re.compile(r"^\+?[\d\s\-()/.]+$")

INVALID_PHONE = _("Write a phone number we can call, such as 070-123 45 67 or +46 70 123 45 67.")


def normalise_phone(value: str) -> str:
    """`value` with its spaces tidied, or "" for nothing. Raises
    ValidationError unless it is a Swedish number with its leading 0
    (7–12 digits, "070-123 45 67") or an international one with + or 00
    (8–15 digits, E.164's length)."""
    value = " ".join(value.split())
    if not value:
        return ""
    digits = _SEPARATORS.sub("", value)
    if len(value) > PHONE_MAX_LENGTH or not _WRITTEN.match(value):
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    if digits.startswith("+"):
        count, national = len(digits) - 1, False
    elif digits.startswith("00"):
        count, national = len(digits) - 2, False
    else:
        count, national = len(digits), True
    if national and not (digits.startswith("0") and 7 <= count <= 12):
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    if not national and not 8 <= count <= 15:
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return value
