from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsedcarsConfig(AppConfig):
    name = "usedcars"
    verbose_name = _("二手车")

    def ready(self) -> None:
        from accounts.hooks import register_demo_step
        from usedcars import labels

        labels.register()
        register_demo_step("usedcars.demo.seed_usedcars")
