"""reporting's part of a person's export and erasure (backend.privacy): the
funding projects their sessions are in, with what a project booking reports
to the funder, and the de minimis declarations they made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.models import User
from backend.privacy import ORDER_SCRUB, register_erasure_step, register_export_section
from bookings.models import Booking

from .models import DeMinimisDeclaration, Funder
from .projects import projects_of

# What a project booking reports to the funder about the enterprise (DESIGN.md, "Funder reporting").
REPORTED_TO_FUNDER = ["organisation_number", "enterprise_name", "contact_email"]


def export_funding_projects(user: User) -> list[dict[str, Any]]:
    """The person's sessions that belong to a funding project, and what of
    them goes to the funder."""
    bookings = list(Booking.objects.filter(entrepreneur=user).order_by("start", "pk"))
    projects = projects_of(bookings)
    found = []
    for booking in bookings:
        project = projects[booking.pk]
        if project is not None:
            found.append(
                {
                    "booking": str(booking.uid),
                    "project": project.name,
                    "funder": str(Funder(project.funder).label),
                    "reported_to_funder": REPORTED_TO_FUNDER,
                }
            )
    return found


def export_de_minimis(user: User) -> list[dict[str, Any]]:
    declarations = DeMinimisDeclaration.objects.filter(declared_by=user).select_related("enterprise")
    return [
        {
            "enterprise": d.enterprise.name,
            "aid_last_three_years_eur": str(d.aid_last_three_years_eur),
            "declared_at": d.declared_at.isoformat(),
        }
        for d in declarations.order_by("declared_at", "pk")
    ]


def forget_declarer(user: User, now: datetime) -> None:
    """The enterprise keeps its declaration (the state aid rules ask for it);
    who made it is forgotten."""
    DeMinimisDeclaration.objects.filter(declared_by=user).update(declared_by=None)


def register() -> None:
    register_export_section("funding_projects", export_funding_projects)
    register_export_section("de_minimis_declarations", export_de_minimis)
    register_erasure_step("reporting.de_minimis", forget_declarer, order=ORDER_SCRUB)
