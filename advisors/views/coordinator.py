"""The regional coordinator's pages for the advisors of their region."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.errors import add_to_form
from backend.types import AuthenticatedHttpRequest

from ..busy import upcoming_sessions
from ..forms_directory import AdvisorInviteForm
from ..models import Advisor, Coordinator
from ..services_coordinator import (
    AdvisorAdminError,
    advisor_invitation_resend,
    advisor_invite,
    advisor_set_active,
)


def _coordinator_or_403(request: AuthenticatedHttpRequest) -> Coordinator:
    coordinator = Coordinator.objects.filter(user=request.user).select_related("region").first()
    if coordinator is None:
        raise PermissionDenied
    return coordinator


def _region_advisors(coordinator: Coordinator) -> QuerySet[Advisor]:
    # Active and inactive alike: the coordinator must find someone to reactivate.
    return (
        Advisor.objects.filter(region_id=coordinator.region_id)
        .select_related("user")
        .order_by("user__full_name", "user__email", "pk")
    )


@login_required
@require_http_methods(["GET", "POST"])
def advisors(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The region's advisors and, by POST, the invitation of a new one."""
    coordinator = _coordinator_or_403(request)
    form = AdvisorInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            advisor = advisor_invite(coordinator=coordinator, **form.cleaned_data)
        except AdvisorAdminError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is invited. We have sent an email to %(email)s with a link to choose a password.")
                % {"name": advisor.user.full_name, "email": advisor.user.email},
            )
            return redirect("directory:coordinator_advisors")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "advisors/coordinator/advisors.html",
        {"coordinator": coordinator, "advisors": _region_advisors(coordinator), "form": form},
        status=status,
    )


def _region_advisor_or_404(coordinator: Coordinator, pk: int) -> Advisor:
    # Another region's advisor: not yours to see, so not found (DESIGN.md, invariant 7).
    advisor = Advisor.objects.filter(pk=pk, region_id=coordinator.region_id).select_related("user").first()
    if advisor is None:
        raise Http404
    return advisor


@login_required
@require_http_methods(["GET", "POST"])
def advisor_deactivate_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Asks first (GET), saying how many sessions the advisor has ahead; the
    POST deactivates."""
    coordinator = _coordinator_or_403(request)
    if request.method == "POST":
        return advisor_set_active_view(request, pk, active=False)
    advisor = _region_advisor_or_404(coordinator, pk)
    if not advisor.is_active:
        return redirect("directory:coordinator_advisors")
    return render(
        request,
        "advisors/coordinator/deactivate.html",
        {"advisor": advisor, "upcoming": upcoming_sessions(advisor.pk, timezone.now())},
    )


@login_required
@require_POST
def advisor_invitation_resend_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coordinator = _coordinator_or_403(request)
    advisor = _region_advisor_or_404(coordinator, pk)
    try:
        advisor_invitation_resend(coordinator=coordinator, advisor=advisor, now=timezone.now())
    except AdvisorAdminError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("We have sent the invitation to %(email)s again, with a new link to choose a password.")
            % {"email": advisor.user.email},
        )
    return redirect("directory:coordinator_advisors")


@login_required
@require_POST
def advisor_set_active_view(request: AuthenticatedHttpRequest, pk: int, *, active: bool) -> HttpResponse:
    coordinator = _coordinator_or_403(request)
    advisor = Advisor.objects.filter(pk=pk).select_related("user").first()
    if advisor is None:
        raise Http404
    try:
        advisor = advisor_set_active(coordinator=coordinator, advisor=advisor, active=active)
    except AdvisorAdminError:
        # Another region's advisor: not yours to see, so not found (DESIGN.md, invariant 7).
        raise Http404 from None
    name = advisor.user.full_name or advisor.user.email
    if active:
        message = _("%(name)s is active again and shown in the directory.") % {"name": name}
    else:
        message = _("%(name)s is deactivated and no longer shown in the directory.") % {"name": name}
    messages.success(request, message)
    return redirect("directory:coordinator_advisors")
