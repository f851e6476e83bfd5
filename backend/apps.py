from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackendConfig(AppConfig):
    name = "backend"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from allauth.account.signals import password_reset

        from . import checks  # noqa: F401 (registers the system checks)
        from .privacy import (
            ORDER_ACCOUNT,
            erase_account,
            export_account,
            register_erasure_step,
            register_export_section,
        )
        from .signin import confirm_address_on_password_reset

        # The account's part of a person's export and erasure (backend/privacy.py).
        register_export_section("account", export_account)
        register_erasure_step("backend.account", erase_account, order=ORDER_ACCOUNT)
        password_reset.connect(
            confirm_address_on_password_reset, dispatch_uid="backend.confirm_address_on_reset"
        )
