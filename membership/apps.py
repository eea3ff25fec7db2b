from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("会员与积分")

    def ready(self):
        from accounts.hooks import register_demo_step, register_mobile_home_panel
        from accounts.import_jobs import register_import_kind
        from accounts.schedules import register_schedule
        from leads.services.nurture import register_step_kind
        from membership import labels
        from membership.imports import IMPORT_KIND
        from membership.mobile.points import home_points_panel
        from membership.models import MembershipSettings, Tier
        from membership.selectors import reference
        from membership.services import rewards
        from membership.services.nurture import nurture_coupon_step

        register_step_kind("coupon", nurture_coupon_step)
        rewards.register()
        labels.register()
        register_mobile_home_panel(home_points_panel)
        register_import_kind(IMPORT_KIND)
        register_schedule("membership-daily-ops", "membership.tasks.daily_ops", "D")
        register_demo_step("membership.demo.seed_membership")
        # The per-process caches of the tiers and the settings row follow their changes.
        reference.TIERS.watch(Tier)
        reference.SETTINGS.watch(MembershipSettings)
