"""The portal page of a spreadsheet import (``accounts.imports``):
upload → preview of every row with its errors → confirm, all rows or none."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext

from accounts.exceptions import ApplicationError
from accounts.imports import MAX_FILE_BYTES, ImportFileError, ImportPreview, ImportSheet
from accounts.portal.mixins import SeeOther

ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _limits_text(max_rows: int) -> str:
    return gettext("CSV（UTF-8 或 GBK）或 Excel（.xlsx），最多 %(rows)s 行、%(mb)s MB。") % {
        "rows": max_rows, "mb": MAX_FILE_BYTES // (1024 * 1024),
    }


# Translated when the form renders, in the language of that request.
_limits_help = lazy(_limits_text, str)


def sheet_file_field(*, label, max_rows: int) -> forms.FileField:
    """The upload field of an import form, its help naming the limits."""
    field = forms.FileField(
        label=label,
        help_text=_limits_help(max_rows),
    )
    field.widget.attrs["accept"] = ACCEPT
    return field


class SheetImportMixin:
    """Step 1: a POST with a file → the preview (context ``form``, ``preview``
    and ``token``, the records signed for step 2).  Step 2: a POST with
    ``token`` → ``commit``; if the service refuses, the preview again (400).
    A bad or expired token goes back to the empty page with a message.

    A view sets ``template_name`` (a page extending ``portal/import_base.html``),
    ``form_class`` (with a ``file`` field, see ``sheet_file_field``), ``sheet``,
    ``commit_error`` (what its service raises) and ``url_name`` (this page),
    and implements ``rows_validate`` and ``commit``.  Put it before
    ``PortalMixin``, which still checks who may import.
    """

    template_name: str
    form_class: type[forms.Form]
    sheet: ImportSheet
    commit_error: type[ApplicationError]
    url_name: str

    def rows_validate(self, records: list[dict]) -> ImportPreview:
        raise NotImplementedError

    def commit(self, records: list[dict]) -> str:
        """Import the records (raising ``commit_error`` to refuse), add the
        success message, and return the URL to go to."""
        raise NotImplementedError

    def get(self, request):
        return render(request, self.template_name, {"form": self.form_class()})

    def post(self, request):
        if "token" in request.POST:
            return self._commit(request)
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        try:
            records = self.sheet.parse_upload(form.cleaned_data["file"])
        except ImportFileError as exc:
            form.add_error("file", str(exc.message))
            return render(request, self.template_name, {"form": form}, status=400)
        return self._preview(request, records)

    def _preview(self, request, records, *, status=200):
        context = {
            "form": self.form_class(),
            "preview": self.rows_validate(records),
            "token": self.sheet.sign(records=records, actor=request.user),
        }
        return render(request, self.template_name, context, status=status)

    def _commit(self, request):
        try:
            records = self.sheet.unsign(token=request.POST.get("token", ""), actor=request.user)
        except ImportFileError as exc:
            messages.error(request, str(exc.message))
            return SeeOther(reverse(self.url_name))
        try:
            next_url = self.commit(records)
        except self.commit_error as exc:
            messages.error(request, str(exc.message))
            return self._preview(request, records, status=400)
        return SeeOther(next_url)
