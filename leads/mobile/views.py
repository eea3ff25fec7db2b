"""Public mini-site pages of the leads app (no login): the form a channel QR
code opens, and the personal-information notice its consent refers to.  The
form is CSRF-protected like every form, and rate-limited per address."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.audit import client_ip
from accounts.forms import form_errors_from
from leads.exceptions import LeadsError
from leads.mobile.forms import BEHAVIOUR_FOR_INTENT, QRLeadForm
from leads.selectors.qrcodes import qr_code_get_public
from leads.services.ingest import lead_ingest

RATE_LIMIT = 20  # submissions per address per window (a mall stand shares one Wi-Fi)
RATE_WINDOW = 10 * 60
RATE_LIMITED = _("提交过于频繁，请稍后再试。")


def _rate_limited(request) -> bool:
    """Count this submission; True once the address passed the limit."""
    key = f"leads:qr-form:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    return count > RATE_LIMIT


class QRLeadFormView(View):
    template_name = "mobile/leads/qr_form.html"

    def get(self, request, token):
        code = qr_code_get_public(token=token)
        return render(request, self.template_name, {"code": code, "form": QRLeadForm()})

    def post(self, request, token):
        code = qr_code_get_public(token=token)
        form = QRLeadForm(request.POST)
        if _rate_limited(request):
            form.is_valid()
            form.add_error(None, RATE_LIMITED)
            return render(request, self.template_name, {"code": code, "form": form}, status=429)
        if not form.is_valid():
            return render(request, self.template_name, {"code": code, "form": form}, status=400)
        data = form.cleaned_data
        if data["website"]:  # the hidden trap field: pretend all went well
            return HttpResponseRedirect(reverse("mobile:leads:qr-thanks", args=[code.token]), status=303)
        try:
            lead_ingest(
                mobile=data["mobile"], channel=code.channel, store=code.store, name=data["name"],
                model_interest=data["model_interest"], qr_code=code, behaviour=BEHAVIOUR_FOR_INTENT[data["intent"]],
                note=str(_("扫码留资：%(event)s") % {"event": code.event_name}) if code.event_name else "",
            )
        except LeadsError as exc:
            form_errors_from(form, exc)
            return render(request, self.template_name, {"code": code, "form": form}, status=400)
        return HttpResponseRedirect(reverse("mobile:leads:qr-thanks", args=[code.token]), status=303)


class QRThanksView(View):
    def get(self, request, token):
        code = qr_code_get_public(token=token)
        return render(request, "mobile/leads/qr_thanks.html", {"code": code})


class QRPrivacyNoticeView(View):
    """个人信息处理告知: who collects what on the form, why, for how long and
    how to object (the text lives in the template; the store is the one the
    code belongs to)."""

    def get(self, request, token):
        code = qr_code_get_public(token=token)
        return render(request, "mobile/leads/qr_privacy.html", {"code": code})
