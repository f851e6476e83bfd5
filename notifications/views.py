"""Calendar files to download: "Add to calendar" on a booking's page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bookings.models import Booking, BookingStatus
from bookings.selectors import booking_for

from .ical import booking_ics


def _person(user: Any) -> tuple[str, str]:
    return (user.full_name or user.email, user.email)


def invite_for_download(booking: Booking, *, viewer_is_advisor: bool, now: datetime) -> bytes:
    """The booking as a calendar file to import (METHOD:PUBLISH), worded for
    whoever downloads it. It leaves out the entrepreneur's message: calendars
    are synced to other services, and the message stays on Rådtid."""
    advisor_user = booking.advisor.user
    if viewer_is_advisor:
        other = booking.entrepreneur.get_full_name() if booking.entrepreneur else _("an erased account")
        if booking.enterprise:
            other = f"{other} ({booking.enterprise.name})"
    else:
        other = f"{advisor_user.get_full_name()} ({booking.advisor.organisation})"
    summary = _("Advice session with %(name)s") % {"name": other}

    location = url = None
    if booking.mode == "in_person":
        location = booking.location or None
    elif booking.mode == "video":
        location = url = booking.meeting_url or None
    elif booking.mode == "phone" and booking.phone:
        location = _("Phone: %(number)s") % {"number": booking.phone}

    lines = [
        _("Topic: %(topic)s") % {"topic": booking.topic.name},
        _("Meeting: %(mode)s") % {"mode": booking.get_mode_display()},
    ]
    if location:
        lines.append(location)
    lines.append(
        _("Details, moving and cancelling: %(url)s")
        % {"url": settings.SITE_URL + reverse("bookings:detail", args=[booking.uid])}
    )
    return booking_ics(
        uid=str(booking.uid),
        sequence=booking.sequence,
        method="PUBLISH",
        start=booking.start,
        end=booking.end,
        summary=summary,
        description="\n".join(lines),
        location=location,
        url=url,
        organizer=_person(advisor_user),
        attendee=_person(booking.entrepreneur) if booking.entrepreneur else None,
        status="CANCELLED" if booking.status == BookingStatus.CANCELLED else "CONFIRMED",
        site_domain=settings.SITE_DOMAIN,
        dtstamp=now,
    )


@never_cache
@login_required
@require_GET
def booking_invite(request: HttpRequest, uid: Any) -> HttpResponse:
    """The .ics of a booking, for its entrepreneur and its advisor; others 404."""
    booking = booking_for(request.user, uid)
    if booking is None:
        raise Http404
    body = invite_for_download(
        booking, viewer_is_advisor=booking.advisor.user_id == request.user.pk, now=timezone.now()
    )
    # Named by the session's day where it takes place, as the pages show it.
    local_day = booking.start.astimezone(ZoneInfo(booking.advisor.timezone)).date()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="radtid-{local_day:%Y-%m-%d}.ics"'
    return response
