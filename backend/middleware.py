"""Project-wide middleware: security headers Django has no setting for, the
admin behind two-factor authentication, and a 503 when the database is away."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import limits
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


class AdminRequiresMFAMiddleware:
    """The admin shows everyone's data, so a stolen staff password alone must
    not open it. Signing in goes through allauth (whose login asks for the
    second factor), never the admin's own form; staff without an activated
    authenticator are sent to set one up first."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_root = reverse("admin:index")
        if settings.ADMIN_REQUIRES_MFA and request.path.startswith(admin_root):
            user = request.user
            if not user.is_authenticated:
                login = reverse("account_login")
                return HttpResponseRedirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            if user.is_staff and not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
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
