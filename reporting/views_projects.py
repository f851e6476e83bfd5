"""Web pages of the funding projects (the coordinators' list and form), the
booking's project (the advisor's choice) and the enterprise's de minimis
declaration; and the fragments reporting adds to bookings' pages
(registered in ReportingConfig.ready through bookings.extensions)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from advisors.models import Region
from backend.errors import add_to_form
from backend.types import AuthenticatedHttpRequest
from bookings.extensions import PlannedSession
from bookings.models import Booking, Enterprise

from . import deminimis, periods
from .forms_projects import BookingProjectForm, DeMinimisForm, OwnerForm, ProjectForm
from .models import DeMinimisDeclaration, FundingProject
from .projects import (
    ProjectError,
    booking_project_choose,
    coordinator_of,
    is_owner,
    local_day,
    matching_projects,
    may_use_projects,
    project_of,
    project_owner_grant,
    project_save,
    projects_matching,
    projects_visible_to,
)

# --- The coordinators' pages -----------------------------------------------------------------


def _regions_of(user: Any) -> list[Region]:
    if user.is_staff:
        return list(Region.objects.order_by("name"))
    coordinator = coordinator_of(user)
    return [coordinator.region] if coordinator else []


@login_required
@require_http_methods(["GET"])
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The projects of the coordinator's region (staff: all); others 403."""
    if not may_use_projects(request.user):
        raise PermissionDenied
    projects = projects_visible_to(request.user).order_by("-start", "pk")
    return render(request, "reporting/projects/list.html", {"projects": projects})


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a project (a coordinator, for their region; staff, any) or change
    one (its owners; the region's other coordinators see it, unchangeable)."""
    user = request.user
    if not may_use_projects(user):
        raise PermissionDenied
    project: FundingProject | None = None
    if pk is not None:
        project = projects_visible_to(user).filter(pk=pk).first()
        if project is None:
            raise Http404
    regions = _regions_of(user)
    if not regions:
        raise PermissionDenied
    form = ProjectForm(request.POST if request.method == "POST" else None, regions=regions, project=project)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = project_save(by=user, project=project, data=form.project_data())
            except ProjectError as error:
                status = add_to_form(form, error)
            else:
                messages.success(request, _("The project is saved."))
                return redirect("projects:edit", pk=saved.pk)
    context = {
        "form": form,
        "project": project,
        "may_change": project is None or is_owner(user, project),
        "owners": list(project.owners.select_related("user")) if project else [],
        "owner_form": OwnerForm(project=project) if project and is_owner(user, project) else None,
    }
    return render(request, "reporting/projects/form.html", context, status=status)


@login_required
@require_POST
def project_owner_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An owner gives the owner right to another coordinator of the region."""
    user = request.user
    if not may_use_projects(user):
        raise PermissionDenied
    project = projects_visible_to(user).filter(pk=pk).first()
    if project is None:
        raise Http404
    if not is_owner(user, project):
        raise PermissionDenied
    form = OwnerForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, _("Choose a coordinator of the project's region."))
        return redirect("projects:edit", pk=project.pk)
    try:
        project_owner_grant(by=user, project=project, coordinator=form.cleaned_data["coordinator"])
    except ProjectError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The coordinator is now an owner of the project."))
    return redirect("projects:edit", pk=project.pk)


# --- The booking's project -------------------------------------------------------------------


@login_required
@require_POST
def booking_project(request: AuthenticatedHttpRequest, uid: Any) -> HttpResponse:
    """The booking's advisor chooses its project; everyone else: 404."""
    booking = Booking.objects.filter(uid=uid, advisor__user=request.user).select_related("advisor").first()
    if booking is None:
        raise Http404
    form = BookingProjectForm(request.POST, projects=matching_projects(booking))
    if not form.is_valid():
        messages.error(request, _("Choose one of the projects listed."))
        return redirect("bookings:detail", uid=booking.uid)
    chosen = form.cleaned_data["project"]
    project = FundingProject.objects.filter(pk=int(chosen)).first() if chosen else None
    try:
        booking_project_choose(booking=booking, project=project, by=request.user)
    except ProjectError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The booking's project is changed."))
    return redirect("bookings:detail", uid=booking.uid)


# --- De minimis --------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def de_minimis(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An enterprise's members declare its de minimis aid; for everyone else
    the page does not exist (404)."""
    access = deminimis.enterprise_access(request.user, pk)
    if access is None or not access.may_write:
        raise Http404
    enterprise = access.enterprise
    today = periods.today()
    form = DeMinimisForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                deminimis.de_minimis_declare(
                    enterprise=enterprise,
                    by=request.user,
                    aid_last_three_years_eur=form.cleaned_data["aid_last_three_years_eur"],
                    now=timezone.now(),
                )
            except deminimis.DeMinimisError as error:
                status = add_to_form(form, error)
            else:
                messages.success(request, _("Your de minimis declaration is saved."))
                return redirect(_safe_next(request) or reverse("projects:de_minimis", args=[enterprise.pk]))
    context = {
        "enterprise": enterprise,
        "form": form,
        "state": deminimis.de_minimis_state(enterprise, today=today),
        "next": _safe_next(request),
    }
    return render(request, "reporting/projects/de_minimis.html", context, status=status)


# --- What reporting adds to bookings' pages (bookings.extensions) ------------------------------


def booking_panel(request: HttpRequest, booking: Booking, as_advisor: bool) -> str:
    """The booking's project on its page: for the advisor with the choice of
    another matching project and a warning when the session would pass the
    de minimis ceiling; for the entrepreneur, what is reported to the funder."""
    project = project_of(booking)
    matching = matching_projects(booking) if as_advisor else []
    if project is None and not matching:
        return ""
    context: dict[str, Any] = {
        "booking": booking,
        "project": project,
        "as_advisor": as_advisor,
        "matching": matching,
        "form": BookingProjectForm(initial={"project": project.pk if project else ""}, projects=matching)
        if as_advisor
        else None,
        "check": deminimis.ceiling_check(booking, today=periods.today()) if as_advisor else None,
    }
    return render_to_string("reporting/projects/_booking_panel.html", context, request=request)


def booking_notice(request: HttpRequest, session: PlannedSession) -> str:
    """Before confirming a session in a project: that the organisation number
    and contact email go to the funder, and the de minimis declaration if
    the enterprise has none yet."""
    projects = projects_matching(
        region=session.advisor.region_id,
        advisor_id=session.advisor.pk,
        topic_id=session.topic.pk,
        day=local_day(session.start),
    )
    if not projects:
        return ""
    enterprise = session.enterprise
    undeclared = (
        enterprise is not None and not DeMinimisDeclaration.objects.filter(enterprise=enterprise).exists()
    )
    back = (
        reverse("bookings:new")
        + "?"
        + urlencode({k: request.POST[k] for k in ("advisor", "start", "duration") if k in request.POST})
    )
    context = {
        "project": projects[0],
        "enterprise": enterprise,
        "undeclared": undeclared,
        "declare_url": reverse("projects:de_minimis", args=[enterprise.pk]) + "?" + urlencode({"next": back})
        if enterprise is not None
        else "",
    }
    return render_to_string("reporting/projects/_booking_notice.html", context, request=request)


def enterprise_panel(request: HttpRequest, enterprise: Enterprise) -> str:
    """On the enterprise's page: its de minimis declaration, and where to make it."""
    declaration = DeMinimisDeclaration.objects.filter(enterprise=enterprise).first()
    return render_to_string(
        "reporting/projects/_enterprise_panel.html",
        {"enterprise": enterprise, "declaration": declaration},
        request=request,
    )
