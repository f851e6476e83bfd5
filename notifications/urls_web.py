"""Calendar files, the subscription feed and its settings page."""

from django.urls import path, re_path

from . import views

app_name = "notifications"

urlpatterns = [
    path("bookings/<uuid:uid>/invite.ics", views.booking_invite, name="invite"),
    path(
        "bookings/<uuid:uid>/add-to/<slug:service>/",
        views.booking_add_to_calendar,
        name="add_to_calendar",
    ),
    path("calendar/settings/", views.calendar_settings, name="calendar_settings"),
    # token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else is
    # a 404 before the database is asked.
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{43})\.ics\Z", views.calendar_feed, name="feed"),
]
