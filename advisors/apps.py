from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvisorsConfig(AppConfig):
    name = "advisors"
    verbose_name = _("Advisors and regions")

    def ready(self) -> None:
        from .privacy import register

        register()  # advisors' part of a person's export and erasure (backend/privacy.py)
