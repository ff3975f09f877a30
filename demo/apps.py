from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for `python3 dev.py run`: outlets, one user per role, guests and their history.

    It sits above every other app because it writes through all of their services; no app
    imports it, and it has no models."""

    name = "demo"
    verbose_name = _("Demo data")
