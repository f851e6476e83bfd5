"""Calendar files for signed-in people."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("bookings/<uuid:uid>/invite.ics", views.booking_invite, name="invite"),
]
