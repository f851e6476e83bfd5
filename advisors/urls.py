from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("regions", api.RegionViewSet, basename="region")
router.register("topics", api.TopicViewSet, basename="topic")

api_urlpatterns = router.urls
