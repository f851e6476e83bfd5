"""Web pages of the statistics: the coordinator's dashboard and the public definitions."""

from django.urls import path

from . import views

app_name = "statistics"

urlpatterns = [
    path("statistics/", views.dashboard, name="dashboard"),
    path("statistics/definitions/", views.definitions_page, name="definitions"),
]
