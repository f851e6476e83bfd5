"""The advisors app's part of a person's export and erasure (backend/privacy.py):
their advisor profile with its hours, and their coordinator role.

Whether an advisor with sessions still ahead may go is the bookings app's
question (bookings.privacy), since advisors knows no bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.models import User
from backend.privacy import ORDER_SCRUB, iso, register_erasure_step, register_export_section

from .models import Advisor, Coordinator, WeeklyHours


def export_advisor(user: User) -> dict[str, Any] | None:
    advisor = (
        Advisor.objects.filter(user=user)
        .select_related("region")
        .prefetch_related("topics", "languages", "municipalities")
        .first()
    )
    if advisor is None:
        return None
    return {
        "region": advisor.region_id,
        "organisation": advisor.organisation,
        "title": advisor.title,
        "about": advisor.bio,
        "topics": [t.slug for t in advisor.topics.all()],
        "languages": [lang.code for lang in advisor.languages.all()],
        "municipalities": [m.code for m in advisor.municipalities.all()],
        "meeting_modes": advisor.meeting_modes,
        "address": advisor.address,
        "accessibility_note": advisor.accessibility_note,
        "phone": advisor.phone,
        "meeting_url": advisor.meeting_url,
        "is_active": advisor.is_active,
        "created": iso(advisor.created),
        "timezone": advisor.timezone,
        "session_lengths": advisor.session_lengths,
        "slot_step": advisor.slot_step,
        "buffer_before": advisor.buffer_before,
        "buffer_after": advisor.buffer_after,
        "min_notice_hours": advisor.min_notice_hours,
        "horizon_days": advisor.horizon_days,
        "max_per_day": advisor.max_per_day,
        "closed_on_public_holidays": advisor.closed_on_public_holidays,
        "interpreter_lead_days": advisor.interpreter_lead_days,
        "weekly_hours": [
            {"weekday": h.weekday, "start": h.start.strftime("%H:%M"), "end": h.end.strftime("%H:%M")}
            for h in WeeklyHours.objects.filter(advisor=advisor).order_by("weekday", "start")
        ],
        "overrides": advisor.date_overrides,
        "time_off": advisor.time_off,
        "busy_calendar_url": advisor.busy_calendar_url or None,
    }


def export_coordinator(user: User) -> dict[str, Any] | None:
    coordinator = Coordinator.objects.filter(user=user).first()
    if coordinator is None:
        return None
    return {"region": coordinator.region_id, "organisation": coordinator.organisation}


def erase_advisor(user: User, now: datetime) -> None:
    """The profile stays, deactivated, because held bookings point at it; what
    describes the person goes. The organisation stays: it is the employer's,
    and statistics count by it."""
    advisor = Advisor.objects.filter(user=user).first()
    if advisor is None:
        return
    for name in ("title", "bio", "phone", "meeting_url", "accessibility_note", "busy_calendar_url"):
        setattr(advisor, name, "")
    advisor.busy_calendar_error = ""
    advisor.is_active = False
    advisor.time_off = []
    advisor.save()
    advisor.external_busy.all().delete()


def erase_coordinator(user: User, now: datetime) -> None:
    Coordinator.objects.filter(user=user).delete()


def register() -> None:
    register_export_section("advisor_profile", export_advisor)
    register_export_section("coordinator", export_coordinator)
    register_erasure_step("advisors.advisor", erase_advisor, order=ORDER_SCRUB)
    register_erasure_step("advisors.coordinator", erase_coordinator, order=ORDER_SCRUB)
