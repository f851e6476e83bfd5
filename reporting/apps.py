from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """The regions' usage statistics: measures, definitions, periods,
    suppression, monthly rollups, exports, charts and the monthly mail. It
    reads bookings and advisors; bookings never imports it (imports flow
    notifications -> reporting -> bookings -> advisors)."""

    name = "reporting"
    verbose_name = _("Reporting")
