from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = _("续保")

    def ready(self) -> None:
        from accounts.hooks import register_demo_step
        from insurance import labels

        labels.register()
        register_demo_step("insurance.demo.seed_insurance")

        # The renewal pipeline's daily sweep: a step of run_daily_ops and its own schedule.
        from accounts.schedules import register_schedule
        from insurance.services_renewals import renewals_sweep
        from insurance.tasks import RENEWALS_STEP
        from membership.services.daily import register_daily_step

        register_daily_step(RENEWALS_STEP, lambda day: renewals_sweep(today=day), batched=True)

        from accounts.hooks import register_mobile_home_panel
        from insurance.mobile.views import home_insurance_panel

        register_mobile_home_panel(home_insurance_panel)
        register_schedule("insurance-renewals-daily", "insurance.tasks.renewals_daily", "D")
