import sys
from datetime import date

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import FAIL, health_report


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


# The date of the latest accessibility review, shown on the statement as the
# law asks; update it with the statement.
ACCESSIBILITY_STATEMENT_DATE = date(2026, 11, 28)
# Digg supervises the law on accessibility to digital public services; anyone
# may report a statement or an answer they are not content with.
DIGG_REPORT_URL = "https://www.digg.se/tdosanmalan"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for without reading
    the page's <link rel="icon">: the collected icon, under its hashed name."""
    response = redirect(static("img/favicon.ico"))
    # Not permanent: the hashed name changes when the icon does.
    patch_cache_control(response, max_age=86400, public=True)
    return response


def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy.html",
        {
            "controller_name": settings.PRIVACY_CONTROLLER_NAME,
            "controller_contact": settings.PRIVACY_CONTROLLER_CONTACT,
            "suppression_threshold": settings.STATISTICS_SUPPRESSION_THRESHOLD,
        },
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accessibility.html",
        {
            "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
            "statement_date": ACCESSIBILITY_STATEMENT_DATE,
            "digg_report_url": DIGG_REPORT_URL,
        },
    )


def help_advisors(request: HttpRequest) -> HttpResponse:
    return render(request, "help/advisors.html")


def help_coordinators(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "help/coordinators.html",
        {"suppression_threshold": settings.STATISTICS_SUPPRESSION_THRESHOLD},
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(
        {"status": report.status, **report.checks}, status=503 if report.status == FAIL else 200
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": _("You may not do this.")}, status=403)
    return render(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called inside Django's `except`: a database that does not answer (raised
    # outside a view, e.g. saving the session) is a 503, not our bug.
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable(request)
    if _wants_json(request):
        return JsonResponse({"detail": _("Something went wrong on our side. Please try again.")}, status=500)
    return render(request, "500.html", status=500)


# Errors that mean the database cannot be reached (not a bad query of ours).
DATABASE_DOWN = (OperationalError, InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 while the database is away: JSON for the API, else a page in the
    visitor's language. Rendered without the request's context, because the
    user and the session would need the very database that is down."""
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": _("The service is unavailable for a moment. Please try again in a few minutes.")},
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "60"
    return response
