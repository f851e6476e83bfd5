from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """The regions' usage statistics: measures, definitions, periods,
    suppression, monthly rollups, exports, charts and the monthly mail; and
    the funder reporting: funding projects and de minimis. It
    reads bookings and advisors; bookings never imports it (imports flow
    notifications -> reporting -> bookings -> advisors)."""

    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from bookings import signals as booking_signals
        from bookings.models import Feedback

        from .first_time import booking_changed
        from .rollups import feedback_changed

        # A rating given, changed or removed changes its month's figures.
        post_save.connect(feedback_changed, sender=Feedback, dispatch_uid="statistics_feedback_saved")
        post_delete.connect(feedback_changed, sender=Feedback, dispatch_uid="statistics_feedback_deleted")
        # Which booking is an enterprise's first can change with any of its bookings.
        for signal in (
            booking_signals.booking_created,
            booking_signals.booking_rescheduled,
            booking_signals.booking_cancelled,
            booking_signals.booking_completed,
        ):
            signal.connect(booking_changed, dispatch_uid=f"statistics_first_time_{id(signal)}")

        from bookings.extensions import (
            register_booking_notice,
            register_booking_panel,
            register_enterprise_panel,
        )

        from .views_projects import booking_notice, booking_panel, enterprise_panel

        # bookings' pages show a booking's funding project and the de minimis
        # declaration without importing reporting (imports flow reporting -> bookings).
        register_booking_panel(booking_panel)
        register_booking_notice(booking_notice)
        register_enterprise_panel(enterprise_panel)

        from . import privacy

        privacy.register()  # reporting's part of a person's export and erasure (backend/privacy.py)
