"""Signed one-click links for emails: cancel or move a booking without signing in.

A token names the booking (uid), the action and the booking's sequence when
the link was made. Every change to a booking raises its sequence, so a link
dies as soon as the booking is moved or cancelled; it also expires when the
session starts, and after LINK_MAX_AGE at the latest. The link itself is the
credential (like a password-reset link): whoever holds it acts as the
entrepreneur who booked. Mail scanners open links, so the views never act on
GET.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from . import rules
from .models import Booking, BookingStatus

SALT = "radtid.booking-link"
LINK_MAX_AGE = timedelta(days=60)
# Feedback and the follow-up survey are asked for after the session; their
# links live this long after the mail is due.
AFTER_SESSION_LINK_AGE = timedelta(days=45)

Action = Literal["cancel", "reschedule", "feedback", "follow_up"]


class LinkError(Exception):
    """A link that cannot be used. `reason` is "invalid" (tampered or
    malformed), "expired" or "stale" (the booking has changed since)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def make_token(
    booking: Booking, action: Action, *, now: datetime | None = None, expires: datetime | None = None
) -> str:
    """A signed token for `action` on `booking`, valid until `expires` (by
    default the session's start, within LINK_MAX_AGE)."""
    now = now or timezone.now()
    if expires is None:
        expires = min(booking.start, now + LINK_MAX_AGE)
    payload = {"b": booking.uid.hex, "a": action, "s": booking.sequence, "e": int(expires.timestamp())}
    return signing.dumps(payload, salt=SALT, compress=True)


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def cancel_url(booking: Booking, *, now: datetime | None = None) -> str:
    """An absolute link that cancels `booking` after one confirming click."""
    return _absolute(reverse("bookings:link_cancel", args=[make_token(booking, "cancel", now=now)]))


def reschedule_url(booking: Booking, *, now: datetime | None = None) -> str:
    """An absolute link to pick a new time for `booking`."""
    return _absolute(reverse("bookings:link_reschedule", args=[make_token(booking, "reschedule", now=now)]))


def feedback_url(booking: Booking) -> str:
    """An absolute link to a short feedback form for `booking`, usable without
    signing in, from the end of the session until AFTER_SESSION_LINK_AGE later.
    It can only rate this one session, once, as the person who booked it."""
    token = make_token(booking, "feedback", expires=booking.end + AFTER_SESSION_LINK_AGE)
    return _absolute(reverse("bookings:link_feedback", args=[token]))


def follow_up_url(booking: Booking, *, due: datetime) -> str:
    """An absolute link to the outcome follow-up survey about the enterprise
    whose first session `booking` was; valid AFTER_SESSION_LINK_AGE after `due`."""
    token = make_token(booking, "follow_up", expires=due + AFTER_SESSION_LINK_AGE)
    return _absolute(reverse("bookings:link_follow_up", args=[token]))


def _decode(token: str, action: Action, now: datetime) -> tuple[Booking, int]:
    """The booking a token names and the sequence it was made at; LinkError
    if it is tampered, for another action, or past its expiry."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE + AFTER_SESSION_LINK_AGE)
    except signing.SignatureExpired as error:
        raise LinkError("expired") from error
    except (signing.BadSignature, ValueError) as error:
        raise LinkError("invalid") from error
    try:
        uid = uuid.UUID(hex=str(payload["b"]))
        sequence, expires = int(payload["s"]), int(payload["e"])
        if payload["a"] != action:
            raise LinkError("invalid")
    except (KeyError, TypeError, ValueError) as error:
        raise LinkError("invalid") from error
    if now.timestamp() >= expires:
        raise LinkError("expired")
    booking = (
        Booking.objects.filter(uid=uid)
        .select_related(
            "advisor__user", "advisor__region", "topic", "entrepreneur", "enterprise", "booked_by"
        )
        .first()
    )
    if booking is None:
        raise LinkError("invalid")
    return booking, sequence


def booking_from_token(token: str, action: Action, *, now: datetime | None = None) -> Booking:
    """The booking a cancel or reschedule link is for, if the link still
    works; LinkError otherwise."""
    now = now or timezone.now()
    booking, sequence = _decode(token, action, now)
    if booking.start <= now:
        raise LinkError("expired")
    if (
        booking.sequence != sequence
        or booking.status != BookingStatus.CONFIRMED
        or booking.entrepreneur is None
    ):
        raise LinkError("stale")
    return booking


def held_booking_from_token(token: str, action: Action, *, now: datetime | None = None) -> Booking:
    """The held session a feedback or follow-up link is about; LinkError if
    the link does not work or the session was not held by its booker."""
    now = now or timezone.now()
    booking, _sequence = _decode(token, action, now)
    if not rules.can_give_feedback(booking, now):
        raise LinkError("stale")
    return booking
