"""What the sign-in page says when a clicked free time sent the person there
(backend/entrance.py): the time and the advisor they were about to book."""

from __future__ import annotations

from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from advisors.selectors import advisor_public

from .forms import SlotForm


def booking_sign_in_reason(request: HttpRequest, path: str, query: str) -> str | None:
    """ "Sign in to book the time … with …" for the booking flow's address
    (/bookings/new/?advisor=…&start=…), None for any other address or one
    that does not name a bookable advisor and a time."""
    if path != reverse("bookings:new"):
        return None
    slot = SlotForm(QueryDict(query))
    if not slot.is_valid():
        return None
    advisor = advisor_public(slot.cleaned_data["advisor"])
    if advisor is None:
        return None
    local = timezone.localtime(slot.cleaned_data["start"], advisor.zone)
    return _("Sign in to book the time %(when)s with %(name)s.") % {
        "when": date_format(local, "DATETIME_FORMAT"),
        "name": advisor.user.get_full_name(),
    }
