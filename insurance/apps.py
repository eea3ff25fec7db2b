from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = _("续保")

    def ready(self) -> None:
        from accounts.checks import register_webhook_secret
        from accounts.hooks import register_demo_step
        from accounts.import_jobs import register_import_kind
        from insurance import labels
        from insurance.services_import import IMPORT_KIND as POLICY_IMPORT

        labels.register()
        register_demo_step("insurance.demo.seed_insurance")
        register_import_kind(POLICY_IMPORT)
        register_demo_step("insurance.demo_plates.seed_plate_demo")
        register_webhook_secret("PLATE_WEBHOOK_SECRET")
