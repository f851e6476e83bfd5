"""Calendar subscription feeds and a person's notification choices.

A feed (GET /calendar/<token>.ics) is a VCALENDAR with METHOD:PUBLISH of the
person's sessions, upcoming and of the last FEED_PAST_DAYS days: an advisor's
bookings, an entrepreneur's own. Each VEVENT has the UID and the current
SEQUENCE of the booking's invites (invariant 4) and says what the person's
mailed invite and download say (notifications.invites), so a calendar that
got both the mailed invite and the feed shows one event, and a cancelled
session stays in the feed with STATUS:CANCELLED so calendars remove it rather
than keep a stale copy.

The token in the address is the only credential: calendar apps cannot sign
in. It is long (`secrets.token_urlsafe(32)`, 256 bits), stored only as its
SHA-256 digest (a leaked database gives no working address, like
backend.models.ApiToken), shown once when made, and replaced by rotating.
Calendars are synced to services outside Rådtid, so a feed carries what the
booking's downloadable .ics carries and nothing more: never the
entrepreneur's message, never the advisor's private notes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from icalendar import Calendar, vDuration

from advisors.models import Advisor
from backend.audit import audit
from backend.models import User
from bookings.models import Booking

from . import outbox
from .ical import PRODID, booking_ics
from .invites import booking_event
from .models import CalendarFeed, NotificationSettings

FEED_PAST_DAYS = 30
FEED_NAME = "Rådtid"
# How often calendar apps are asked to poll (RFC 7986 REFRESH-INTERVAL and
# Apple's X-PUBLISHED-TTL); the response itself may be cached for 5 minutes.
FEED_REFRESH = timedelta(minutes=15)
# Raised when the rendering changes, so every ETag changes with it.
FEED_FORMAT = "2"
# last_used is a hint for staff, not an access log: written at most this often,
# so polling calendars do not turn every read into a write.
LAST_USED_PRECISION = timedelta(hours=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Services ---------------------------------------------------------------------------


def calendar_feed_rotate(*, user: User) -> str:
    """Give `user` a new feed address and end the old one in the same step:
    the row's digest is replaced, so the old address answers 404 from the
    commit on. Returns the token; it is stored nowhere and cannot be shown
    again."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # Two rotations at once (a double click) must leave one feed rather than
        # trip the one-feed-per-person constraint: lock the person's row first.
        User.objects.select_for_update().filter(pk=user.pk).first()
        CalendarFeed.objects.update_or_create(
            user=user,
            # `created` dates the current address: the page says when it was made.
            defaults={"digest": token_digest(token), "created": timezone.now(), "last_used": None},
        )
        audit("calendar_feed.rotated", actor=user)
    return token


def notification_settings_save(*, user: User, reminder_2h: bool) -> NotificationSettings:
    """Record whether `user` wants the reminder two hours before a session, and
    apply it to the sessions already booked: off cancels their pending 2-hour
    reminders, on schedules those still ahead again."""
    with transaction.atomic():
        choice, _created = NotificationSettings.objects.update_or_create(
            user=user, defaults={"reminder_2h": reminder_2h}
        )
        outbox.record_reminder_choice(user, reminder_2h=reminder_2h)
        audit("notification_settings.saved", actor=user)
    return choice


def calendar_feed_used(feed: CalendarFeed, *, now: datetime) -> None:
    """Note that the feed was read, at most once per LAST_USED_PRECISION."""
    if feed.last_used is None or now - feed.last_used >= LAST_USED_PRECISION:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used=now)


# --- Selectors --------------------------------------------------------------------------


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The feed of an active person whose token this is, with its user; None
    otherwise (unknown, rotated away, or the account deactivated)."""
    return (
        CalendarFeed.objects.select_related("user")
        .filter(digest=token_digest(token), user__is_active=True)
        .first()
    )


def feed_bookings(user: User, *, now: datetime) -> QuerySet[Booking]:
    """The sessions in `user`'s feed: theirs as advisor or as entrepreneur,
    ending at most FEED_PAST_DAYS days ago, cancelled ones included. One query."""
    return (
        # A subquery rather than a join, so each side can use its own index.
        Booking.objects.filter(Q(advisor__in=Advisor.objects.filter(user=user)) | Q(entrepreneur=user))
        .filter(end__gte=now - timedelta(days=FEED_PAST_DAYS))
        .select_related("advisor__user", "entrepreneur", "enterprise", "topic")
        # Never even loaded: a feed that touched them would show in its pinned
        # query count.
        .defer("message", "private_notes", "cancel_reason")
        .order_by("start", "pk")
    )


# --- Rendering --------------------------------------------------------------------------


def feed_events(user: User, *, now: datetime) -> list[dict[str, Any]]:
    """The events of `user`'s feed, each the booking's event as `user` gets
    it by mail and download (invites.booking_event), stamped with the
    booking's last change (so the same data always gives the same file, and
    so the same ETag). One query, whatever the number of bookings."""
    return [
        booking_event(booking, for_advisor=booking.advisor.user_id == user.pk) | {"dtstamp": booking.updated}
        for booking in feed_bookings(user, now=now)
    ]


def feed_etag(events: list[dict[str, Any]]) -> str:
    """A digest of everything the feed says: calendars that poll get a 304
    without the file being rendered again."""
    data = json.dumps([FEED_FORMAT, events], default=str, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def feed_last_modified(feed: CalendarFeed, events: list[dict[str, Any]]) -> datetime:
    """The latest change of a booking in the feed (or the feed's creation).
    Coarser than the ETag (a name changed elsewhere does not move it), so
    clients that send If-None-Match are answered by the ETag alone."""
    return max([feed.created, *(event["dtstamp"] for event in events)])


def feed_ics(events: list[dict[str, Any]]) -> bytes:
    """The VCALENDAR of a feed, as bytes (UTF-8, CRLF). Each VEVENT is made by
    ical.booking_ics, with its validation and escaping, and moved into one
    calendar."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", FEED_NAME)
    calendar.add("x-wr-calname", FEED_NAME)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for values in events:
        single = Calendar.from_ical(booking_ics(method="PUBLISH", **values))
        for event in single.walk("VEVENT"):
            calendar.add_component(event)
    return calendar.to_ical()
