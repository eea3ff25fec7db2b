from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("线索与回访")

    def ready(self):
        from accounts.hooks import register_dashboard_panel, register_demo_step
        from accounts.import_jobs import register_import_kind
        from accounts.schedules import register_schedule
        from leads import labels
        from leads.models import ScoringConfig, scoring_config_changed
        from leads.portal.dashboard import dashboard_panel
        from leads.services.imports import IMPORT_KIND
        from leads.services.scoring import scoring_config_changed_receiver

        labels.register()
        for signal in (post_save, post_delete, scoring_config_changed):
            signal.connect(scoring_config_changed_receiver, sender=ScoringConfig, dispatch_uid="leads-scoring-config")
        register_dashboard_panel(dashboard_panel)
        register_import_kind(IMPORT_KIND)
        register_schedule("leads-rescore-open", "leads.tasks.rescore_open", "H")
        register_schedule("leads-nurture-due", "leads.tasks.nurture_due", "I", 15)
        register_schedule("leads-learned-score", "leads.tasks.learned_score_retrain", "D")
        register_schedule("leads-pool-take-back", "leads.tasks.pool_sweep", "H")
        register_schedule("leads-showroom-sweep", "leads.tasks.showroom_sweep", "I", 15)
        register_schedule("leads-allocate-unassigned", "leads.tasks.allocate_unassigned", "I", 5)
        register_demo_step("leads.demo.seed_leads")
        register_demo_step("leads.demo.seed_pool")
        register_demo_step("leads.demo_showroom.seed_showroom")
