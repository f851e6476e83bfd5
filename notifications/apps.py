from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from . import privacy, receivers  # noqa: F401 (connects the receivers)

        privacy.register()  # notifications' part of a person's export and erasure (backend/privacy.py)
