"""Web pages of bookings: the booking flow, my bookings, the advisor's
bookings, enterprises, and the signed links from emails."""

from django.urls import path

from . import views, views_for_someone

app_name = "bookings"

urlpatterns = [
    path("bookings/", views.booking_list, name="list"),
    path("bookings/new/", views.booking_new, name="new"),
    path("bookings/for-someone/", views_for_someone.booking_for_someone, name="for_someone"),
    path("bookings/advisor/", views.advisor_bookings, name="advisor"),
    path("bookings/enterprise/", views.enterprise_list, name="enterprises"),
    path("bookings/enterprise/new/", views.enterprise_edit, name="enterprise_new"),
    path("bookings/enterprise/<int:pk>/", views.enterprise_edit, name="enterprise_edit"),
    path("bookings/<uuid:uid>/", views.booking_detail, name="detail"),
    path("bookings/<uuid:uid>/reschedule/", views.booking_reschedule, name="reschedule"),
    path("bookings/<uuid:uid>/cancel/", views.booking_cancel, name="cancel"),
    path("bookings/<uuid:uid>/feedback/", views.booking_feedback, name="feedback"),
    path("bookings/<uuid:uid>/outcome/", views.booking_outcome, name="outcome"),
    path("b/<str:token>/cancel/", views.link_cancel, name="link_cancel"),
    path("b/<str:token>/reschedule/", views.link_reschedule, name="link_reschedule"),
    path("b/<str:token>/feedback/", views.link_feedback, name="link_feedback"),
    path("b/<str:token>/follow-up/", views.link_follow_up, name="link_follow_up"),
]
