"""Forms of the booking pages. They only parse what people send; the rules
(free times, who may do what, once-only feedback) live in bookings.services."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from advisors.models import MeetingMode, Municipality, Region, Topic
from backend import limits
from backend.formfields import DateField, ErrorLinksMixin, PhoneField
from backend.phone import normalise_phone

from . import needs
from .models import Booking, Enterprise, EnterpriseKind, Gender, LegalForm, WomenLed
from .services import MESSAGE_MAX, OUTCOME_NOTE_MAX
from .validation import normalise_org_number


class SiteForm(ErrorLinksMixin, forms.Form):
    """A form whose labels stand alone (no trailing colon) and whose error
    summary links to the first input of every field, radio buttons too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# --- The time a booking is for ------------------------------------------------------

# "+" in a query string written by hand arrives as a space.
_SPACE_FOR_PLUS = re.compile(r" (\d\d:?\d\d)$")


class InstantField(forms.Field):
    """An ISO 8601 instant with its UTC offset ("2026-12-08T10:00:00+01:00"),
    as the advisor's page writes it into its links; cleaned to UTC."""

    default_error_messages = {
        "invalid": _("The time is not one we can read. Please choose a free time on the advisor's page."),
    }

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        text = _SPACE_FOR_PLUS.sub(r"+\1", str(value).strip())
        if len(text) > 40:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        # Without an offset the time is ambiguous; far-off years are nobody's
        # free time and keep date arithmetic away from datetime's limits.
        if parsed.utcoffset() is None or not limits.date_in_range(parsed):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed.astimezone(UTC)


class SlotForm(SiteForm):
    """Which advisor, when and how long: the query of /bookings/new/."""

    advisor = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    start = InstantField(widget=forms.HiddenInput)
    duration = forms.IntegerField(min_value=1, max_value=24 * 60, required=False, widget=forms.HiddenInput)


class MoveForm(SiteForm):
    """The new time picked when moving a booking, and whether the person has
    confirmed the move (the page asks before it moves anything)."""

    start = InstantField()
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


# --- Describing the need --------------------------------------------------------------


class DescribeForm(SiteForm):
    """Step one of booking: what about, how to meet, for which enterprise."""

    topic = forms.ChoiceField(
        label=_("What would you like advice on?"),
        error_messages={
            "required": _("Choose what you would like advice on."),
            "invalid_choice": _("Choose one of the advisor's topics."),
        },
    )
    mode = forms.ChoiceField(
        label=_("How would you like to meet?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how you would like to meet."),
            "invalid_choice": _("Choose one of the ways this advisor meets."),
        },
    )
    enterprise = forms.ChoiceField(
        label=_("For which enterprise?"),
        error_messages={
            "required": _("Choose the enterprise the session is for."),
            "invalid_choice": _("Choose one of your enterprises."),
        },
    )
    message = forms.CharField(
        label=_("What would you like help with? (optional)"),
        help_text=_(
            "A few lines help the advisor prepare. Please do not write about health or other "
            "sensitive personal matters."
        ),
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"max_length": _("Write at most 2,000 characters.")},
    )

    phone = PhoneField(
        label=_("Your phone number"),
        help_text=_("For a session by phone: the advisor calls you on this number."),
    )

    # What the person needs to take part (bookings.needs), all optional.
    interpreter_language = forms.ChoiceField(
        label=_("Interpreter"),
        required=False,
        choices=[("", _("No interpreter")), *needs.INTERPRETER_LANGUAGES],
        help_text=_("The advisor books the interpreter, which takes a few working days."),
        error_messages={"invalid_choice": _("Choose one of the interpreter languages offered.")},
    )
    step_free = forms.BooleanField(label=needs.FLAG_LABELS["step_free"], required=False)
    hearing_loop = forms.BooleanField(label=needs.FLAG_LABELS["hearing_loop"], required=False)
    companion = forms.BooleanField(label=needs.FLAG_LABELS["companion"], required=False)
    easy_read = forms.BooleanField(label=needs.FLAG_LABELS["easy_read"], required=False)
    needs_other = forms.CharField(
        label=_("Anything else you need to take part? (optional)"),
        required=False,
        max_length=needs.OTHER_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Write at most 500 characters.")},
    )

    def __init__(
        self,
        *args: Any,
        topics: Sequence[Topic],
        modes: Sequence[str],
        enterprises: Sequence[Enterprise],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if MeetingMode.PHONE not in modes:
            # Whether a phone session needs it is bookings.services.phone_for_session's to say.
            del self.fields["phone"]
        self.topics = {t.slug: t for t in topics}
        self.enterprises = {str(e.pk): e for e in enterprises}
        cast(forms.ChoiceField, self.fields["topic"]).choices = [
            ("", _("Choose a topic")),
            *((t.slug, t.name) for t in topics),
        ]
        cast(forms.ChoiceField, self.fields["mode"]).choices = [(m, MeetingMode(m).label) for m in modes]
        if len(modes) == 1:
            self.fields["mode"].initial = modes[0]
        if len(enterprises) > 1:
            cast(forms.ChoiceField, self.fields["enterprise"]).choices = [
                ("", _("Choose an enterprise")),
                *((str(e.pk), e.name) for e in enterprises),
            ]
        else:
            # One enterprise: the session is for it, nothing to ask.
            del self.fields["enterprise"]

    def clean_topic(self) -> Topic:
        return self.topics[self.cleaned_data["topic"]]

    def clean_enterprise(self) -> Enterprise:
        return self.enterprises[self.cleaned_data["enterprise"]]

    def clean_message(self) -> str:
        # Browsers send a textarea's line breaks as CRLF; one character each,
        # as the person counted them while typing.
        message = self.cleaned_data["message"].replace("\r\n", "\n")
        if len(message) > MESSAGE_MAX:
            raise ValidationError(self.fields["message"].error_messages["max_length"], code="max_length")
        return message

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def chosen_needs(self) -> dict[str, Any]:
        """The needs answered, as bookings.needs keeps them."""
        data = self.cleaned_data
        return needs.clean_needs(
            {
                "interpreter_language": data.get("interpreter_language") or None,
                **{name: bool(data.get(name)) for name in needs.FLAG_NAMES},
                "other": data.get("needs_other", ""),
            }
        )

    def chosen_enterprise(self) -> Enterprise:
        if "enterprise" in self.fields:
            return self.cleaned_data["enterprise"]
        return next(iter(self.enterprises.values()))


class ForSomeoneForm(DescribeForm):
    """An advisor books for a caller (bookings.callers): who they are and
    their enterprise, then what the session is about, as step one asks an
    entrepreneur, in words for the advisor."""

    person_name = forms.CharField(
        label=_("The person's name"),
        max_length=150,
        error_messages={"required": _("Write the person's name.")},
    )
    email = forms.EmailField(
        label=_("Their email address"),
        help_text=_(
            "The confirmation, the calendar invite and the links to move or cancel go here. If the address "
            "already has an account, the booking is theirs there."
        ),
        required=False,
        error_messages={"invalid": _("Write an email address such as namn@example.se.")},
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    person_phone = PhoneField(
        label=_("Their phone number"),
        help_text=_(
            "An email address, a phone number or both. For a session by phone, you call this number."
        ),
    )
    enterprise_name = forms.CharField(
        label=_("Name of their enterprise or idea"),
        max_length=200,
        error_messages={"required": _("Write the name of the enterprise or idea.")},
    )
    org_number = forms.CharField(
        label=_("Organisation number (optional)"),
        help_text=_("NNNNNN-NNNN. Leave it empty for an idea or a sole trader."),
        max_length=20,
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind of enterprise"),
        choices=EnterpriseKind.choices,
        initial=EnterpriseKind.OTHER,
        error_messages={"invalid_choice": _("Choose one of the kinds of enterprise.")},
    )
    municipality = forms.ChoiceField(
        label=_("Municipality (optional)"),
        help_text=_("Where the enterprise works. The region's statistics count it."),
        required=False,
        error_messages={"invalid_choice": _("Choose a municipality from the list.")},
    )

    field_order = [
        "person_name",
        "email",
        "person_phone",
        "enterprise_name",
        "org_number",
        "kind",
        "municipality",
    ]

    def __init__(
        self,
        *args: Any,
        topics: Sequence[Topic],
        modes: Sequence[str],
        regions: Iterable[Region],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, topics=topics, modes=modes, enterprises=(), **kwargs)
        # The person's number is asked above, whatever the mode.
        self.fields.pop("phone", None)
        self.fields["topic"].label = _("What is the session about?")
        self.fields["mode"].label = _("How will you meet?")
        self.fields["message"].label = _("What they would like help with (optional)")
        self.fields["needs_other"].label = _("Anything else they need to take part? (optional)")
        self.municipalities: dict[str, Municipality] = {}
        groups = []
        for region in regions:
            municipalities = list(region.municipalities.all())
            self.municipalities.update((m.code, m) for m in municipalities)
            groups.append((region.name, [(m.code, m.name) for m in municipalities]))
        cast(forms.ChoiceField, self.fields["municipality"]).choices = [("", _("Not stated")), *groups]

    def clean_person_phone(self) -> str:
        return normalise_phone(self.cleaned_data["person_phone"])

    def clean_org_number(self) -> str:
        value = self.cleaned_data["org_number"].strip()
        return normalise_org_number(value) if value else ""

    def clean_municipality(self) -> Municipality | None:
        code = self.cleaned_data["municipality"]
        return self.municipalities[code] if code else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = data.get("email") or data.get("person_phone")
        if not given and not self.has_error("email") and not self.has_error("person_phone"):
            self.add_error("email", _("Give the person's email address, phone number or both."))
        return data


# --- Enterprise and profile -------------------------------------------------------------


class EnterpriseForm(SiteForm):
    """An enterprise, and the person's gender for anonymous statistics."""

    name = forms.CharField(
        label=_("Name of the enterprise or idea"),
        max_length=200,
        error_messages={"required": _("Write the name of the enterprise or idea.")},
    )
    org_number = forms.CharField(
        label=_("Organisation number (optional)"),
        help_text=_("NNNNNN-NNNN. Leave it empty for an idea or a sole trader."),
        max_length=20,
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind of enterprise"),
        choices=[("", _("Choose a kind")), *EnterpriseKind.choices],
        error_messages={"required": _("Choose the kind of enterprise.")},
    )
    legal_form = forms.ChoiceField(label=_("Legal form"), choices=LegalForm.choices, required=False)
    women_led = forms.ChoiceField(
        label=_("Is the enterprise led by women?"),
        help_text=Enterprise._meta.get_field("women_led").help_text,
        choices=WomenLed.choices,
        widget=forms.RadioSelect,
        initial=WomenLed.NOT_STATED,
        # Unanswered (a form from before the question) is "not stated", never a no.
        required=False,
        error_messages={"invalid_choice": _("Choose one of the options.")},
    )
    municipality = forms.ChoiceField(
        label=_("Municipality"),
        help_text=_("Where the enterprise works, or mostly works."),
        error_messages={
            "required": _("Choose the municipality."),
            "invalid_choice": _("Choose a municipality from the list."),
        },
    )
    gender = forms.ChoiceField(
        label=_("Your gender"),
        help_text=_("We use this only for anonymous statistics: no one can see it about you."),
        choices=Gender.choices,
        widget=forms.RadioSelect,
        initial=Gender.NOT_STATED,
        error_messages={"required": _("Choose one of the options, “Prefer not to say” too.")},
    )

    def __init__(self, *args: Any, regions: Iterable[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipalities: dict[str, Municipality] = {}
        groups = []
        for region in regions:
            municipalities = list(region.municipalities.all())
            self.municipalities.update((m.code, m) for m in municipalities)
            groups.append((region.name, [(m.code, m.name) for m in municipalities]))
        # Grouped choices render as <optgroup>, one per region.
        cast(forms.ChoiceField, self.fields["municipality"]).choices = [
            ("", _("Choose a municipality")),
            *groups,
        ]

    def clean_org_number(self) -> str:
        value = self.cleaned_data["org_number"].strip()
        return normalise_org_number(value) if value else ""

    def clean_women_led(self) -> str:
        return self.cleaned_data["women_led"] or WomenLed.NOT_STATED

    def clean_municipality(self) -> Municipality:
        return self.municipalities[self.cleaned_data["municipality"]]

    @staticmethod
    def initial_for(enterprise: Enterprise | None, gender: str) -> dict[str, Any]:
        if enterprise is None:
            return {"gender": gender}
        return {
            "name": enterprise.name,
            "org_number": enterprise.org_number,
            "kind": enterprise.kind,
            "legal_form": enterprise.legal_form,
            "women_led": enterprise.women_led,
            "municipality": enterprise.municipality_id,
            "gender": gender,
        }


# --- After booking ------------------------------------------------------------------------


class CancelForm(SiteForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        help_text=_("The advisor sees it. Please do not write about health or other sensitive matters."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Write at most 500 characters.")},
    )

    def __init__(self, *args: Any, by_advisor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if by_advisor:
            # The reason goes to the other one: for an advisor, the entrepreneur.
            self.fields["reason"].help_text = _(
                "The entrepreneur sees it in the cancellation mail. Please do not write about health or "
                "other sensitive matters."
            )


RATINGS = [
    (5, _("5, very good")),
    (4, _("4, good")),
    (3, _("3, fair")),
    (2, _("2, poor")),
    (1, _("1, very poor")),
]


class FeedbackForm(SiteForm):
    rating = forms.TypedChoiceField(
        label=_("How useful was the session?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        help_text=_("What was good, what could be better? The advisor and their organisation read it."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Write at most 2,000 characters.")},
    )


class FollowUpForm(SiteForm):
    """Three months on: what the advice led to. Every box may stay empty."""

    new_customers = forms.BooleanField(label=_("New customers"), required=False)
    public_contract = forms.BooleanField(label=_("A public contract (offentlig upphandling)"), required=False)
    financing = forms.BooleanField(label=_("Financing (a loan, a grant or an investment)"), required=False)
    hiring = forms.BooleanField(label=_("Hiring people far from the labour market"), required=False)
    comment = forms.CharField(
        label=_("Anything else? (optional)"),
        help_text=_("Only the region reads this. Reports show the answers of many enterprises together."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Write at most 2,000 characters.")},
    )


class OutcomeForm(SiteForm):
    outcome = forms.ChoiceField(
        label=_("Did the session take place?"),
        choices=[("attended", _("Yes, held")), ("no_show", _("No, they did not come"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the session took place.")},
    )
    outcome_note = forms.CharField(
        label=pgettext_lazy("outcome note", "Outcome of the session"),
        help_text=_(
            "What the session covered and what you agreed. The entrepreneur sees it. When the booking "
            "is part of a funding project, it documents the support given. Your private notes stay "
            "yours alone."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Write at most 5,000 characters.")},
    )
    private_notes = forms.CharField(
        label=_("Private notes"),
        help_text=_("Only you can see these."),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Write at most 10,000 characters.")},
    )

    needs_not_met = forms.MultipleChoiceField(
        label=_("Needs that could not be met"),
        help_text=_("Tick what you could not arrange. The statistics count it, never who it was."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, booking: Booking, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the booking's own needs can go unmet; without any, no question.
        if booking.stat_needs:
            cast(forms.MultipleChoiceField, self.fields["needs_not_met"]).choices = [
                (kind, needs.kind_described(kind, booking.needs)) for kind in booking.stat_needs
            ]
        else:
            del self.fields["needs_not_met"]

    def clean_outcome_note(self) -> str:
        # Counted as the advisor typed it: a line break is one character,
        # though browsers send it as CRLF.
        note = self.cleaned_data["outcome_note"].replace("\r\n", "\n")
        if len(note) > OUTCOME_NOTE_MAX:
            raise ValidationError(self.fields["outcome_note"].error_messages["max_length"], code="max_length")
        return note


class DayForm(SiteForm):
    """`?day=2027-03-02` on the advisor's bookings: one day of the calendar."""

    day = DateField(error_messages={"invalid": _("Enter a day as YYYY-MM-DD, for example 2027-03-02.")})
