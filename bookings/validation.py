"""Swedish organisation numbers (organisationsnummer)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ORG_NUMBER = re.compile(r"^([0-9]{6})-?([0-9]{4})$")  # ASCII digits only, not any Unicode digit


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(digits):
        n = int(char) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def normalise_org_number(value: str) -> str:
    """NNNNNN-NNNN from a valid organisation number, or ValidationError saying
    what is wrong. A personal identity number (its third and fourth digits
    are a month, 01-12) is refused: a sole trader's number is the owner's
    personal number, which we do not want to store."""
    match = ORG_NUMBER.match(value.strip().replace(" ", ""))
    if not match:
        raise ValidationError(_("Write the organisation number as NNNNNN-NNNN, ten digits."), code="format")
    digits = match.group(1) + match.group(2)
    if int(digits[2:4]) < 20:
        raise ValidationError(
            _(
                "This looks like a personal identity number, not an organisation number (its third and "
                "fourth digits are below 20). Leave the field empty for a sole trader or an idea: we do "
                "not store personal identity numbers."
            ),
            code="personal_number",
        )
    if not luhn_ok(digits):
        raise ValidationError(
            _("The organisation number is not valid: its last digit does not match. Check for typos."),
            code="checksum",
        )
    return f"{digits[:6]}-{digits[6:]}"
