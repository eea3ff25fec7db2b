from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsedcarsConfig(AppConfig):
    name = "usedcars"
    verbose_name = _("二手车")

    def ready(self) -> None:
        from accounts.hooks import register_demo_step
        from leads.services.allocation import allocation_exempt_channel_register
        from leads.services.nurture import register_nurture_addition
        from usedcars import labels
        from usedcars.models_inquiries import CHANNEL_CODE
        from usedcars.services_nurture import nurture_listings_text

        labels.register()
        register_demo_step("usedcars.demo.seed_usedcars")
        # Used-car leads go to the used-car manager, never to a consultant by the rule
        # (usedcars.services_inquiries, "Routing").
        allocation_exempt_channel_register(CHANNEL_CODE)
        # New listings of the lead's brand in its nurture messages.
        register_nurture_addition(nurture_listings_text)
