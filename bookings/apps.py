from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self) -> None:
        # The slot engine learns about bookings through advisors' registry, so
        # advisors never imports this app (imports flow bookings -> advisors).
        from advisors.busy import register_booked_source, register_upcoming_source

        from .selectors import booked_source, upcoming_count

        # booked_source covers bookings and the slots held for the waitlist.
        register_booked_source(booked_source)
        register_upcoming_source(upcoming_count)

        from . import privacy, signals, waitlist

        # The waitlist builds on the booking services, so it is told of a
        # cancellation rather than called by it.
        signals.booking_cancelled.connect(waitlist.on_booking_cancelled, dispatch_uid="waitlist_freed_slot")

        privacy.register()  # bookings' part of a person's export and erasure (backend/privacy.py)

        from backend.entrance import register_sign_in_reason

        from .entrance import booking_sign_in_reason

        # A free time clicked before signing in: the sign-in page says which.
        register_sign_in_reason(booking_sign_in_reason)
