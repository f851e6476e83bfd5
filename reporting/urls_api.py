"""The statistics API route: GET /api/v1/statistics/regions/{code}/."""

from django.urls import path

from .api import RegionStatisticsView

api_urlpatterns = [
    path("statistics/regions/<str:code>/", RegionStatisticsView.as_view(), name="statistics-region"),
]
