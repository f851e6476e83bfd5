"""The web pages of a funding project's report (issue 16; DESIGN.md,
"Funder reporting"): the indicators of a period and since the start, the
chart of the cumulative figures per period, the definitions, the closed
period's snapshot and its difference from today, closing a period, the
bookings behind a figure and the participant list's export.

Who sees what is reporting.project_report's: the project's owners see
exact figures, the bookings behind them and the participant list; the
region's other coordinators the protected figures only. Anyone who may
not see the project finds no page (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.errors import add_to_form
from backend.types import AuthenticatedHttpRequest

from . import periods
from .definitions import english_active, project_definitions
from .export_projects import project_report_filename, project_report_xlsx
from .forms_projects import ParticipantExportForm, PeriodCloseForm
from .models import FundingProject, ParticipantListExport, PeriodSnapshot, ReportingPeriod
from .project_charts import cumulative_by_period, cumulative_chart, figure
from .project_report import (
    INDICATORS,
    SCOPES,
    Participant,
    ProjectReport,
    behind,
    current_period,
    live_difference,
    participant_list_export,
    period_close,
    period_of,
    project_report,
    shown_values,
)
from .projects import ProjectError, is_owner, projects_visible_to

# The notes of the definitions list, after the indicators.
NOTES = ("in_period", "cumulative", "membership", "exact", "snapshot")


def _project(request: AuthenticatedHttpRequest, pk: int) -> FundingProject:
    """The project, if the user may see it (invariant 7): else 404."""
    project = projects_visible_to(request.user).filter(pk=pk).first()
    if project is None or not project.periods.all():
        raise Http404
    return project


def _period(project: FundingProject, number: Any) -> ReportingPeriod:
    try:
        return period_of(project, number)
    except ProjectError:
        raise Http404 from None


def _snapshot(period: ReportingPeriod) -> PeriodSnapshot | None:
    try:
        return period.snapshot
    except PeriodSnapshot.DoesNotExist:
        return None


def _definitions() -> list[dict[str, str]]:
    language = "en" if english_active() else "sv"
    entries = project_definitions()
    return [
        {"key": key, "name": entries[key][f"name_{language}"], "text": entries[key][language]}
        for key in (*INDICATORS, *NOTES)
    ]


def _difference_text(key: str, value: Any) -> str:
    if value is None:
        return _("changed")
    return f"+{figure(key, value)}" if value > 0 else f"−{figure(key, -value)}"


def _snapshot_context(report: ProjectReport, snapshot: PeriodSnapshot, *, exact: bool) -> dict[str, Any]:
    frozen = {scope: shown_values(snapshot.values[scope], exact=exact) for scope in SCOPES}
    changed = live_difference(report, snapshot, exact=exact)
    names = {d["key"]: d["name"] for d in _definitions()}
    rows = [
        {
            "key": key,
            "name": names[key],
            "cells": [figure(key, frozen[scope].get(key)) for scope in SCOPES],
            "changes": [
                _difference_text(key, changed[scope][key]) if key in changed[scope] else ""
                for scope in SCOPES
            ],
        }
        for key in INDICATORS
    ]
    return {
        "snapshot": snapshot,
        "rows": rows,
        "changed": any(changed[scope] for scope in SCOPES),
    }


def _report_page(
    request: AuthenticatedHttpRequest,
    project: FundingProject,
    period: ReportingPeriod,
    *,
    export_form: ParticipantExportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    owner = is_owner(request.user, project)
    report = project_report(project, period)
    values = report.values()
    shown = {scope: shown_values(values[scope], exact=owner) for scope in SCOPES}
    definitions = _definitions()
    names = {d["key"]: d["name"] for d in definitions}
    rows = [
        {
            "key": key,
            "name": names[key],
            "cells": [
                {
                    "text": figure(key, shown[scope][key]),
                    "url": reverse("projects:report_behind", args=[project.pk, period.number, scope, key])
                    if owner
                    else "",
                }
                for scope in SCOPES
            ],
        }
        for key in INDICATORS
    ]
    chart, chart_table = cumulative_chart(cumulative_by_period(report), exact=owner)
    snapshot = _snapshot(period) if period.closed else None
    context = {
        "project": project,
        "period": period,
        "periods": list(project.periods.all()),
        "owner": owner,
        "rows": rows,
        "scope_names": [names[scope] for scope in SCOPES],
        "exact_note": next(d for d in definitions if d["key"] == "exact"),
        "definitions": definitions,
        "chart": chart,
        "chart_table": chart_table,
        "closed": _snapshot_context(report, snapshot, exact=owner) if snapshot else None,
        "may_close": owner and not period.closed and periods.today() > period.end,
        "close_form": PeriodCloseForm() if owner else None,
        "export_form": (export_form or ParticipantExportForm()) if owner else None,
        "exports": list(ParticipantListExport.objects.filter(project=project).select_related("by")[:10])
        if owner
        else [],
        "xlsx_url": reverse("projects:report_xlsx", args=[project.pk, period.number]),
    }
    return render(request, "reporting/projects/report.html", context, status=status)


@login_required
@require_GET
def project_report_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The report of the period `?period=N` (by default the one today is in):
    a period the project does not have falls back to that, with a message."""
    project = _project(request, pk)
    period = current_period(project, periods.today())
    wanted = request.GET.get("period", "").strip()
    if wanted:
        try:
            period = period_of(project, wanted)
        except ProjectError as error:
            messages.error(request, str(error.message))
    return _report_page(request, project, period)


def _back(project: FundingProject, number: int) -> HttpResponse:
    return redirect(reverse("projects:report", args=[project.pk]) + f"?period={number}")


@login_required
@require_POST
def project_period_close(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    """An owner closes a period that is over (reporting.project_report.period_close);
    every refusal is a message on the report page."""
    project = _project(request, pk)
    form = PeriodCloseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(project, number)
    try:
        period_close(by=request.user, project=project, number=number, now=timezone.now())
    except ProjectError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Period %(number)d is closed; its figures are kept.") % {"number": number}
        )
    return _back(project, number)


@login_required
@require_GET
def project_report_behind(
    request: AuthenticatedHttpRequest, pk: int, number: int, scope: str, indicator: str
) -> HttpResponse:
    """The bookings behind one figure: the project's owners only (404 for the
    rest, and for a scope or indicator there is not). No note's text."""
    project = _project(request, pk)
    if not is_owner(request.user, project) or scope not in SCOPES or indicator not in INDICATORS:
        raise Http404
    period = _period(project, number)
    report = project_report(project, period)
    names = {d["key"]: d["name"] for d in _definitions()}
    context = {
        "project": project,
        "period": period,
        "scope": scope,
        "scope_name": names[scope],
        "indicator": indicator,
        "indicator_name": names[indicator],
        "value": figure(indicator, report.values()[scope][indicator]),
        "sessions": behind(report.scope(scope), indicator),
    }
    return render(request, "reporting/projects/behind.html", context)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(report: ProjectReport, *, exact: bool, participant_rows: list[Participant] | None) -> HttpResponse:
    snapshot = _snapshot(report.period) if report.period.closed else None
    body = project_report_xlsx(report, exact=exact, participant_rows=participant_rows, snapshot=snapshot)
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{project_report_filename(report)}"'
    return response


@login_required
@require_GET
def project_report_download(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    """The report's indicators and definitions as XLSX, as the viewer sees
    them (exact for owners); never the participant list."""
    project = _project(request, pk)
    report = project_report(project, _period(project, number))
    return _xlsx(report, exact=is_owner(request.user, project), participant_rows=None)


@login_required
@require_POST
def project_participants_export(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    """An owner downloads the report with the participant list, saying why:
    the export is in the ledger before the file is made. A refusal shows
    on the report page with no file and no ledger row (404 for non-owners)."""
    project = _project(request, pk)
    if not is_owner(request.user, project):
        raise Http404
    period = _period(project, number)
    form = ParticipantExportForm(request.POST)
    status = 400
    if form.is_valid():
        report = project_report(project, period)
        try:
            rows = participant_list_export(
                by=request.user,
                report=report,
                reason=form.cleaned_data["reason"],
                reason_text=form.cleaned_data["reason_text"],
            )
        except ProjectError as error:
            status = add_to_form(form, error)
        else:
            return _xlsx(report, exact=True, participant_rows=rows)
    return _report_page(request, project, period, export_form=form, status=status)
