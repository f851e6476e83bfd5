"""Form fields of the web pages with the limits of `backend.limits`, the
web's side of backend/fields.py: a far date is a form error, not an overflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import limits
from .phone import PHONE_MAX_LENGTH


class DateField(forms.DateField):
    """A YYYY-MM-DD date between `limits.EARLIEST_DATE` and `limits.LATEST_DATE`."""

    default_validators = [limits.validate_date_in_range]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)


def _reachable(field: forms.ModelChoiceField, value: Any) -> bool:
    """Whether the database can be asked about `value` at all: PostgreSQL
    refuses NUL in text, and an integer beyond 64 bits overflows the driver
    (Django catches neither in a choice field's lookup)."""
    if isinstance(value, str) and limits.NUL in value:
        return False
    if field.queryset is None:
        return True
    meta = field.queryset.model._meta
    key = meta.get_field(field.to_field_name) if field.to_field_name else meta.pk
    if isinstance(key, models.IntegerField):
        try:
            number = int(str(value).strip())
        except ValueError:
            return True  # Django's own lookup refuses it as not a number
        return limits.INTEGER_MIN <= number <= limits.INTEGER_MAX
    return True


class PhoneField(forms.CharField):
    """A person's phone number as they write it (backend.phone checks and tidies
    it): optional, a phone keyboard on a phone, the length the account holds."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", PHONE_MAX_LENGTH)
        kwargs.setdefault(
            "error_messages", {"max_length": _("Write a phone number of at most 30 characters.")}
        )
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)


class ModelChoiceField(forms.ModelChoiceField):
    """Django's, with input the database cannot take refused as not a choice."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _reachable(self, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, with input the database cannot take refused as not a choice."""

    def _check_values(self, value: Any) -> Any:
        for item in value if isinstance(value, list | tuple) else ():
            if not _reachable(self, item):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)  # type: ignore[misc]  # Django's, missing from the stubs


# A mixin for forms: the type checker sees the form it is mixed into.
if TYPE_CHECKING:
    _Form = forms.BaseForm
else:
    _Form = object


class ErrorLinksMixin(_Form):
    """A form whose error summary (templates/_error_summary.html) links to
    the first input of every field, radio buttons too."""

    @property
    def error_links(self) -> list[tuple[str | None, str]]:
        """(input id, message) pairs for templates/_error_summary.html."""
        links: list[tuple[str | None, str]] = [(None, str(e)) for e in self.non_field_errors()]
        for field in self:
            if field.is_hidden:
                links.extend((None, str(error)) for error in field.errors)
                continue
            # A radio group's label points nowhere; its first button takes focus.
            target = field.id_for_label or (f"{field.auto_id}_0" if field.auto_id else None)
            links.extend((target, str(error)) for error in field.errors)
        return links
