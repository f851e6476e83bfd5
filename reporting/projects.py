"""Funding projects: who sees them, how they are saved, and which bookings
belong to them (issue 16; DESIGN.md, "Funder reporting").

The membership rule, in one place (`rule_matches`): a booking belongs to a
project of its region (`stat_region`, fixed at booking) whose span holds the
session's local date (Europe/Stockholm, as every report counts), whose
advisors include the booking's advisor if the project lists advisors, and
whose topics include its topic if it lists topics. When several projects
match, the one that started last wins (then the lowest id), so a new project
takes over from an old one that overlaps it. The booking's advisor may choose
another matching project or none for one booking (`booking_project_choose`,
a ProjectBooking row and an audit entry); that choice wins over the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Coordinator, Region, Topic
from backend.audit import audit
from backend.errors import DomainError, ErrorKind
from backend.models import User
from bookings.models import Booking

from .models import FundingProject, ProjectBooking, ReportingPeriod
from .periods import REPORT_ZONE

MAX_PERIODS = 40  # a ten-year project reported quarterly


class ProjectError(DomainError):
    """A funding project operation that cannot be done (400 unless its kind
    says otherwise; backend.errors)."""


# --- Who sees what ---------------------------------------------------------------------------


def projects_visible_to(user: User) -> QuerySet[FundingProject]:
    """The projects `user` may see: every one for staff, their region's for a
    coordinator, none for anyone else (invariant 7)."""
    projects = FundingProject.objects.select_related("region").prefetch_related(
        "periods", Prefetch("topics", queryset=Topic.objects.order_by("slug")), "advisors"
    )
    if not user.is_authenticated:
        return projects.none()
    if user.is_staff:
        return projects
    if user.is_coordinator:
        return projects.filter(region__coordinators__user=user)
    return projects.none()


def may_use_projects(user: User) -> bool:
    """Whether the projects' pages and API exist for `user` at all."""
    return user.is_authenticated and (user.is_staff or user.is_coordinator)


def coordinator_of(user: User) -> Coordinator | None:
    return (
        Coordinator.objects.filter(user=user).select_related("region").first()
        if user.is_authenticated
        else None
    )


def is_owner(user: User, project: FundingProject) -> bool:
    """The project-owner right: the project's owners (and staff)."""
    return user.is_staff or project.owners.filter(user=user).exists()


# --- Saving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectData:
    """What a project is saved from (the API's and the form's cleaned input)."""

    region: Region
    name: str
    funder: str
    reference: str
    start: date
    end: date
    hourly_aid_value_sek: Decimal
    periods: Sequence[tuple[date, date]]
    topics: Sequence[Topic] = ()
    advisors: Sequence[Advisor] = ()


def period_errors(start: date, end: date, periods: Sequence[tuple[date, date]]) -> list[str]:
    """Why `periods` (in order) do not tile start..end, both inclusive, without
    gap or overlap: [] when they do. Pure."""
    if not periods:
        return [str(_("A project needs at least one reporting period."))]
    if len(periods) > MAX_PERIODS:
        return [str(_("A project can have at most %(count)d reporting periods.") % {"count": MAX_PERIODS})]
    errors: list[str] = []
    for number, (first, last) in enumerate(periods, start=1):
        if last < first:
            errors.append(str(_("Period %(number)d ends before it starts.") % {"number": number}))
    if errors:
        return errors
    if periods[0][0] != start:
        errors.append(str(_("The first period must start on the project's first day.")))
    if periods[-1][1] != end:
        errors.append(str(_("The last period must end on the project's last day.")))
    for number, ((_first, last), (following, _end)) in enumerate(pairwise(periods), 1):
        values = {"number": number, "next": number + 1}
        if following <= last:
            errors.append(str(_("Periods %(number)d and %(next)d overlap.") % values))
        elif following.toordinal() != last.toordinal() + 1:
            errors.append(str(_("There is a gap between periods %(number)d and %(next)d.") % values))
    return errors


def _check(by: User, data: ProjectData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not by.is_staff and not Coordinator.objects.filter(user=by, region=data.region).exists():
        errors["region"] = [str(_("You can only create projects for the region you coordinate."))]
    if not data.name.strip():
        errors["name"] = [str(_("Give the project a name."))]
    if data.end < data.start:
        errors["end"] = [str(_("The project cannot end before it starts."))]
    if data.hourly_aid_value_sek < 0:
        errors["hourly_aid_value_sek"] = [str(_("The hourly aid value cannot be negative."))]
    strangers = [a for a in data.advisors if a.region_id != data.region.pk]
    if strangers:
        errors["advisors"] = [str(_("Choose advisors of the project's region only."))]
    if any(not t.is_active for t in data.topics):
        errors["topics"] = [str(_("Choose topics that are in use."))]
    if "end" not in errors:
        periods = period_errors(data.start, data.end, list(data.periods))
        if periods:
            errors["periods"] = periods
    return errors


@transaction.atomic
def project_save(*, by: User, project: FundingProject | None, data: ProjectData) -> FundingProject:
    """Create a project (`project` None: `by` becomes its owner) or change
    one (its owners or staff only: 403 for the region's other coordinators).
    Its periods are replaced by `data.periods`, numbered 1.. in order; they
    must tile the project's span. A closed period cannot change (409). Raises
    ProjectError with every field error at once, and changes nothing then."""
    if project is not None:
        project = FundingProject.objects.select_for_update().get(pk=project.pk)
        if not is_owner(by, project):
            raise ProjectError(_("Only the project's owners can change it."), kind=ErrorKind.FORBIDDEN)
    errors = _check(by, data)
    if project is not None and project.region_id != data.region.pk:
        errors["region"] = [str(_("A project cannot move to another region."))]
    if errors:
        raise ProjectError(_("Please correct the errors below."), errors=errors)
    wanted = [(number, first, last) for number, (first, last) in enumerate(data.periods, 1)]
    creating = project is None
    if project is None:
        project = FundingProject(region=data.region)
    else:
        closed = {(p.number, p.start, p.end) for p in project.periods.filter(closed=True)}
        if not closed <= set(wanted):
            raise ProjectError(
                _("A closed reporting period cannot change."), field="periods", kind=ErrorKind.CONFLICT
            )
    for name in ("name", "funder", "reference", "start", "end", "hourly_aid_value_sek"):
        setattr(project, name, getattr(data, name))
    project.name = project.name.strip()
    project.save()
    project.topics.set(data.topics)
    project.advisors.set(data.advisors)
    kept = {(p.number, p.start, p.end): p for p in project.periods.all()}
    project.periods.exclude(pk__in=[p.pk for key, p in kept.items() if key in wanted]).delete()
    ReportingPeriod.objects.bulk_create(
        ReportingPeriod(project=project, number=n, start=s, end=e)
        for n, s, e in wanted
        if (n, s, e) not in kept
    )
    if creating:
        owner = Coordinator.objects.filter(user=by, region=data.region).first()
        if owner is not None:
            project.owners.add(owner)
    audit(
        "funding_project.created" if creating else "funding_project.changed",
        actor=by,
        subject=project,
        periods=len(wanted),
        topics=len(data.topics),
        advisors=len(data.advisors),
    )
    return project


@transaction.atomic
def project_owner_grant(*, by: User, project: FundingProject, coordinator: Coordinator) -> None:
    """Give the project-owner right to another coordinator of the project's
    region: an owner (or staff) only (403), a coordinator of the region only (400)."""
    if not is_owner(by, project):
        raise ProjectError(_("Only the project's owners can give the owner right."), kind=ErrorKind.FORBIDDEN)
    if coordinator.region_id != project.region_id:
        raise ProjectError(_("Choose a coordinator of the project's region."), field="owners")
    project.owners.add(coordinator)
    audit("funding_project.owner_added", actor=by, subject=project, coordinator=coordinator.pk)


# --- The membership rule ------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(REPORT_ZONE).date()


def rule_matches(project: FundingProject, *, region: str, advisor_id: int, topic_id: int, day: date) -> bool:
    """The rule: region, date, and advisor and topic where the project lists
    them. `project` comes with its advisors and topics prefetched (candidates())."""
    if project.region_id != region or not project.start <= day <= project.end:
        return False
    advisors = {a.pk for a in project.advisors.all()}
    topics = {t.pk for t in project.topics.all()}
    return (not advisors or advisor_id in advisors) and (not topics or topic_id in topics)


def candidates(regions: Iterable[str]) -> list[FundingProject]:
    """The projects of these regions, latest start first: three queries."""
    return list(
        FundingProject.objects.filter(region_id__in=set(regions))
        .prefetch_related("advisors", "topics")
        .order_by("-start", "pk")
    )


def projects_matching(
    *, region: str, advisor_id: int, topic_id: int, day: date, among: Sequence[FundingProject] | None = None
) -> list[FundingProject]:
    """The projects a session of these facts belongs to by the rule, the
    rule's choice first."""
    pool = candidates([region]) if among is None else among
    return [
        p for p in pool if rule_matches(p, region=region, advisor_id=advisor_id, topic_id=topic_id, day=day)
    ]


def _facts(booking: Booking) -> dict:
    return {
        "region": booking.stat_region,
        "advisor_id": booking.advisor_id,
        "topic_id": booking.topic_id,
        "day": local_day(booking.start),
    }


def projects_of(bookings: Sequence[Booking]) -> dict[int, FundingProject | None]:
    """Each booking's project: the advisor's choice if one was made, else the
    rule's. Four queries, whatever the number of bookings."""
    pool = candidates(b.stat_region for b in bookings)
    by_pk = {p.pk: p for p in pool}
    chosen = dict(
        ProjectBooking.objects.filter(booking__in=[b.pk for b in bookings]).values_list(
            "booking_id", "project_id"
        )
    )
    found: dict[int, FundingProject | None] = {}
    for booking in bookings:
        if booking.pk in chosen:
            found[booking.pk] = by_pk.get(chosen[booking.pk]) if chosen[booking.pk] else None
        else:
            matching = projects_matching(**_facts(booking), among=pool)
            found[booking.pk] = matching[0] if matching else None
    return found


def project_of(booking: Booking) -> FundingProject | None:
    return projects_of([booking])[booking.pk]


def matching_projects(booking: Booking) -> list[FundingProject]:
    """The projects the booking's advisor may choose for it: those the rule matches."""
    return projects_matching(**_facts(booking))


@transaction.atomic
def booking_project_choose(*, booking: Booking, project: FundingProject | None, by: User) -> ProjectBooking:
    """The booking's advisor puts the booking in another project the rule
    matches, or in none (`project` None). Anyone else: 404 (invariant 7); a
    project the rule does not match: 400 on `project`. Writes an audit entry
    with the rule's project and the chosen one."""
    if booking.advisor.user_id != by.pk:
        raise ProjectError(_("No such booking."), kind=ErrorKind.NOT_FOUND)
    matching = matching_projects(booking)
    if project is not None and project.pk not in {p.pk for p in matching}:
        raise ProjectError(_("This booking does not match that project."), field="project")
    choice, _created = ProjectBooking.objects.update_or_create(
        booking=booking, defaults={"project": project, "chosen_by": by}
    )
    audit(
        "booking.project_chosen",
        actor=by,
        subject=booking,
        project=project.pk if project else None,
        rule=matching[0].pk if matching else None,
    )
    return choice
