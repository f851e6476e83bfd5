"""What other apps add to bookings' pages, without bookings importing them.

Imports flow reporting -> bookings (DESIGN.md), so a page of bookings cannot
ask reporting which funding project a booking is in. Instead reporting
registers sources here when it starts (its AppConfig.ready), as bookings
registers its busy intervals with advisors.busy; each source returns a
fragment of HTML it rendered itself, or "" for nothing to say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from advisors.models import Advisor, Topic

from .models import Booking, Enterprise


@dataclass(frozen=True)
class PlannedSession:
    """A session about to be booked, as the booking flow's last step has it."""

    advisor: Advisor
    start: datetime
    topic: Topic
    enterprise: Enterprise | None


# (request, booking, as its advisor) -> HTML shown on the booking's page.
BookingPanel = Callable[[HttpRequest, Booking, bool], str]
# (request, planned session) -> HTML shown before the person confirms a booking.
BookingNotice = Callable[[HttpRequest, PlannedSession], str]
# (request, enterprise) -> HTML shown on the enterprise's page to its members.
EnterprisePanel = Callable[[HttpRequest, Enterprise], str]

_booking_panels: list[BookingPanel] = []
_booking_notices: list[BookingNotice] = []
_enterprise_panels: list[EnterprisePanel] = []


def register_booking_panel(source: BookingPanel) -> None:
    if source not in _booking_panels:
        _booking_panels.append(source)


def register_booking_notice(source: BookingNotice) -> None:
    if source not in _booking_notices:
        _booking_notices.append(source)


def register_enterprise_panel(source: EnterprisePanel) -> None:
    if source not in _enterprise_panels:
        _enterprise_panels.append(source)


def _joined(fragments: list[str]) -> SafeString:
    # Each fragment was rendered by a template (escaped there).
    return mark_safe("".join(fragment for fragment in fragments if fragment))  # noqa: S308


def booking_panels(request: HttpRequest, booking: Booking, as_advisor: bool) -> SafeString:
    return _joined([source(request, booking, as_advisor) for source in _booking_panels])


def booking_notices(request: HttpRequest, session: PlannedSession) -> SafeString:
    return _joined([source(request, session) for source in _booking_notices])


def enterprise_panels(request: HttpRequest, enterprise: Enterprise) -> SafeString:
    return _joined([source(request, enterprise) for source in _enterprise_panels])
