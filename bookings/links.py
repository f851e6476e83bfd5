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

from .models import Booking, BookingStatus

SALT = "radtid.booking-link"
LINK_MAX_AGE = timedelta(days=60)

Action = Literal["cancel", "reschedule"]


class LinkError(Exception):
    """A link that cannot be used. `reason` is "invalid" (tampered or
    malformed), "expired" or "stale" (the booking has changed since)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def make_token(booking: Booking, action: Action, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
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
    """An absolute link to the booking's feedback form. Not signed: feedback
    is given signed in (the page sends a visitor to sign in and back), so a
    forwarded email gives nobody a voice in someone else's name."""
    return _absolute(reverse("bookings:feedback", args=[booking.uid]))


def booking_from_token(token: str, action: Action, *, now: datetime | None = None) -> Booking:
    """The booking a link is for, if the link still works; LinkError otherwise."""
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
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
        .select_related("advisor__user", "advisor__region", "topic", "entrepreneur", "enterprise")
        .first()
    )
    if booking is None:
        raise LinkError("invalid")
    if booking.start <= now:
        raise LinkError("expired")
    if (
        booking.sequence != sequence
        or booking.status != BookingStatus.CONFIRMED
        or booking.entrepreneur is None
    ):
        raise LinkError("stale")
    return booking
