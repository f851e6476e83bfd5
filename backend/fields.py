"""The API's date and instant fields: every serializer that takes a day or a
point in time takes it through one of these, so that a far date or a time
without its offset is a field error, never an overflow deeper in (the
accepted range is `backend.limits`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import limits


def _refuse_nul(value: Any) -> None:
    if isinstance(value, str) and limits.NUL in value:
        raise serializers.ValidationError(limits.NUL_MESSAGE, code=limits.NUL_CODE)


class DateField(serializers.DateField):
    """A calendar date between `limits.EARLIEST_DATE` and `limits.LATEST_DATE`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)
        self.validators.append(limits.validate_date_in_range)

    def to_internal_value(self, value: Any) -> date:
        _refuse_nul(value)
        return super().to_internal_value(value)


class InstantField(serializers.DateTimeField):
    """A point in time in ISO 8601 with its UTC offset ("2027-03-02T09:00:00+01:00"),
    on a date within the accepted range; cleaned to the current time zone as
    DRF does. A time without an offset is refused: which zone it meant is a
    guess."""

    default_error_messages = {
        **serializers.DateTimeField.default_error_messages,
        "naive": _("Give the time with its UTC offset, for example 2027-03-02T09:00:00+01:00."),
    }

    def to_internal_value(self, value: Any) -> datetime:
        _refuse_nul(value)
        return super().to_internal_value(value)

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.utcoffset() is None:
            self.fail("naive")
        if not limits.date_in_range(value):
            raise serializers.ValidationError(limits.date_range_message(), code="date_range")
        return super().enforce_timezone(value)
