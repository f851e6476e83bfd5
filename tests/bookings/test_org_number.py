"""Swedish organisation numbers: format, the check digit, and no personal identity numbers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from bookings.validation import luhn_ok, normalise_org_number


def with_check_digit(nine: str) -> str:
    return next(nine + str(d) for d in range(10) if luhn_ok(nine + str(d)))


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("769600-0004", "769600-0004"),
        ("7696000004", "769600-0004"),
        (" 769600 0004 ", "769600-0004"),
        ("802500-0004", "802500-0004"),
    ],
)
def test_valid_numbers_are_normalised(given_value, expected):
    assert normalise_org_number(given_value) == expected


@pytest.mark.parametrize("value", ["", "12345", "769600-00040", "76960A-0004", "769600--0004"])
def test_malformed_numbers_say_how_to_write_one(value):
    with pytest.raises(ValidationError) as error:
        normalise_org_number(value)
    assert error.value.code == "format"


def test_a_wrong_check_digit_is_refused():
    with pytest.raises(ValidationError) as error:
        normalise_org_number("769600-0005")
    assert error.value.code == "checksum"


@pytest.mark.parametrize(("language", "words"), [("sv", "personnummer"), ("en", "personal identity number")])
def test_a_personal_identity_number_is_refused_with_the_reason(language, words):
    # 850709-9805 is a valid personal identity number (month 07 in digits 3-4).
    with translation.override(language), pytest.raises(ValidationError) as error:
        normalise_org_number("850709-9805")
    assert error.value.code == "personal_number"
    with translation.override(language):
        assert words in str(error.value.messages[0])


@given(st.from_regex(r"[0-9]{2}[2-9][0-9]{6}", fullmatch=True))
def test_every_number_with_a_right_check_digit_and_third_digit_at_least_2_is_accepted(nine):
    number = with_check_digit(nine)
    assert normalise_org_number(number) == f"{number[:6]}-{number[6:]}"


@given(st.from_regex(r"[0-9]{2}[01][0-9]{6}", fullmatch=True))
def test_every_number_whose_third_and_fourth_digits_are_below_20_is_refused(nine):
    with pytest.raises(ValidationError) as error:
        normalise_org_number(with_check_digit(nine))
    assert error.value.code == "personal_number"


@given(st.text(max_size=30))
def test_any_text_is_either_accepted_or_refused_with_a_validation_error(text):
    try:
        result = normalise_org_number(text)
    except ValidationError:
        return
    assert len(result) == 11 and result[6] == "-"


def test_unicode_digits_are_not_digits_here():
    with pytest.raises(ValidationError):
        normalise_org_number("٧٦٩٦٠٠-٠٠٠٤")  # 769600-0004 in Arabic-Indic digits
