from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("线索与回访")

    def ready(self):
        from accounts.import_jobs import register_import_kind
        from leads import labels
        from leads.services.imports import IMPORT_KIND

        labels.register()
        register_import_kind(IMPORT_KIND)
