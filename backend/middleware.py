"""Project-wide middleware: security headers Django has no setting for, the
admin behind two-factor authentication, and a 503 when the database is away."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from . import limits
from .signin import staff_lacks_two_factor
from .views import DATABASE_DOWN, database_unavailable

Handler = Callable[[HttpRequest], HttpResponse]


class PermissionsPolicyMiddleware:
    """Adds settings.PERMISSIONS_POLICY (no browser feature a page here needs)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def _staff_only_roots() -> tuple[str, ...]:
    """Where the admin and the status page are in the URLconf of the request
    (a test's own URLconf may have neither)."""
    roots = []
    for name in ("admin:index", "staff-status"):
        with contextlib.suppress(NoReverseMatch):
            roots.append(reverse(name))
    return tuple(roots)


class AdminRequiresMFAMiddleware:
    """The admin and the staff status page show everyone's data, so a stolen
    staff password alone must not open them. Signing in goes through allauth
    (whose login asks for the second factor), never the admin's own form;
    staff without an activated authenticator are sent to set one up first
    (backend.signin.staff_lacks_two_factor, the rule staff API tokens follow too)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.ADMIN_REQUIRES_MFA and request.path.startswith(_staff_only_roots()):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("account_login"))
            if staff_lacks_two_factor(user):
                messages.warning(
                    request,
                    _("Set up two-factor authentication before you use the admin. It takes a minute."),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 (backend.views.database_unavailable)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable(request)
        return None


class NulInURLMiddleware:
    """A URL argument with a NUL character in it names nothing (PostgreSQL
    cannot even compare it to a code or a slug): 404 before any view looks
    it up, for every URL pattern, the ones to come too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        arguments = [*view_args, *view_kwargs.values()]
        if any(isinstance(value, str) and limits.NUL in value for value in arguments):
            raise Http404
