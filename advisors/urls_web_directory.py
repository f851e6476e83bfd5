"""Public pages: the advisor directory and each advisor's free times; the
coordinator's pages for the advisors of their region."""

from django.urls import path

from .views import coordinator, directory

app_name = "directory"

urlpatterns: list = [
    path("advisors/", directory.advisor_list, name="list"),
    path("advisors/<int:pk>/", directory.advisor_detail, name="advisor"),
    path("advisors/municipalities/", directory.municipality_choices, name="municipalities"),
    path("coordinator/advisors/", coordinator.advisors, name="coordinator_advisors"),
    path(
        "coordinator/advisors/<int:pk>/deactivate/",
        coordinator.advisor_deactivate_view,
        name="coordinator_advisor_deactivate",
    ),
    path(
        "coordinator/advisors/<int:pk>/resend-invitation/",
        coordinator.advisor_invitation_resend_view,
        name="coordinator_advisor_resend_invitation",
    ),
    path(
        "coordinator/advisors/<int:pk>/reactivate/",
        coordinator.advisor_set_active_view,
        {"active": True},
        name="coordinator_advisor_reactivate",
    ),
]
