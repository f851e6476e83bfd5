"""Pages for the signed-in advisor: their week and their rules."""

from django.urls import path

from .views import advisor as views

app_name = "advisor"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("hours/", views.hours, name="hours"),
    path("overrides/", views.overrides, name="overrides"),
    path("time-off/", views.time_off, name="time_off"),
    path("settings/", views.settings, name="settings"),
    path("profile/", views.profile, name="profile"),
]
