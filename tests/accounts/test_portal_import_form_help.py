"""The upload field's help (the limits) is translated per request, not
frozen in the language active when the module was imported, and names the
configured limits."""

from __future__ import annotations

from django.utils import translation

from leads.portal.forms import LeadImportForm
from membership.portal.forms import TransactionImportForm


def test_upload_help_follows_the_active_language_and_the_limits(settings):
    settings.IMPORT_MAX_ROWS = 200_000
    settings.IMPORT_MAX_FILE_BYTES = 50 * 1024 * 1024
    for form_class in (LeadImportForm, TransactionImportForm):
        field = form_class().fields["file"]
        with translation.override("en"):
            english = str(field.help_text)
        with translation.override("zh-hans"):
            chinese = str(field.help_text)
        assert english == "CSV (UTF-8 or GBK) or Excel (.xlsx), up to 200,000 rows and 50 MB."
        assert chinese == "CSV（UTF-8 或 GBK）或 Excel（.xlsx），最多 200,000 行、50 MB。"
        settings.IMPORT_MAX_ROWS = 5_000
        assert "5,000" in str(field.help_text)
        settings.IMPORT_MAX_ROWS = 200_000
