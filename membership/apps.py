from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("会员与积分")

    def ready(self):
        from leads.services.nurture import register_step_kind
        from membership.services.nurture import nurture_coupon_step

        register_step_kind("coupon", nurture_coupon_step)

        from membership.services import rewards

        rewards.register()

        from accounts.import_jobs import register_import_kind
        from membership.imports import IMPORT_KIND

        register_import_kind(IMPORT_KIND)
