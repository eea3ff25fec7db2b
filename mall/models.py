"""Points mall with employee-referral commissions. Models arrive with their issue."""

from mall.models_payments import PaymentEventKind, PaymentNotification, PaymentNotificationStatus  # noqa: E402,F401
