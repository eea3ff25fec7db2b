"""Mini-site pages of insurance (owners): 我的保单 — the owner's policies
(with the renewal stage) and the quotes sent to them, each with 接受报价 and
请给我回电.  Another member's quote is a 404; a refusal (expired, already
answered) is a message.  POSTs answer 303."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import View

from accounts.mobile.views import OwnerMixin
from accounts.portal.mixins import SeeOther
from insurance.exceptions import InsuranceError
from insurance.models import QuoteStatus
from insurance.selectors_renewals import policy_list_for_member, quote_get_for_member, quote_list_for_member
from insurance.services_renewals import quote_accept, quote_call_me


class MyPoliciesView(OwnerMixin, View):
    template_name = "mobile/insurance/policies.html"

    def get(self, request):
        today = timezone.localdate()
        return render(request, self.template_name, {
            "policies": policy_list_for_member(member=self.member)[:50],
            "quotes": quote_list_for_member(member=self.member)[:20],
            "today": today, "answerable": (QuoteStatus.SENT, QuoteStatus.CALL_ME),
        })


class _QuoteAnswerView(OwnerMixin, View):
    answer = staticmethod(quote_accept)
    done = ""

    def post(self, request, pk):
        quote = quote_get_for_member(member=self.member, pk=pk)
        try:
            self.answer(member=self.member, quote=quote)
        except InsuranceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, self.done)
        return SeeOther(reverse("mobile:insurance:policies"))


class QuoteAcceptView(_QuoteAnswerView):
    answer = staticmethod(quote_accept)
    done = _("已接受报价，门店将尽快与您联系办理缴费。")


class QuoteCallMeView(_QuoteAnswerView):
    answer = staticmethod(quote_call_me)
    done = _("已通知门店，续保专员会尽快给您回电。")


def home_insurance_panel(*, request, member) -> str:
    """我的保单 on the owner's /m/ home (``accounts.hooks``): shown when they
    have a policy or a quote waiting for their answer."""
    waiting = quote_list_for_member(member=member).filter(status=QuoteStatus.SENT).count()
    if not waiting and not policy_list_for_member(member=member).exists():
        return ""
    return render_to_string("mobile/insurance/_home_insurance.html", {"waiting": waiting}, request=request)
