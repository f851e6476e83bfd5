"""Reads of bookings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from advisors.availability import Booked
from backend import sql
from backend.models import User

from . import rules
from .models import Booking, BookingStatus, Enterprise, EntrepreneurProfile, Feedback, FollowUpAnswer, Gender


def booked_source(
    advisor_ids: Collection[int], start: datetime, end: datetime, exclude: Collection[object] = ()
) -> dict[int, list[Booked]]:
    """What blocks the advisors' slots in [start, end), as the slot engine wants
    it (registered with advisors.busy in BookingsConfig.ready): their active
    bookings and the slots held for the waitlist, in one query. `exclude` holds
    booking ids (a booking being moved) and ("waitlist", entry id) keys.

    Hand-written SQL (backend/sql.py says why), equal to
    `Booking.objects.filter(...).exclude(status=CANCELLED)` over the same
    window (tests/bookings/test_booked_source.py)."""
    from .waitlist import waitlist_held_sql  # waitlist builds on the services, which build on this

    if not advisor_ids:
        return {}
    ids = list(advisor_ids)
    booking_ids = [key for key in exclude if isinstance(key, int)]
    leave_out = f" AND id NOT IN ({sql.placeholders(len(booking_ids))})" if booking_ids else ""
    held, held_params = waitlist_held_sql(ids, start, end, exclude)
    # The blocked range overlaps the window; its end is bounded on both sides
    # (a blocked range is never longer than MAX_BLOCKED), so the (advisor,
    # blocked_end) index reads the window's bookings, not the advisor's history.
    query = (
        f'SELECT advisor_id, start, "end", blocked_start, blocked_end FROM {sql.table(Booking)}'  # noqa: S608 - fixed text
        f" WHERE advisor_id IN ({sql.placeholders(len(ids))})"
        " AND blocked_end > %s AND blocked_end < %s AND blocked_start < %s AND status <> %s"
        f"{leave_out} UNION ALL {held}"
    )
    params = [
        *ids,
        sql.moment_param(start),
        sql.moment_param(end + rules.MAX_BLOCKED),
        sql.moment_param(end),
        BookingStatus.CANCELLED.value,
        *booking_ids,
        *held_params,
    ]
    found: dict[int, list[Booked]] = defaultdict(list)
    moment = sql.moment
    for advisor_id, *times in sql.rows(query, params):
        found[advisor_id].append(Booked(*map(moment, times)))
    return found


def upcoming_count(advisor_id: int, now: datetime) -> int:
    """The advisor's upcoming sessions (rules.upcoming), registered with
    advisors.busy for the coordinator's deactivation page."""
    return Booking.objects.filter(rules.upcoming(now), advisor_id=advisor_id).count()


def bookings_visible_to(user: User) -> QuerySet[Booking]:
    """The bookings `user` may see: their own as entrepreneur or as advisor,
    and those they booked for someone else (staff use the admin). Everyone
    else's are not there (invariant 7)."""
    if not user.is_authenticated:
        return Booking.objects.none()
    return (
        Booking.objects.filter(Q(entrepreneur=user) | Q(advisor__user=user) | Q(booked_by=user))
        .select_related(
            "advisor__user", "advisor__region", "topic", "enterprise", "entrepreneur", "booked_by"
        )
        .order_by("start", "pk")
    )


def booking_for(user: User, uid) -> Booking | None:
    return bookings_visible_to(user).filter(uid=uid).first()


def first_sessions_ended(after: datetime, before: datetime) -> QuerySet[Booking]:
    """Enterprises' first held sessions that ended in [after, before): the
    sessions the outcome follow-up asks about. A cancelled or missed session
    is not a first session; the next held one is."""
    earlier = Booking.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), status__in=rules.NOT_MISSED, start__lt=OuterRef("start")
    )
    return (
        Booking.objects.filter(
            status__in=rules.NOT_MISSED,
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


def feedback_of(booking: Booking) -> Feedback | None:
    return Feedback.objects.filter(booking=booking).first()


def follow_up_answered(booking: Booking) -> bool:
    return FollowUpAnswer.objects.filter(booking=booking).exists()


def entrepreneur_gender(user: User) -> str:
    """What the person said of their gender (for statistics), or "not stated"."""
    profile = EntrepreneurProfile.objects.filter(user=user).first()
    return profile.gender if profile else Gender.NOT_STATED


def entrepreneur_bookings(user: User, now: datetime) -> tuple[list[Booking], QuerySet[Booking]]:
    """An entrepreneur's sessions ahead (soonest first), and the rest: past
    and cancelled, latest first, with their feedback."""
    mine = bookings_visible_to(user).filter(entrepreneur=user).select_related("feedback")
    return list(mine.filter(rules.upcoming(now))), mine.exclude(rules.upcoming(now)).order_by("-start", "-pk")


def advisor_bookings_between(user: User, since: datetime, until: datetime) -> list[Booking]:
    """An advisor's bookings starting in [since, until), cancelled ones too."""
    return list(bookings_visible_to(user).filter(advisor__user=user, start__gte=since, start__lt=until))


def advisor_bookings(user: User, now: datetime) -> tuple[QuerySet[Booking], QuerySet[Booking]]:
    """An advisor's sessions ahead (soonest first), and the past ones not
    cancelled (latest first), whose outcome they record."""
    theirs = bookings_visible_to(user).filter(advisor__user=user)
    past = theirs.filter(start__lte=now).exclude(status=BookingStatus.CANCELLED).order_by("-start", "-pk")
    return theirs.filter(rules.upcoming(now)), past
