from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("bookings", api.BookingViewSet, basename="booking")

api_urlpatterns = router.urls
