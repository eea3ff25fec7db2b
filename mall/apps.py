from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MallConfig(AppConfig):
    name = "mall"
    verbose_name = _("积分商城")

    def ready(self) -> None:
        from accounts.checks import register_backend_setting
        from accounts.hooks import register_demo_step, register_mobile_home_panel
        from mall import labels
        from mall.mobile.views import home_mall_panel

        labels.register()
        register_mobile_home_panel(home_mall_panel)
        register_demo_step("mall.demo.seed_mall")
        # check --deploy: the local payment backend is refused with DEBUG off (E002),
        # WeChat Pay's credentials must be set (E004) and load (E007).
        register_backend_setting("PAYMENT_BACKEND")
