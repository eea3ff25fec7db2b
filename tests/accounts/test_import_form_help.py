"""The upload field's help (the limits) is translated per request, not
frozen in the language active when the module was imported."""

from __future__ import annotations

from django.utils import translation

from leads.portal.forms import LeadImportForm
from membership.portal.forms import TransactionImportForm


def test_upload_help_follows_the_active_language():
    for form_class in (LeadImportForm, TransactionImportForm):
        field = form_class().fields["file"]
        with translation.override("en"):
            english = str(field.help_text)
        with translation.override("zh-hans"):
            chinese = str(field.help_text)
        assert english.startswith("CSV (UTF-8 or GBK) or Excel (.xlsx), up to ") and english.endswith(" rows and 2 MB.")
        assert chinese.startswith("CSV（UTF-8 或 GBK）或 Excel（.xlsx），最多 ")
