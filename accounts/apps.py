from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("门店与账号")

    def ready(self):
        from accounts import checks  # noqa: F401  (registers the deploy checks)
        from accounts import labels
        from accounts.auth import usersessions
        from accounts.schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="accounts.ensure_schedules")
        labels.register()
        usersessions.install()  # the sign-in's purge of the user's session list in fixed queries
