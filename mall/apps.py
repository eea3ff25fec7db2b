from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MallConfig(AppConfig):
    name = "mall"
    verbose_name = _("积分商城")

    def ready(self):
        from accounts.hooks import register_demo_step
        from mall import labels

        labels.register()
        register_demo_step("mall.demo.seed_mall")
