"""Web pages of the statistics: the coordinator's dashboard and the public definitions."""

from django.urls import path

from . import views_statistics

app_name = "statistics"

urlpatterns = [
    path("statistics/", views_statistics.dashboard, name="dashboard"),
    path("statistics/definitions/", views_statistics.definitions_page, name="definitions"),
]
