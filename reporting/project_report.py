"""A funding project's report: the indicator values a region hands its
funder at each progress report, in the period and since the project's start
(cumulative), the bookings behind each, the participant list, and closing a
period into a snapshot (issue 16; DESIGN.md, "Funder reporting").

Everything is counted from the project's bookings (reporting.projects: the
rule, or the advisor's choice) by the session's local date, from their
statistical facts, so an erased account still counts (invariant 5):

- A session is held when its advisor recorded it held (bookings.rules.HELD),
  and documented when it also has an outcome note (`Booking.outcome_noted`,
  which outlives the note's text).
- enterprises_supported: enterprises (`stat_enterprise_key`) with at least
  one documented held session; each once, whatever the number of sessions.
  Women-led: those whose latest such session was booked as led by women.
- participants: people (`stat_person_key`) with at least one held session;
  women and men by their latest held session.
- sessions_held, advice_hours: held sessions and their hours.
- workshops_held, referrals_made, referrals_held: Rådtid has neither
  workshops nor referrals yet, so these are 0 until they come.

Who sees what. The project's owners (and staff) see the exact values, the
bookings behind them and the participant list: the funder asks for exact
figures, and they hold the participant list, so hiding a count from them
would protect no one. The region's other coordinators see the values with
the statistics' disclosure control (reporting.suppression): a count of
enterprises or people from 1 to T−1 shows as "<T", and every count shown,
and the hours, is rounded to a multiple of the rounding base, so that the
in-period and cumulative figures cannot be set against each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.audit import audit
from backend.errors import ErrorKind
from backend.models import User
from bookings import rules
from bookings.models import Booking, Enterprise, Gender

from .measures import round_half_up
from .models import ExportReason, FundingProject, ParticipantListExport, PeriodSnapshot, ReportingPeriod
from .periods import period_bounds
from .projects import ProjectError, is_owner, local_day, projects_of
from .suppression import round_count, rounding_base, suppression_threshold

# Raised whenever a project indicator's definition changes what it counts,
# so a figure handed in can be matched to its wording.
PROJECT_DEFINITIONS_VERSION = 1

INDICATORS = (
    "enterprises_supported",
    "enterprises_supported_women_led",
    "participants",
    "participants_women",
    "participants_men",
    "sessions_held",
    "advice_hours",
    "workshops_held",
    "referrals_made",
    "referrals_held",
)
# Counts of enterprises or people: hidden from 1 to T−1 for those without the owner right.
PEOPLE_INDICATORS = frozenset(INDICATORS[:5])
SCOPES = ("in_period", "cumulative")


@dataclass(frozen=True)
class ProjectSession:
    """One of a project's bookings as its report reads it."""

    booking: Booking
    day: date

    @property
    def held(self) -> bool:
        return self.booking.status in rules.HELD

    @property
    def documented(self) -> bool:
        return self.held and self.booking.outcome_noted is not None


def project_sessions(project: FundingProject, *, first: date, last: date) -> list[ProjectSession]:
    """The project's bookings whose session's local date is first..last, in
    order of start. Five queries, whatever their number."""
    since, until = period_bounds(first, last)
    bookings = list(
        Booking.objects.filter(stat_region=project.region_id, start__gte=since, start__lt=until)
        .select_related("advisor__user", "enterprise", "entrepreneur", "topic")
        .order_by("start", "pk")
    )
    projects = projects_of(bookings)
    return [
        ProjectSession(booking=b, day=local_day(b.start))
        for b in bookings
        if (chosen := projects[b.pk]) is not None and chosen.pk == project.pk
    ]


def _latest(sessions: Iterable[ProjectSession], key: str) -> dict[str, Booking]:
    latest: dict[str, Booking] = {}
    for session in sessions:  # in order of start: the last one wins
        latest[getattr(session.booking, key)] = session.booking
    return latest


def indicator_values(sessions: Sequence[ProjectSession]) -> dict[str, Any]:
    """The exact indicator values of these sessions (the rule is in the module's docstring)."""
    held = [s for s in sessions if s.held]
    supported = _latest((s for s in held if s.documented), "stat_enterprise_key")
    participants = _latest(held, "stat_person_key")
    minutes = sum(s.booking.duration for s in held)
    return {
        "enterprises_supported": len(supported),
        "enterprises_supported_women_led": sum(1 for b in supported.values() if b.stat_women_led),
        "participants": len(participants),
        "participants_women": sum(1 for b in participants.values() if b.stat_gender == Gender.WOMAN),
        "participants_men": sum(1 for b in participants.values() if b.stat_gender == Gender.MAN),
        "sessions_held": len(held),
        "advice_hours": round_half_up(minutes / 60, 2),
        "workshops_held": 0,
        "referrals_made": 0,
        "referrals_held": 0,
    }


def behind(sessions: Sequence[ProjectSession], indicator: str) -> list[ProjectSession]:
    """The sessions an indicator counts (its drill-down)."""
    held = [s for s in sessions if s.held]
    if indicator in ("enterprises_supported", "enterprises_supported_women_led"):
        documented = [s for s in held if s.documented]
        if indicator == "enterprises_supported":
            return documented
        women_led = {k for k, b in _latest(documented, "stat_enterprise_key").items() if b.stat_women_led}
        return [s for s in documented if s.booking.stat_enterprise_key in women_led]
    if indicator in ("participants_women", "participants_men"):
        gender = Gender.WOMAN if indicator == "participants_women" else Gender.MAN
        people = {k for k, b in _latest(held, "stat_person_key").items() if b.stat_gender == gender}
        return [s for s in held if s.booking.stat_person_key in people]
    if indicator in ("participants", "sessions_held", "advice_hours"):
        return held
    if indicator in INDICATORS:
        return []
    raise KeyError(indicator)


# --- The report --------------------------------------------------------------------------


def period_of(project: FundingProject, number: Any) -> ReportingPeriod:
    """The project's period `number`: ProjectError on `period` when there is none."""
    periods = list(project.periods.all())
    found = next((p for p in periods if str(p.number) == str(number).strip()), None)
    if found is None:
        raise ProjectError(
            _("The project has no reporting period %(number)s; its periods are 1–%(last)d.")
            % {"number": str(number)[:10], "last": len(periods)},
            field="period",
        )
    return found


def current_period(project: FundingProject, today: date) -> ReportingPeriod:
    """The period today is in; before the start the first, after the end the last."""
    periods = list(project.periods.all())
    for period in periods:
        if today <= period.end:
            return period
    return periods[-1]


@dataclass(frozen=True)
class ProjectReport:
    project: FundingProject
    period: ReportingPeriod
    sessions: list[ProjectSession]  # since the project's start, to the period's end

    @property
    def in_period(self) -> list[ProjectSession]:
        return [s for s in self.sessions if s.day >= self.period.start]

    def values(self) -> dict[str, dict[str, Any]]:
        """The exact values, as a snapshot keeps them."""
        return {"in_period": indicator_values(self.in_period), "cumulative": indicator_values(self.sessions)}

    def scope(self, name: str) -> list[ProjectSession]:
        return self.in_period if name == "in_period" else self.sessions


def project_report(project: FundingProject, period: ReportingPeriod) -> ProjectReport:
    return ProjectReport(project, period, project_sessions(project, first=project.start, last=period.end))


def shown_values(values: dict[str, Any], *, exact: bool) -> dict[str, Any]:
    """One scope's values as a viewer may see them: exact for the project's
    owners, with disclosure control for everyone else (the module's docstring)."""
    if exact:
        return dict(values)
    threshold = suppression_threshold()
    base = rounding_base(threshold)
    hidden = f"<{threshold}"
    shown: dict[str, Any] = {}
    for key, value in values.items():
        if key in PEOPLE_INDICATORS and 0 < value < threshold:
            shown[key] = hidden
        elif key == "advice_hours":
            few = 0 < values["participants"] < threshold
            shown[key] = None if few else float(round_count(value, base))
        elif key == "sessions_held" and 0 < values["participants"] < threshold:
            shown[key] = hidden
        else:
            shown[key] = round_count(value, base)
    return shown


def difference(live: dict[str, Any], frozen: dict[str, Any]) -> dict[str, Any]:
    """Live minus frozen for each value that changed and both show as numbers
    (None where one of them is hidden)."""
    changed: dict[str, Any] = {}
    for key in INDICATORS:
        a, b = live.get(key), frozen.get(key)
        if a == b:
            continue
        if isinstance(a, int | float) and isinstance(b, int | float):
            changed[key] = round_half_up(a - b, 2) if key == "advice_hours" else a - b
        else:
            changed[key] = None
    return changed


def live_difference(report: ProjectReport, snapshot: PeriodSnapshot, *, exact: bool) -> dict[str, dict]:
    live = report.values()
    return {
        scope: difference(
            shown_values(live[scope], exact=exact), shown_values(snapshot.values[scope], exact=exact)
        )
        for scope in SCOPES
    }


# --- Closing a period ------------------------------------------------------------------------


@transaction.atomic
def period_close(*, by: User, project: FundingProject, number: Any, now: datetime) -> PeriodSnapshot:
    """Freeze a reporting period's report: its exact values are kept as they
    are now, whatever later happens to its bookings. The project's owners
    only (403); a period not yet over (400) or already closed (409) stays as it is."""
    if not is_owner(by, project):
        raise ProjectError(
            _("Only the project's owners can close a reporting period."), kind=ErrorKind.FORBIDDEN
        )
    period = ReportingPeriod.objects.select_for_update().get(pk=period_of(project, number).pk)
    if period.closed:
        raise ProjectError(_("This reporting period is already closed."), kind=ErrorKind.CONFLICT)
    if local_day(now) <= period.end:
        raise ProjectError(_("A reporting period can be closed once it is over."), field="period")
    snapshot = PeriodSnapshot.objects.create(
        period=period,
        values=project_report(project, period).values(),
        definitions_version=PROJECT_DEFINITIONS_VERSION,
        created=now,
    )
    period.closed, period.closed_at, period.closed_by = True, now, by
    period.save(update_fields=["closed", "closed_at", "closed_by"])
    audit("funding_project.period_closed", actor=by, subject=project, period=period.number)
    return snapshot


# --- The participant list --------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    """One supported enterprise as the funder's participant list has it."""

    enterprise: Enterprise
    contact_email: str
    first_session: date
    latest_session: date
    sessions: int
    hours: Decimal
    in_period: bool


def participants(report: ProjectReport) -> list[Participant]:
    """The supported enterprises since the project's start, by name: one row
    for each enterprise `enterprises_supported` counts whose details Rådtid
    still holds. An enterprise whose people erased their accounts, or whose
    bookings retention has emptied, counts in the values but is no longer listed."""
    own: dict[str, list[ProjectSession]] = {}
    for session in report.sessions:
        if session.held:
            own.setdefault(session.booking.stat_enterprise_key, []).append(session)
    rows = []
    for sessions in own.values():
        known = [s.booking.enterprise for s in sessions if s.booking.enterprise is not None]
        if not known or not any(s.documented for s in sessions):
            continue
        email = next((s.booking.entrepreneur.email for s in reversed(sessions) if s.booking.entrepreneur), "")
        minutes = sum(s.booking.duration for s in sessions)
        rows.append(
            Participant(
                enterprise=known[-1],
                contact_email=email,
                first_session=sessions[0].day,
                latest_session=sessions[-1].day,
                sessions=len(sessions),
                hours=(Decimal(minutes) / 60).quantize(Decimal("0.01")),
                in_period=any(s.day >= report.period.start for s in sessions),
            )
        )
    return sorted(rows, key=lambda row: (row.enterprise.name.casefold(), row.enterprise.pk))


def participant_list_export(
    *, by: User, report: ProjectReport, reason: str, reason_text: str = ""
) -> list[Participant]:
    """The participant list, for the project's owners only (403), with the
    reason it leaves Rådtid (one of ExportReason; "other" needs its words):
    recorded in the export ledger and the audit trail before it is given."""
    if not is_owner(by, report.project):
        raise ProjectError(
            _("Only the project's owners can export its participant list."), kind=ErrorKind.FORBIDDEN
        )
    reason_text = reason_text.strip()
    if reason not in ExportReason.values:
        raise ProjectError(_("Say why you export the participant list."), field="reason")
    if reason == ExportReason.OTHER and not reason_text:
        raise ProjectError(_("Say in a few words why you export the participant list."), field="reason_text")
    if len(reason_text) > 200 or "\x00" in reason_text:
        raise ProjectError(_("Write the reason in at most 200 characters."), field="reason_text")
    rows = participants(report)
    with transaction.atomic():
        ParticipantListExport.objects.create(
            project=report.project,
            period=report.period.number,
            by=by,
            reason=reason,
            reason_text=reason_text,
            participants=len(rows),
        )
        audit(
            "funding_project.participants_exported",
            actor=by,
            subject=report.project,
            period=report.period.number,
            reason=reason,
            participants=len(rows),
        )
    return rows
