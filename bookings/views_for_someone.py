"""The advisor's page for booking someone else (bookings.callers): a person
who called or walked in. The advisor chooses a free time in the directory,
theirs or a colleague's in any organisation; as an advisor, the directory's
times lead here rather than into the entrepreneur's booking flow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from advisors.models import Advisor, Region
from advisors.selectors import advisor_public
from backend.errors import add_to_form
from backend.moments import moment_text
from backend.types import AuthenticatedHttpRequest

from . import callers
from .forms import ForSomeoneForm, SlotForm
from .services import BookingError
from .views import slot_refusal, topics_of

# The service's names for the person's fields, where the page's differ.
FORM_FIELDS = {"name": "person_name", "phone": "person_phone"}


@login_required
@require_http_methods(["GET", "POST"])
def booking_for_someone(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET with a free time (?advisor=&start=&duration=, as the directory
    links) asks who the person is and what the session is about; its POST
    books. Without a time it says where to choose one. Only for advisors."""
    if not Advisor.objects.filter(user=request.user, is_active=True).exists():
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    directory = reverse("directory:list")
    slot = SlotForm(data)
    if not slot.is_valid():
        asked = any(name in data for name in ("advisor", "start"))
        return render(
            request,
            "bookings/for_someone/choose.html",
            {
                "directory_url": directory,
                "own": Advisor.objects.filter(user=request.user).first(),
                "asked": asked,
            },
            status=400 if asked else 200,
        )
    advisor = advisor_public(slot.cleaned_data["advisor"])
    if advisor is None:
        return render(
            request,
            "bookings/for_someone/choose.html",
            {
                "directory_url": directory,
                "reason": _("This advisor cannot be booked at the moment."),
                "asked": True,
            },
            status=404,
        )
    start = slot.cleaned_data["start"]
    duration = slot.cleaned_data["duration"] or (advisor.session_lengths or [60])[0]
    now = timezone.now()
    context: dict[str, Any] = {
        "advisor": advisor,
        "start": start,
        "end": start + timedelta(minutes=duration),
        "duration": duration,
        "free_times_url": reverse("directory:advisor", args=[advisor.pk]),
    }
    refusal = slot_refusal(advisor, start, duration, now)
    if refusal:
        reason = (
            _("Someone else has just taken this time. Choose another.") if refusal == "taken" else refusal
        )
        return render(
            request,
            "bookings/for_someone/choose.html",
            {**context, "directory_url": directory, "reason": reason, "asked": True},
            status=409 if refusal == "taken" else 400,
        )
    form = ForSomeoneForm(
        request.POST if request.method == "POST" else None,
        topics=topics_of(advisor),
        modes=advisor.meeting_modes,
        regions=Region.objects.prefetch_related("municipalities").order_by("name"),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            cleaned = form.cleaned_data
            try:
                booking = callers.booking_create_for(
                    by=request.user,
                    caller=callers.Caller(cleaned["person_name"], cleaned["email"], cleaned["person_phone"]),
                    enterprise=callers.CallerEnterprise(
                        cleaned["enterprise_name"],
                        cleaned["org_number"],
                        cleaned["municipality"],
                        cleaned["kind"],
                    ),
                    advisor=advisor,
                    start=start,
                    duration=duration,
                    topic=cleaned["topic"],
                    mode=cleaned["mode"],
                    message=cleaned["message"],
                    needs=form.chosen_needs(),
                    now=now,
                )
            except BookingError as error:
                error.field = FORM_FIELDS.get(error.field or "", error.field)
                status = add_to_form(form, error)
            else:
                person = booking.entrepreneur
                told = (
                    _("They get the confirmation and the calendar invite by email.")
                    if person is not None and person.has_mailbox
                    else _("They have no email address: tell them the time yourself.")
                )
                messages.success(
                    request,
                    _("Booked for %(name)s with %(advisor)s, %(when)s.")
                    % {
                        "name": cleaned["person_name"],
                        "advisor": advisor.user.get_full_name(),
                        "when": moment_text(booking.start, zone=advisor.zone),
                    }
                    + " "
                    + told,
                )
                # The booking's page: its advisor's to change, the maker's to see.
                return redirect("bookings:detail", uid=booking.uid)
        else:
            status = 400
    return render(request, "bookings/for_someone/book.html", {**context, "form": form}, status=status)
