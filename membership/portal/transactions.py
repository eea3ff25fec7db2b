"""Portal: the DMS transaction import (a preview of the first rows with their
errors, then the import job: every row checked, then committed in bulk), on the
shared import page flow (accounts.portal.imports)."""

from __future__ import annotations

from django.views.generic import View

from accounts.models import GROUP_ROLES, Role
from accounts.portal.imports import SheetImportMixin
from accounts.portal.mixins import PortalMixin
from membership import imports
from membership.portal.forms import TransactionImportForm

IMPORT_ROLES = GROUP_ROLES | {Role.MANAGER}


class TransactionImportView(SheetImportMixin, PortalMixin, View):
    roles = IMPORT_ROLES
    template_name = "portal/membership/import_transactions.html"
    form_class = TransactionImportForm
    import_kind = imports.IMPORT_KIND.code
    url_name = "portal:membership:transaction-import"
