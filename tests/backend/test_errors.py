"""The one domain error base and the two places it becomes HTTP."""

from __future__ import annotations

import pytest
from django import forms

from backend.errors import DomainError, ErrorKind, add_to_form, as_api_exception


class PlaceForm(forms.Form):
    start = forms.CharField(required=False)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ErrorKind.INVALID, 400),
        (ErrorKind.FORBIDDEN, 403),
        (ErrorKind.NOT_FOUND, 404),
        (ErrorKind.CONFLICT, 409),
    ],
)
def test_each_kind_answers_its_status_in_the_api_and_on_a_page(kind, status):
    error = DomainError("Nej.", kind=kind)

    assert as_api_exception(error).status_code == status
    assert add_to_form(PlaceForm({}), error) == status


def test_invalid_input_names_its_field_and_a_conflict_says_it_in_detail_too():
    assert as_api_exception(DomainError("Fel tid.", field="start")).detail == {"start": ["Fel tid."]}
    assert as_api_exception(DomainError("Nej.")).detail == {"detail": "Nej."}
    conflict = as_api_exception(DomainError("Tagen.", field="start", kind=ErrorKind.CONFLICT)).detail
    assert conflict == {"detail": "Tagen.", "start": ["Tagen."]}


def test_several_field_errors_go_out_together():
    error = DomainError(errors={"start": ["Fel tid."], "end": ["Fel slut."]})

    assert as_api_exception(error).detail == {"start": ["Fel tid."], "end": ["Fel slut."]}


def test_a_form_shows_the_error_on_its_field_or_above_the_form():
    form = PlaceForm({})
    form.is_valid()

    add_to_form(form, DomainError("Fel tid.", field="start"))
    add_to_form(form, DomainError("Något annat.", field="not_on_this_form"))

    assert form.errors["start"] == ["Fel tid."]
    assert form.non_field_errors() == ["Något annat."]


def test_a_subclass_sets_its_kind_and_one_refusal_may_override_it():
    class Clash(DomainError):
        kind = ErrorKind.CONFLICT

    assert Clash("x").status_code == 409 and Clash("x").conflict
    assert Clash("x", kind=ErrorKind.FORBIDDEN).status_code == 403
    assert DomainError().message == DomainError.default_message
