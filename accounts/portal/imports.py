"""The portal pages of a spreadsheet import (``accounts.import_jobs``):
upload → preview of the first rows with their errors and the number of rows →
confirm → the job's page, whose progress bar htmx refreshes while the worker
checks and imports."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.views.generic import ListView, TemplateView

from accounts.exceptions import NotFoundError
from accounts.import_jobs import (
    import_job_confirm, import_job_create, import_job_list, import_job_progress, import_jobs_visible, import_kind_label,
)
from accounts.imports import ImportFileError, import_limits
from accounts.portal.mixins import PortalMixin, SeeOther

ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _limits_text() -> str:
    limits = import_limits()
    return gettext("CSV（UTF-8 或 GBK）或 Excel（.xlsx），最多 %(rows)s 行、%(mb)s MB。") % {
        "rows": f"{limits.max_rows:,}", "mb": limits.max_bytes // (1024 * 1024),
    }


# Translated (and the limits read) when the form renders, in the language of that request.
_limits_help = lazy(_limits_text, str)


def sheet_file_field(*, label) -> forms.FileField:
    """The upload field of an import form, its help naming the limits."""
    field = forms.FileField(label=label, help_text=_limits_help())
    field.widget.attrs["accept"] = ACCEPT
    return field


class SheetImportMixin:
    """Step 1: a POST with a file → the preview (context ``form``, ``preview``
    (the first rows, checked), ``total`` (rows in the file), ``complete``
    (every row is in the preview) and ``job``, the stored draft to confirm —
    none when the first rows have errors).  Step 2: a POST with ``job`` →
    the job is queued and the browser goes to its page.  An unknown or
    someone else's draft goes back to the empty page with a message.

    A view sets ``template_name`` (a page extending ``portal/import_base.html``),
    ``form_class`` (with a ``file`` field, see ``sheet_file_field``),
    ``import_kind`` (the ``ImportKind`` code its app registered) and
    ``url_name`` (this page).  Put it before ``PortalMixin``, which still
    checks who may import.
    """

    template_name: str
    form_class: type[forms.Form]
    import_kind: str
    url_name: str

    def _render(self, request, context, status=200):
        context.setdefault("form", self.form_class())
        context["jobs"] = import_job_list(actor=request.user, kind=self.import_kind)
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, {})

    def post(self, request):
        if "job" in request.POST:
            return self._confirm(request)
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        try:
            result = import_job_create(kind=self.import_kind, actor=request.user, fileobj=upload.file,
                                       name=upload.name or "", size=upload.size)
        except ImportFileError as exc:
            form.add_error("file", str(exc.message))
            return self._render(request, {"form": form}, status=400)
        return self._render(request, {
            "preview": result.preview, "total": result.total, "complete": result.complete, "job": result.job,
        })

    def _confirm(self, request):
        try:
            job = import_job_confirm(actor=request.user, job_id=request.POST.get("job"))
        except ImportFileError as exc:
            messages.error(request, str(exc.message))
            return SeeOther(reverse(self.url_name))
        return SeeOther(reverse("portal:import-job", args=[job.pk]))


class ImportJobListView(PortalMixin, ListView):
    """Import jobs: one's own; HQ sees every job of the group."""

    template_name = "portal/imports/list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        return import_jobs_visible(actor=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for job in context["jobs"]:
            job.kind_label = import_kind_label(job.kind)
        return context


class ImportJobView(PortalMixin, TemplateView):
    """An import job: status, progress bar, counts and the rows' errors.  Only
    the user who ran it and HQ see it (anyone else: 404)."""

    template_name = "portal/imports/job.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            context["progress"] = import_job_progress(actor=self.request.user, pk=self.kwargs["pk"])
        except NotFoundError as exc:
            raise Http404 from exc
        return context


class ImportJobProgressView(ImportJobView):
    """The progress fragment, polled by htmx every second while the job runs."""

    template_name = "portal/imports/_job_progress.html"
