"""The predicates of bookings.rules for templates: `{% load booking_rules %}`,
then `{% if booking|took_place:now %}`."""

from __future__ import annotations

from datetime import datetime

from django import template

from bookings import needs, rules
from bookings.models import Booking

register = template.Library()


@register.filter
def took_place(booking: Booking, now: datetime) -> bool:
    return rules.took_place(booking, now)


@register.filter
def can_give_feedback(booking: Booking, now: datetime) -> bool:
    return rules.can_give_feedback(booking, now)


@register.filter
def phone_to_call(booking: Booking) -> str:
    return rules.phone_to_call(booking)


@register.filter
def needs_described(booking: Booking) -> list:
    """The booking's needs in words (bookings.needs.described)."""
    return needs.described(booking.needs)
