from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from advisors.urls import api_urlpatterns as advisors_api
from bookings.urls import api_urlpatterns as bookings_api
from bookings.urls_waitlist import api_urlpatterns as waitlist_api
from reporting.urls_api import api_urlpatterns as statistics_api
from reporting.urls_projects import api_urlpatterns as projects_api

from . import status, views, views_account, views_privacy
from .api import EraseView, ExportView, TokenView

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/export/", ExportView.as_view(), name="me-export"),
    path("me/erase/", EraseView.as_view(), name="me-erase"),
    *advisors_api,
    *bookings_api,
    *waitlist_api,
    *statistics_api,
    *projects_api,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("help/advisors/", views.help_advisors, name="help-advisors"),
    path("help/coordinators/", views.help_coordinators, name="help-coordinators"),
    # Always routed; every view answers 404 unless DEBUG and the file mail backend.
    path("dev/mail/", include("backend.dev_mail")),
    path("healthz", views.healthz, name="healthz"),
    path("staff/status/", status.status_page, name="staff-status"),
    path("account/", views_account.details, name="account_details"),
    path("account/privacy/", views_privacy.privacy, name="account_privacy"),
    path("account/privacy/export/", views_privacy.privacy_export, name="account_privacy_export"),
    path("account/privacy/erase/", views_privacy.privacy_erase, name="account_privacy_erase"),
    path("accounts/", include("allauth.urls")),
    path("advisor/", include("advisors.urls_web_advisor")),
    path("", include("advisors.urls_web_directory")),
    path("", include("bookings.urls_waitlist")),
    path("", include("bookings.urls_web")),
    path("", include("reporting.urls")),
    path("", include("reporting.urls_projects")),
    path("", include("notifications.urls_web")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's set-up as a script file, not inline;
    # its page keeps one <style> block and data: images, allowed here only.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
]

handler403 = "backend.views.permission_denied"
handler404 = "backend.views.page_not_found"
handler500 = "backend.views.server_error"
