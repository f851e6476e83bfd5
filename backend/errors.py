"""One base for the errors of the domain, and the one place each becomes HTTP.

A service that refuses raises a `DomainError` (or a subclass of its app) with
a message for the person, the input `field` it is about (None: the request as
a whole) and its `kind`: invalid input (400), forbidden (403: the caller may
see the object but not do this), not found (404) or a conflict with the
current state (409). Views do not translate by hand: the API's exception
handler (`api_exception_handler`, REST_FRAMEWORK["EXCEPTION_HANDLER"]) and
`add_to_form` for the web pages do it, the same way everywhere.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler


class ErrorKind(enum.Enum):
    INVALID = status.HTTP_400_BAD_REQUEST
    FORBIDDEN = status.HTTP_403_FORBIDDEN
    NOT_FOUND = status.HTTP_404_NOT_FOUND
    CONFLICT = status.HTTP_409_CONFLICT


class DomainError(Exception):
    """Something the domain refuses to do; nothing was changed. A subclass sets
    its `kind` (and may a `default_message`); `kind=` overrides it for one
    refusal. `errors` carries several field errors at once ({field: [message]})
    for a service that checks a whole form's worth of input."""

    kind: ErrorKind = ErrorKind.INVALID
    default_message: Any = _("This cannot be done.")

    def __init__(
        self,
        message: Any = None,
        *,
        field: str | None = None,
        kind: ErrorKind | None = None,
        errors: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        self.errors = dict(errors or {})
        if kind is not None:
            self.kind = kind
        super().__init__(str(self.message))

    @property
    def status_code(self) -> int:
        return self.kind.value

    @property
    def conflict(self) -> bool:
        return self.kind is ErrorKind.CONFLICT


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This clashes with the current state.")
    default_code = "conflict"


def as_api_exception(error: DomainError) -> exceptions.APIException:
    """The API's answer to a refusal: 400 with the field errors (or detail),
    403/404 with a detail, 409 with a detail and the field it is about."""
    if error.kind is ErrorKind.FORBIDDEN:
        return exceptions.PermissionDenied(error.message)
    if error.kind is ErrorKind.NOT_FOUND:
        return exceptions.NotFound(error.message)
    if error.kind is ErrorKind.CONFLICT:
        body: dict[str, Any] = {"detail": error.message}
        if error.field:
            body[error.field] = [error.message]
        return Conflict(body)
    if error.errors:
        return exceptions.ValidationError({field: list(messages) for field, messages in error.errors.items()})
    return exceptions.ValidationError(
        {error.field: [error.message]} if error.field else {"detail": error.message}
    )


def api_exception_handler(exc: Exception, context: dict) -> Any:
    """DRF's handler, answering domain errors too."""
    if isinstance(exc, DomainError):
        exc = as_api_exception(exc)
    return exception_handler(exc, context)


def add_to_form(form: forms.BaseForm, error: DomainError) -> int:
    """Show a refusal on the form (on its field when the form has one, else
    above the form) and return the status the page should answer with."""
    pairs: Iterable[tuple[str | None, Sequence[Any]]] = (
        error.errors.items() if error.errors else [(error.field, [error.message])]
    )
    for field, messages in pairs:
        for message in messages:
            form.add_error(field if field in form.fields else None, str(message))
    return error.status_code
