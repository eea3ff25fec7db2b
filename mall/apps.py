from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MallConfig(AppConfig):
    name = "mall"
    verbose_name = _("积分商城")

    def ready(self) -> None:
        from accounts.checks import register_backend_setting
        from accounts.hooks import register_demo_step, register_mobile_home_panel
        from accounts.schedules import register_schedule
        from mall import labels
        from mall.mobile.views import home_mall_panel
        from mall.payments.hooks import register_payment_handler, register_payment_order_resolver
        from mall.services_orders import order_payment_event, order_payment_order_resolve

        labels.register()
        register_mobile_home_panel(home_mall_panel)
        register_demo_step("mall.demo.seed_mall")
        register_demo_step("mall.demo_sales.seed_flash_sales")
        register_demo_step("mall.demo_sales.seed_mall_orders")
        # check --deploy: the local payment backend is refused with DEBUG off (E002),
        # WeChat Pay's credentials must be set (E004) and load (E007).
        register_backend_setting("PAYMENT_BACKEND")
        # Orders: the payment callbacks' handler, the resolver `payment_callback` replays
        # with, and the every-minute expiry of unpaid orders.
        register_payment_handler(order_payment_event)
        register_payment_order_resolver(order_payment_order_resolve)
        register_schedule("mall-orders-expire", "mall.tasks.orders_expire", "I", 1)
        # Referral commission: orders past their refund window complete, their commission becomes payable.
        register_schedule("mall-orders-complete", "mall.tasks.orders_complete", "H")
