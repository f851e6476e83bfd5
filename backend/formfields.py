"""Form fields of the web pages with the limits of `backend.limits`, the
web's side of backend/fields.py: a far date is a form error, not an overflow."""

from __future__ import annotations

from typing import Any

from django import forms

from . import limits


class DateField(forms.DateField):
    """A YYYY-MM-DD date between `limits.EARLIEST_DATE` and `limits.LATEST_DATE`."""

    default_validators = [limits.validate_date_in_range]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)
