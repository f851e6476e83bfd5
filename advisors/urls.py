from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("regions", api.RegionViewSet, basename="region")
router.register("topics", api.TopicViewSet, basename="topic")
router.register("advisors", api.AdvisorViewSet, basename="advisor")

api_urlpatterns = [
    path("advisors/<int:pk>/slots/", api.AdvisorSlotsView.as_view(), name="advisor-slots"),
    path("me/availability/", api.MyAvailabilityView.as_view(), name="my-availability"),
    *router.urls,
]
