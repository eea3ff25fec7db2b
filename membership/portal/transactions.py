"""Portal: the DMS transaction import (preview with per-row errors, then all
rows or none), on the shared import page flow (accounts.portal.imports)."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.models import GROUP_ROLES, Role
from accounts.portal.imports import SheetImportMixin
from accounts.portal.mixins import PortalMixin
from membership import imports
from membership.exceptions import MembershipError
from membership.portal.forms import TransactionImportForm

IMPORT_ROLES = GROUP_ROLES | {Role.MANAGER}


class TransactionImportView(SheetImportMixin, PortalMixin, View):
    roles = IMPORT_ROLES
    template_name = "portal/membership/import_transactions.html"
    form_class = TransactionImportForm
    sheet = imports.SHEET
    commit_error = MembershipError
    url_name = "portal:membership:transaction-import"

    def rows_validate(self, records):
        return imports.rows_validate(records=records, actor=self.request.user)

    def commit(self, records):
        result = imports.transactions_import(records=records, actor=self.request.user)
        messages.success(self.request, _("导入完成：新增 %(created)s 条，跳过已导入 %(skipped)s 条，新建会员 %(members)s 位。") % {
            "created": result.created, "skipped": result.skipped, "members": result.new_members})
        return reverse("portal:membership:transaction-import")
