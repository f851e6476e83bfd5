from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data (`manage.py seed_demo`). It may import every other app;
    none imports it, so the product runs the same without it."""

    name = "demo"
    verbose_name = _("Demo data")
