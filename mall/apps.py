from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MallConfig(AppConfig):
    name = "mall"
    verbose_name = _("积分商城")
