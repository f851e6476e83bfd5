"""Reads of bookings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from advisors.availability import Booked
from backend.models import User

from .models import Booking, BookingStatus, Enterprise


def booked_source(
    advisor_ids: Collection[int], start: datetime, end: datetime, exclude: Collection[object] = ()
) -> dict[int, list[Booked]]:
    """What blocks the advisors' slots in [start, end), as the slot engine wants
    it (registered with advisors.busy in BookingsConfig.ready): their active
    bookings and the slots held for the waitlist, in one query. `exclude` holds
    booking ids (a booking being moved) and ("waitlist", entry id) keys."""
    from .waitlist import waitlist_held_rows  # waitlist builds on the services, which build on this

    booking_ids = [key for key in exclude if isinstance(key, int)]
    bookings = (
        Booking.objects.filter(advisor_id__in=advisor_ids, start__lt=end, end__gt=start)
        .exclude(status=BookingStatus.CANCELLED)
        .exclude(pk__in=booking_ids)
        .order_by()
        .values_list("advisor_id", "start", "end", "blocked_start", "blocked_end")
    )
    rows = bookings.union(waitlist_held_rows(advisor_ids, start, end, exclude), all=True)
    found: dict[int, list[Booked]] = defaultdict(list)
    for advisor_id, *times in rows:
        found[advisor_id].append(Booked(*times))
    return found


def bookings_visible_to(user: User) -> QuerySet[Booking]:
    """The bookings `user` may see: their own as entrepreneur or as advisor
    (staff use the admin). Everyone else's are not there (invariant 7)."""
    if not user.is_authenticated:
        return Booking.objects.none()
    return (
        Booking.objects.filter(Q(entrepreneur=user) | Q(advisor__user=user))
        .select_related("advisor__user", "advisor__region", "topic", "enterprise", "entrepreneur")
        .order_by("start", "pk")
    )


def booking_for(user: User, uid) -> Booking | None:
    return bookings_visible_to(user).filter(uid=uid).first()


HELD = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


def first_sessions_ended(after: datetime, before: datetime) -> QuerySet[Booking]:
    """Enterprises' first held sessions that ended in [after, before): the
    sessions the outcome follow-up asks about. A cancelled or missed session
    is not a first session; the next held one is."""
    earlier = Booking.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), status__in=HELD, start__lt=OuterRef("start")
    )
    return (
        Booking.objects.filter(
            status__in=HELD,
            end__gte=after,
            end__lt=before,
            enterprise__isnull=False,
            entrepreneur__isnull=False,
        )
        .exclude(Exists(earlier))
        .order_by("end", "pk")
    )


def enterprises_of(user: User) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(members=user).select_related("municipality").order_by("name")
