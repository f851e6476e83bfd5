from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from advisors.urls import api_urlpatterns as advisors_api
from bookings.urls import api_urlpatterns as bookings_api
from bookings.urls_statistics import api_urlpatterns as statistics_api
from bookings.urls_waitlist import api_urlpatterns as waitlist_api

from . import views
from .api import TokenView

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    *advisors_api,
    *bookings_api,
    *waitlist_api,
    *statistics_api,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("advisor/", include("advisors.urls_web_advisor")),
    path("", include("advisors.urls_web_directory")),
    path("", include("bookings.urls_waitlist")),
    path("", include("bookings.urls_web")),
    path("", include("bookings.urls_statistics_web")),
    path("", include("notifications.urls_web")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler403 = "backend.views.permission_denied"
handler404 = "backend.views.page_not_found"
handler500 = "backend.views.server_error"
