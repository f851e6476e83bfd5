"""The waitlist: its API routes and its pages."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api_waitlist
from .views_waitlist import waitlist_claim_view, waitlist_join_view, waitlist_list, waitlist_withdraw_view

# --- Routes ------------------------------------------------------------------

router = SimpleRouter()
router.register("waitlist", api_waitlist.WaitlistViewSet, basename="waitlist")

api_urlpatterns = router.urls

app_name = "waitlist"

urlpatterns = [
    path("bookings/waitlist/", waitlist_list, name="list"),
    path("bookings/waitlist/join/", waitlist_join_view, name="join"),
    path("bookings/waitlist/<int:pk>/claim/", waitlist_claim_view, name="claim"),
    path("bookings/waitlist/<int:pk>/withdraw/", waitlist_withdraw_view, name="withdraw"),
]
