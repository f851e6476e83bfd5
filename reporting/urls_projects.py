"""Routes of the funding projects and de minimis: the web pages (namespace
"projects") and the API's (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from . import api_projects, views_project_report, views_projects

app_name = "projects"

urlpatterns = [
    path("coordinator/projects/", views_projects.project_list, name="list"),
    path("coordinator/projects/new/", views_projects.project_edit, name="new"),
    path("coordinator/projects/<int:pk>/", views_projects.project_edit, name="edit"),
    path("coordinator/projects/<int:pk>/owners/", views_projects.project_owner_add, name="owner_add"),
    path("coordinator/projects/<int:pk>/report/", views_project_report.project_report_page, name="report"),
    path(
        "coordinator/projects/<int:pk>/report/<int:number>/close/",
        views_project_report.project_period_close,
        name="report_close",
    ),
    path(
        "coordinator/projects/<int:pk>/report/<int:number>/xlsx/",
        views_project_report.project_report_download,
        name="report_xlsx",
    ),
    path(
        "coordinator/projects/<int:pk>/report/<int:number>/participants/",
        views_project_report.project_participants_export,
        name="report_export",
    ),
    path(
        "coordinator/projects/<int:pk>/report/<int:number>/<str:scope>/<str:indicator>/",
        views_project_report.project_report_behind,
        name="report_behind",
    ),
    path("bookings/<uuid:uid>/project/", views_projects.booking_project, name="booking_project"),
    path("enterprises/<int:pk>/de-minimis/", views_projects.de_minimis, name="de_minimis"),
]

api_urlpatterns = [
    path("funding-projects/", api_projects.FundingProjectListView.as_view(), name="funding-project-list"),
    path(
        "funding-projects/<int:pk>/report/",
        api_projects.ProjectReportView.as_view(),
        name="funding-project-report",
    ),
    path(
        "funding-projects/<int:pk>/periods/<int:number>/close/",
        api_projects.PeriodCloseView.as_view(),
        name="funding-project-period-close",
    ),
    path(
        "funding-projects/<int:pk>/snapshots/",
        api_projects.SnapshotListView.as_view(),
        name="funding-project-snapshots",
    ),
    path(
        "enterprises/<int:pk>/de-minimis/", api_projects.DeMinimisView.as_view(), name="enterprise-de-minimis"
    ),
]
