"""Portal: the DMS transaction import (preview with per-row errors, then all
rows or none).  Mirrors the lead import (leads.portal.views.LeadImportView)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin
from membership.exceptions import MembershipError
from membership.imports import ImportFileError, parse_upload, rows_sign, rows_unsign, rows_validate, transactions_import
from membership.portal.forms import TransactionImportForm

IMPORT_ROLES = GROUP_ROLES | {Role.MANAGER}


class SeeOther(HttpResponseRedirect):
    status_code = 303


class TransactionImportView(PortalMixin, View):
    roles = IMPORT_ROLES
    template_name = "portal/membership/import_transactions.html"

    def get(self, request):
        return render(request, self.template_name, {"form": TransactionImportForm()})

    def post(self, request):
        if "token" in request.POST:
            return self._commit(request)
        form = TransactionImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        try:
            records = parse_upload(form.cleaned_data["file"])
        except ImportFileError as exc:
            form.add_error("file", str(exc.message))
            return render(request, self.template_name, {"form": form}, status=400)
        return self._preview(request, records)

    def _preview(self, request, records, *, status=200):
        context = {
            "form": TransactionImportForm(),
            "preview": rows_validate(records=records, actor=request.user),
            "token": rows_sign(records=records, actor=request.user),
        }
        return render(request, self.template_name, context, status=status)

    def _commit(self, request):
        try:
            records = rows_unsign(token=request.POST.get("token", ""), actor=request.user)
        except ImportFileError as exc:
            messages.error(request, str(exc.message))
            return SeeOther(reverse("portal:membership:transaction-import"))
        try:
            result = transactions_import(records=records, actor=request.user)
        except MembershipError as exc:
            messages.error(request, str(exc.message))
            return self._preview(request, records, status=400)
        messages.success(request, _("导入完成：新增 %(created)s 条，跳过已导入 %(skipped)s 条，新建会员 %(members)s 位。") % {
            "created": result.created, "skipped": result.skipped, "members": result.new_members})
        return SeeOther(reverse("portal:membership:transaction-import"))
