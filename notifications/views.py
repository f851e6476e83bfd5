"""Calendar files and choices: "Add to calendar" on a booking's page, the
subscription feed, and the page where a person manages both."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from backend.types import AuthenticatedHttpRequest
from bookings import rules
from bookings.selectors import booking_for

from . import feeds, invites
from .models import CalendarFeed, NotificationSettings

FEED_MAX_AGE = 300  # seconds a calendar app (or a private cache) may reuse the feed


@never_cache
@login_required
@require_GET
def booking_invite(request: AuthenticatedHttpRequest, uid: Any) -> HttpResponse:
    """The .ics of a booking, for its entrepreneur and its advisor; others 404.
    A file to import (METHOD:PUBLISH): the same event as the reader's mailed
    invite and feed (notifications.invites)."""
    booking = booking_for(request.user, uid)
    if booking is None:
        raise Http404
    body = invites.invite_ics(
        booking,
        for_advisor=booking.advisor.user_id == request.user.pk,
        method="PUBLISH",
        dtstamp=timezone.now(),
    )
    # Named by the session's day where it takes place, as the pages show it.
    local_day = booking.start.astimezone(booking.advisor.zone).date()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="radtid-{local_day:%Y-%m-%d}.ics"'
    return response


@never_cache
@login_required
@require_GET
def booking_add_to_calendar(request: AuthenticatedHttpRequest, uid: Any, service: str) -> HttpResponse:
    """The "Add to Google / Outlook" links beside the .ics: a redirect to that
    service's new-event form, filled in with the event of the reader's .ics.
    Made here, when the person asks, rather than written into the booking's
    page (bookings knows nothing of calendars). For the booking's two people;
    others, an unknown service and a session that is no longer to come 404."""
    booking = booking_for(request.user, uid)
    if (
        booking is None
        or service not in invites.ADD_TO_CALENDAR
        or not rules.is_upcoming(booking, timezone.now())
    ):
        raise Http404
    url = invites.add_to_calendar_url(
        booking, for_advisor=booking.advisor.user_id == request.user.pk, service=service
    )
    return HttpResponseRedirect(url)


# --- The subscription feed ---------------------------------------------------------------


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """GET /calendar/<token>.ics: the person's sessions for calendar apps,
    which cannot sign in, so the token is the credential. An unknown token is a
    plain 404, the same as any missing page. Polling is cheap: the ETag is a
    digest of the feed's data, and a matching If-None-Match gets a 304 without
    the file being rendered."""
    feed = feeds.calendar_feed_for_token(token)
    if feed is None:
        raise Http404
    now = timezone.now()
    events = feeds.feed_events(feed.user, now=now)
    feeds.calendar_feed_used(feed, now=now)
    etag = quote_etag(feeds.feed_etag(events))
    last_modified = feeds.feed_last_modified(feed, events)

    response = get_conditional_response(request, etag=etag, last_modified=int(last_modified.timestamp()))
    if response is None:
        response = HttpResponse(feeds.feed_ics(events), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="radtid.ics"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    # private: the feed is one person's; no shared cache may keep it.
    response["Cache-Control"] = f"private, max-age={FEED_MAX_AGE}"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The settings page -------------------------------------------------------------------


class ReminderForm(forms.Form):
    reminder_2h = forms.BooleanField(
        label=gettext_lazy("Also remind me two hours before a session"),
        help_text=gettext_lazy("You always get a reminder the day before."),
        required=False,
    )


def _feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("notifications:feed", args=[token])


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """/calendar/settings/: create or replace the calendar feed, and (for
    entrepreneurs, whose reminders it governs) the 2-hour reminder. A new feed
    address is shown in the answer to the POST that made it and never again:
    only its digest is stored."""
    user = request.user
    choice = NotificationSettings.objects.filter(user=user).first()
    reminder_form = ReminderForm(initial={"reminder_2h": choice.reminder_2h if choice else True})
    new_url = None
    action = request.POST.get("action")

    if action == "rotate":
        new_url = _feed_url(feeds.calendar_feed_rotate(user=user))
    elif action == "reminders" and user.is_entrepreneur:
        reminder_form = ReminderForm(request.POST)
        if reminder_form.is_valid():
            feeds.notification_settings_save(user=user, reminder_2h=reminder_form.cleaned_data["reminder_2h"])
            messages.success(request, _("Your reminder settings are saved."))
            return redirect("notifications:calendar_settings")
    elif request.method == "POST":
        return HttpResponse(status=400)

    context = {
        "feed": CalendarFeed.objects.filter(user=user).first(),
        "new_url": new_url,
        "new_webcal_url": "webcal://" + new_url.split("://", 1)[1] if new_url else None,
        "reminder_form": reminder_form if user.is_entrepreneur else None,
        "past_days": feeds.FEED_PAST_DAYS,
    }
    return render(request, "notifications/calendar_settings.html", context)
