"""The rules of a booking's life, each written once.

Services, selectors, views, links, mail rendering, statistics and templates
(through the `booking_rules` template library) ask these predicates rather
than spelling a status test of their own: two spellings of one rule are two
rules the day they disagree. Pure: no queries, no clock (`now` is given).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from advisors.models import MeetingMode
from advisors.validation import BUFFER_MAX, SESSION_LENGTH_MAX

from .models import Booking, BookingStatus

MAX_BLOCKED = timedelta(minutes=SESSION_LENGTH_MAX + 2 * BUFFER_MAX)
"""The longest range a booking can block: the longest session and both buffers."""

HELD = (BookingStatus.COMPLETED,)
"""Recorded as held by the advisor: what statistics and funder reports count."""

NOT_MISSED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
"""Neither cancelled nor recorded as a no-show. A session in one of these that
has ended took place as far as anyone has said: the advisor may not have
recorded it yet, and the entrepreneur may already give feedback on it."""

BOOKED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
"""Not cancelled: the time was (or is) taken."""


def upcoming(now: datetime) -> Q:
    """Confirmed sessions not over yet (one under way included): the person's
    list of sessions ahead, and what counts toward their booking limit."""
    return Q(status=BookingStatus.CONFIRMED, end__gt=now)


def is_upcoming(booking: Booking, now: datetime) -> bool:
    """`upcoming` for one booking."""
    return booking.status == BookingStatus.CONFIRMED and booking.end > now


def not_started(now: datetime) -> Q:
    """Confirmed sessions that have not started: those that can still be
    cancelled or moved."""
    return Q(status=BookingStatus.CONFIRMED, start__gt=now)


def can_cancel(booking: Booking, now: datetime) -> bool:
    """A booking can be cancelled while it is confirmed and has not started."""
    return booking.status == BookingStatus.CONFIRMED and booking.start > now


def can_move(booking: Booking, now: datetime) -> bool:
    """A booking can be moved to another time while it could be cancelled."""
    return can_cancel(booking, now)


def took_place(booking: Booking, now: datetime) -> bool:
    """The session is over and was neither cancelled nor missed."""
    return booking.status in NOT_MISSED and booking.end <= now


def can_give_feedback(booking: Booking, now: datetime) -> bool:
    """Its booker may rate a session once it took place (once: the Feedback
    row's uniqueness, checked by the service, is the other half)."""
    return took_place(booking, now) and booking.entrepreneur_id is not None


def can_record_outcome(booking: Booking, now: datetime) -> bool:
    """The advisor records attended or no-show once the session has started,
    and may correct it later; never for a cancelled booking."""
    return booking.status != BookingStatus.CANCELLED and booking.start <= now


def phone_to_call(booking: Booking) -> str:
    """The entrepreneur's phone number for a session by phone, as their account
    has it; "" for other sessions (the advisor sees a person's number only
    where they gave it for a call) or an erased account."""
    if booking.mode != MeetingMode.PHONE or booking.entrepreneur is None:
        return ""
    return booking.entrepreneur.phone
