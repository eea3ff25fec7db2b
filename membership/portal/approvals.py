"""Portal: the approvals page (审批) — one queue for an approver of everything
waiting on them (points adjustments and coupon issues above the requester's
threshold, spend held for review), and everyone's own requests with their
outcome.  Deciding is a POST that calls the one service of that object."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from accounts.exceptions import ApplicationError
from accounts.portal.mixins import PortalMixin, SeeOther
from membership.selectors.approvals import approval_get, approvals_requested_by, approvals_waiting_for
from membership.selectors.transactions import transaction_get
from membership.services.approval_rule import is_approver
from membership.services.approvals import approval_decide
from membership.services.transactions import transaction_review

DECISIONS = (("approve", gettext_lazy("批准")), ("reject", gettext_lazy("驳回")))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS)
    note = forms.CharField(label=gettext_lazy("审批意见"), max_length=200, required=False)


class ApprovalListView(PortalMixin, View):
    template_name = "portal/membership/approvals.html"

    def get(self, request):
        user = request.user
        return render(request, self.template_name, {
            "is_approver": is_approver(user),
            "waiting": approvals_waiting_for(actor=user),
            "mine": approvals_requested_by(actor=user),
        })


class _DecideView(PortalMixin, View):
    """POST ``decision`` (approve / reject) and an optional ``note``: the
    object's one service decides; back to the approvals page with the
    outcome as a message (303).  Not the actor's to decide: 403."""

    def fetch(self, request, pk):
        raise NotImplementedError

    def decide(self, obj, *, actor, approve: bool, note: str):
        raise NotImplementedError

    def post(self, request, pk):
        obj = self.fetch(request, pk)  # another store's: 404
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择批准或驳回。"))
            return SeeOther(reverse("portal:membership:approval-list"))
        approve = form.cleaned_data["decision"] == "approve"
        try:
            self.decide(obj, actor=request.user, approve=approve, note=form.cleaned_data["note"])
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(str(exc.message)) from exc
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已批准并执行。") if approve else _("已驳回。"))
        return SeeOther(reverse("portal:membership:approval-list"))


class ApprovalDecideView(_DecideView):
    def fetch(self, request, pk):
        return approval_get(actor=request.user, pk=pk)

    def decide(self, obj, *, actor, approve, note):
        approval_decide(approval=obj, actor=actor, approve=approve, note=note)


class TransactionReviewView(_DecideView):
    def fetch(self, request, pk):
        return transaction_get(actor=request.user, pk=pk)

    def decide(self, obj, *, actor, approve, note):
        transaction_review(txn=obj, actor=actor, approve=approve, note=note)
