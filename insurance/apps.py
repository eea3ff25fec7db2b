from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = _("续保")

    def ready(self) -> None:
        from accounts.checks import register_webhook_secret
        from accounts.hooks import register_demo_step, register_mobile_home_panel
        from accounts.import_jobs import register_import_kind
        from accounts.schedules import register_schedule
        from insurance import labels
        from insurance.mobile.views import home_insurance_panel
        from insurance.services_import import IMPORT_KIND as POLICY_IMPORT
        from insurance.services_renewals import renewals_sweep
        from insurance.tasks import RENEWALS_STEP
        from membership.services.daily import register_daily_step

        labels.register()
        register_demo_step("insurance.demo.seed_insurance")
        register_import_kind(POLICY_IMPORT)
        register_demo_step("insurance.demo_plates.seed_plate_demo")
        register_webhook_secret("PLATE_WEBHOOK_SECRET")

        # The renewal pipeline's daily sweep: a step of run_daily_ops and its own schedule.
        register_daily_step(RENEWALS_STEP, lambda day: renewals_sweep(today=day), batched=True)
        register_mobile_home_panel(home_insurance_panel)
        # After the policies and the plate demo car: the sweep, and S01's pipeline in every stage.
        register_demo_step("insurance.demo_renewals.seed_renewal_demo")
        register_schedule("insurance-renewals-daily", "insurance.tasks.renewals_daily", "D")
