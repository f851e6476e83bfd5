"""The bookings app's part of a person's export and erasure (backend/privacy.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.models import User
from backend.privacy import (
    ORDER_RELEASE,
    ORDER_SCRUB,
    iso,
    register_erasure_check,
    register_erasure_step,
    register_export_section,
)

from . import rules
from .models import (
    WAITLIST_ACTIVE,
    Booking,
    Enterprise,
    EntrepreneurProfile,
    Feedback,
    FollowUpAnswer,
    WaitlistEntry,
)
from .services import booking_cancel, person_bookings_erase
from .waitlist import waitlist_withdraw


def _booking(booking: Booking) -> dict[str, Any]:
    return {
        "uid": str(booking.uid),
        "start": iso(booking.start),
        "end": iso(booking.end),
        "duration": booking.duration,
        "status": booking.status,
        "topic": booking.topic.slug,
        "mode": booking.mode,
        "location": booking.location,
        "meeting_url": booking.meeting_url,
        "phone": booking.phone,
        "created": iso(booking.created),
        "cancelled_at": iso(booking.cancelled_at),
        "cancel_reason": booking.cancel_reason,
    }


def export_entrepreneur_profile(user: User) -> dict[str, Any] | None:
    profile = EntrepreneurProfile.objects.filter(user=user).first()
    return {"gender": profile.gender} if profile else None


def export_enterprises(user: User) -> list[dict[str, Any]]:
    return [
        {
            "name": e.name,
            "org_number": e.org_number,
            "kind": e.kind,
            "legal_form": e.legal_form,
            "women_led": e.women_led,
            "municipality": e.municipality_id,
            "created": iso(e.created),
        }
        for e in Enterprise.objects.filter(members=user).order_by("created", "pk")
    ]


def export_bookings(user: User) -> list[dict[str, Any]]:
    """Bookings the person made, with the advisor's outcome note (written for
    them too) and without the advisor's private notes, which are the
    advisor's alone (invariant 7)."""
    bookings = Booking.objects.filter(entrepreneur=user).select_related(
        "topic", "advisor__user", "enterprise"
    )
    return [
        {
            **_booking(b),
            "advisor": b.advisor.user.get_full_name(),
            "organisation": b.advisor.organisation,
            "enterprise": b.enterprise.name if b.enterprise else None,
            "message": b.message,
            "needs": b.needs,
            "outcome_note": b.outcome_note,
        }
        for b in bookings.order_by("start", "pk")
    ]


def export_bookings_as_advisor(user: User) -> list[dict[str, Any]]:
    """Sessions the person held as an advisor, with their own private notes
    and the outcome notes they wrote. What the entrepreneurs wrote is theirs
    and in their own exports."""
    bookings = Booking.objects.filter(advisor__user=user).select_related("topic")
    return [
        {**_booking(b), "private_notes": b.private_notes, "outcome_note": b.outcome_note}
        for b in bookings.order_by("start", "pk")
    ]


def export_feedback(user: User) -> list[dict[str, Any]]:
    rows = Feedback.objects.filter(booking__entrepreneur=user).select_related("booking")
    return [
        {"booking": str(f.booking.uid), "rating": f.rating, "comment": f.comment, "created": iso(f.created)}
        for f in rows.order_by("created", "pk")
    ]


def export_follow_up_answers(user: User) -> list[dict[str, Any]]:
    rows = FollowUpAnswer.objects.filter(booking__entrepreneur=user).select_related("booking")
    fields = ("new_customers", "public_contract", "financing", "hiring", "comment")
    return [
        {
            "booking": str(a.booking.uid),
            **{name: getattr(a, name) for name in fields},
            "created": iso(a.created),
        }
        for a in rows.order_by("created", "pk")
    ]


def export_waitlist(user: User) -> list[dict[str, Any]]:
    rows = WaitlistEntry.objects.filter(entrepreneur=user).select_related("topic", "advisor__user")
    return [
        {
            "advisor": e.advisor.user.get_full_name() if e.advisor else None,
            "region": e.region_id,
            "topic": e.topic.slug if e.topic else None,
            "status": e.status,
            "created": iso(e.created),
            "offered_start": iso(e.offered_start),
            "offer_expires_at": iso(e.offer_expires_at),
        }
        for e in rows.order_by("created", "pk")
    ]


def refuse_advisor_with_sessions_ahead(user: User, now: datetime) -> Any:
    """An advisor's coming sessions are the entrepreneurs' too: they must be
    handed over or cancelled by the region, not vanish with the account."""
    ahead = Booking.objects.filter(rules.not_started(now), advisor__user=user)
    if ahead.exists():
        return _(
            "You still have advice sessions booked ahead. Ask your regional coordinator to hand them "
            "over to another advisor or cancel them; then you can erase your account."
        )
    return None


def release(user: User, now: datetime) -> int:
    """First step of erasing `user` (backend.privacy.person_erase): leave every
    waitlist and cancel every future booking through booking_cancel, so the
    advisors get the cancellation notice (outbox) and the slots go to the
    waitlist. Waitlists go first, or a freed slot could be offered back to the
    person being erased. Returns the number of bookings cancelled."""
    for entry in user.waitlist_entries.filter(status__in=WAITLIST_ACTIVE):
        waitlist_withdraw(entry=entry, by=user, now=now)
    future = Booking.objects.filter(rules.not_started(now), entrepreneur=user)
    cancelled = 0
    for booking in future:
        booking_cancel(booking=booking, by=None, reason="", now=now)
        cancelled += 1
    return cancelled


def scrub(user: User, now: datetime) -> None:
    person_bookings_erase(user=user, now=now)


def register() -> None:
    register_export_section("entrepreneur_profile", export_entrepreneur_profile)
    register_export_section("enterprises", export_enterprises)
    register_export_section("bookings", export_bookings)
    register_export_section("bookings_as_advisor", export_bookings_as_advisor)
    register_export_section("feedback", export_feedback)
    register_export_section("follow_up_answers", export_follow_up_answers)
    register_export_section("waitlist", export_waitlist)
    register_erasure_check(refuse_advisor_with_sessions_ahead)
    register_erasure_step("bookings.release", release, order=ORDER_RELEASE)
    register_erasure_step("bookings.scrub", scrub, order=ORDER_SCRUB)
