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

        from bookings.models import Feedback

        from .rollups import feedback_changed

        # A rating given, changed or removed changes its month's figures.
        post_save.connect(feedback_changed, sender=Feedback, dispatch_uid="statistics_feedback_saved")
        post_delete.connect(feedback_changed, sender=Feedback, dispatch_uid="statistics_feedback_deleted")

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
