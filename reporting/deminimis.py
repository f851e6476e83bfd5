"""De minimis aid: what an enterprise declares it received elsewhere, and
what its sessions here are worth (issue 16; Regulation (EU) 2023/2831).

Free advice paid by a funding project is de minimis aid to the enterprise:
each held session in a project is worth its hours × the project's hourly aid
value in SEK, turned into EUR at `settings.DE_MINIMIS_SEK_PER_EUR`. Over
three years (the three years before today, by the sessions' local dates) an
enterprise may receive at most EUR 300,000 in all: what it declared plus what
it received here. Who may read and write: the enterprise's members; its
advisors (who have a booking with it) read; everyone else finds nothing (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.audit import audit
from backend.errors import DomainError, ErrorKind
from backend.models import User
from bookings import rules
from bookings.models import Booking, Enterprise

from .models import DeMinimisDeclaration, FundingProject
from .periods import period_bounds, years_later
from .projects import local_day, project_of, projects_matching, projects_of

CEILING_EUR = Decimal(300000)
YEARS = 3
# The most anyone can have declared and still be under the ceiling, with room for typos.
MAX_DECLARED_EUR = Decimal("99999999.99")
CENT = Decimal("0.01")


class DeMinimisError(DomainError):
    """A de minimis declaration that cannot be made (400 unless its kind says otherwise)."""


@dataclass(frozen=True)
class Access:
    enterprise: Enterprise
    may_write: bool


def enterprise_access(user: User, pk: Any) -> Access | None:
    """The enterprise `pk` as `user` may reach its de minimis record: members
    read and write, advisors with a booking with it read; None for everyone
    else (invariant 7). Two queries at most."""
    if not user.is_authenticated:
        return None
    enterprise = Enterprise.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if enterprise is None:
        return None
    if enterprise.members.filter(pk=user.pk).exists():
        return Access(enterprise, may_write=True)
    if user.is_advisor and Booking.objects.filter(enterprise=enterprise, advisor__user=user).exists():
        return Access(enterprise, may_write=False)
    return None


def to_eur(sek: Decimal) -> Decimal:
    return (sek / settings.DE_MINIMIS_SEK_PER_EUR).quantize(CENT, rounding=ROUND_HALF_UP)


def session_aid_sek(booking: Booking, project: FundingProject) -> Decimal:
    """A session's aid value: its hours × the project's hourly value."""
    return Decimal(booking.duration) / 60 * project.hourly_aid_value_sek


def window_start(today: date) -> date:
    """The first day of the three years that end today."""
    return years_later(today, -YEARS)


def received_here_eur(enterprise: Enterprise, *, today: date) -> Decimal:
    """The aid value of the enterprise's held sessions in projects whose
    local date is within the three years ending today. Five queries."""
    since, until = period_bounds(window_start(today), today)
    held = list(
        Booking.objects.filter(
            enterprise=enterprise, status__in=rules.HELD, start__gte=since, start__lt=until
        ).order_by("start")
    )
    total_sek = Decimal(0)
    projects = projects_of(held)
    for booking in held:
        project = projects[booking.pk]
        if project is not None:
            total_sek += session_aid_sek(booking, project)
    return to_eur(total_sek)


def de_minimis_state(enterprise: Enterprise, *, today: date) -> dict:
    """The contract's shape: declared_at, aid_last_three_years_eur (None until
    declared), received_here_eur, ceiling_eur, remaining_eur (never below 0)."""
    declaration = DeMinimisDeclaration.objects.filter(enterprise=enterprise).first()
    declared = declaration.aid_last_three_years_eur if declaration else None
    received = received_here_eur(enterprise, today=today)
    remaining = max(CEILING_EUR - (declared or 0) - received, Decimal(0))
    return {
        "declared_at": declaration.declared_at if declaration else None,
        "aid_last_three_years_eur": declared,
        "received_here_eur": received,
        "ceiling_eur": CEILING_EUR,
        "remaining_eur": remaining.quantize(CENT),
    }


@transaction.atomic
def de_minimis_declare(
    *, enterprise: Enterprise, by: User, aid_last_three_years_eur: Decimal, now: datetime
) -> DeMinimisDeclaration:
    """A member of the enterprise declares the de minimis aid it received in
    the last three years; a new declaration replaces the last. Anyone else:
    404. A negative or absurd amount: 400 on the field. Audited (the fact,
    not the amount)."""
    if not enterprise.members.filter(pk=by.pk).exists():
        raise DeMinimisError(_("No such enterprise."), kind=ErrorKind.NOT_FOUND)
    amount = aid_last_three_years_eur
    if not amount.is_finite() or amount < 0:
        raise DeMinimisError(_("Give the amount in euros, 0 or more."), field="aid_last_three_years_eur")
    if amount > MAX_DECLARED_EUR:
        raise DeMinimisError(_("This amount is too large."), field="aid_last_three_years_eur")
    declaration, created = DeMinimisDeclaration.objects.update_or_create(
        enterprise=enterprise,
        defaults={"aid_last_three_years_eur": amount.quantize(CENT), "declared_at": now, "declared_by": by},
    )
    audit("enterprise.de_minimis_declared", actor=by, subject=enterprise, first=created)
    return declaration


# --- What the booking flow and the advisor are told ------------------------------------------


def declaration_needed(
    *, enterprise: Enterprise | None, region: str, advisor_id: int, topic_id: int, day: date
) -> bool:
    """Whether a session of these facts would be in a project and the
    enterprise has not declared its de minimis aid yet."""
    if enterprise is None or DeMinimisDeclaration.objects.filter(enterprise=enterprise).exists():
        return False
    return bool(projects_matching(region=region, advisor_id=advisor_id, topic_id=topic_id, day=day))


@dataclass(frozen=True)
class CeilingCheck:
    project: FundingProject
    session_eur: Decimal
    total_eur: Decimal  # declared + received here + this session, if not yet counted
    declared: bool

    @property
    def passes_ceiling(self) -> bool:
        return self.total_eur > CEILING_EUR


def ceiling_check(booking: Booking, *, today: date) -> CeilingCheck | None:
    """For the advisor: the booking's aid value and where it takes the
    enterprise against the ceiling; None for a booking in no project or
    without an enterprise."""
    project = project_of(booking)
    if project is None or booking.enterprise is None:
        return None
    session = to_eur(session_aid_sek(booking, project))
    state = de_minimis_state(booking.enterprise, today=today)
    total = (state["aid_last_three_years_eur"] or 0) + state["received_here_eur"]
    counted = booking.status in rules.HELD and window_start(today) <= local_day(booking.start) <= today
    if not counted and booking.is_active:
        total += session
    return CeilingCheck(project, session, total, declared=state["declared_at"] is not None)
