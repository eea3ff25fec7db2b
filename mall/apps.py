from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MallConfig(AppConfig):
    name = "mall"
    verbose_name = _("积分商城")

    def ready(self) -> None:
        from accounts.checks import register_backend_setting

        # check --deploy: the local payment backend is refused with DEBUG off (E002),
        # WeChat Pay's credentials must be set (E004) and load (E007).
        register_backend_setting("PAYMENT_BACKEND")
