"""Portal pages of employee referrals (分销).

- 我的分销 (every staff member, phone-sized): their shares, clicks, referred
  orders and commission (pending, payable, paid), and a share button giving
  the link and the poster of a product they may sell.
- 团队分销 (managers: their store's staff; HQ: everyone): the same per person.
- 提成规则 (HQ): commission rules per product or category.
- 提成结算 (HQ): a month's statements per staff member; generate them, export
  the payroll sheet (CSV, audited) and mark the month paid.

Views parse input, call a selector or a service, and render; POSTs answer
303 See Other."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.dates import add_months
from accounts.exports import csv_response
from accounts.forms import form_errors_from
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin, SeeOther
from mall import exceptions as errors
from mall.exceptions import MallError
from mall.models import StatementStatus
from mall.selectors_referrals import (
    commission_list_for_staff, commission_rule_get, commission_rule_list, commission_rule_targets,
    referred_orders_for_staff, referral_summary, share_get_for_staff, share_list_for_staff, shareable_product_get,
    shareable_products, statement_list, statement_waiting_total,
)
from mall.services_referrals import (
    commission_rule_save, month_start, share_answer, share_create, statement_mark_paid, statements_export_record,
    statements_generate,
)

TEAM_ROLES = GROUP_ROLES | {Role.MANAGER}
RECENT = 20


class ShareForm(forms.Form):
    product = forms.IntegerField(label=gettext_lazy("商品"), min_value=1, max_value=2**31 - 1)


class MonthForm(forms.Form):
    month = forms.RegexField(label=gettext_lazy("结算月份"), regex=r"^\d{4}-\d{2}$",
                             error_messages={"invalid": errors.STATEMENT_MONTH_INVALID})

    def clean_month(self) -> dt.date:
        year, month = (int(part) for part in self.cleaned_data["month"].split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise forms.ValidationError(errors.STATEMENT_MONTH_INVALID)
        return dt.date(year, month, 1)


class CommissionRuleForm(forms.Form):
    product = forms.ModelChoiceField(label=gettext_lazy("商品"), queryset=None, required=False,
                                     empty_label=gettext_lazy("（按分类）"))
    category = forms.ModelChoiceField(label=gettext_lazy("分类"), queryset=None, required=False,
                                      empty_label=gettext_lazy("（按商品）"))
    cash_percent = forms.DecimalField(label=gettext_lazy("现金提成比例（%）"), min_value=0, max_value=100,
                                      max_digits=5, decimal_places=2, initial=0)
    per_1000_points = forms.DecimalField(label=gettext_lazy("每千积分提成（元）"), min_value=0, max_digits=8,
                                         decimal_places=2, initial=0)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset, self.fields["category"].queryset = commission_rule_targets()

    @classmethod
    def of(cls, rule):
        return cls(initial={"product": rule.product_id, "category": rule.category_id, "cash_percent": rule.cash_percent,
                            "per_1000_points": rule.per_1000_points, "is_active": rule.is_active})


def _rule_saved(request, form, rule=None):
    """Save the form through the service; None (with form errors) when refused."""
    if not form.is_valid():
        return None
    try:
        return commission_rule_save(actor=request.user, rule=rule, **form.cleaned_data)
    except MallError as exc:
        form_errors_from(form, exc)
        return None


class CommissionRuleListView(PortalMixin, View):
    """提成规则 (HQ): the rules and a form for a new one."""

    roles = GROUP_ROLES
    template_name = "portal/mall/commission_rules.html"

    def get(self, request, form=None, status=200):
        return render(request, self.template_name, {
            "rules": commission_rule_list(), "form": form or CommissionRuleForm(), "rule": None}, status=status)

    def post(self, request):
        form = CommissionRuleForm(request.POST)
        if _rule_saved(request, form) is None:
            return self.get(request, form=form, status=400)
        messages.success(request, _("提成规则已保存。"))
        return SeeOther(reverse("portal:mall:commission-rule-list"))


class CommissionRuleEditView(PortalMixin, View):
    roles = GROUP_ROLES
    template_name = "portal/mall/commission_rules.html"

    def get(self, request, pk, form=None, status=200):
        rule = commission_rule_get(pk=pk)
        return render(request, self.template_name, {"rules": commission_rule_list(), "rule": rule,
                                                    "form": form or CommissionRuleForm.of(rule)}, status=status)

    def post(self, request, pk):
        rule = commission_rule_get(pk=pk)
        form = CommissionRuleForm(request.POST)
        if _rule_saved(request, form, rule) is None:
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("提成规则已保存。"))
        return SeeOther(reverse("portal:mall:commission-rule-list"))


def _last_month() -> dt.date:
    return add_months(month_start(timezone.localdate()), -1)


class ReferralMineView(PortalMixin, View):
    """我的分销: the staff member's own numbers and the share button."""

    template_name = "portal/mall/referral_mine.html"

    def get(self, request, form=None, status=200):
        user = request.user
        [summary] = referral_summary(actor=user)
        shared = None
        share_pk = request.GET.get("share")
        if share_pk:
            share = share_get_for_staff(actor=user, pk=share_pk)
            if share.staff_id == user.pk:
                shared = {"share": share, **share_answer(share=share, base_url=request.build_absolute_uri("/"))}
        return render(request, self.template_name, {
            "summary": summary, "form": form or ShareForm(), "products": shareable_products(actor=user)[:200],
            "shares": share_list_for_staff(actor=user).filter(staff=user)[:RECENT],
            "lines": commission_list_for_staff(actor=user, staff=user)[:RECENT], "shared": shared,
            "orders": referred_orders_for_staff(actor=user).filter(referral=user).order_by("-created_at")[:RECENT],
            "may_see_team": user.is_superuser or user.role in TEAM_ROLES,
        }, status=status)


class ShareCreateView(PortalMixin, View):
    """The share button: a product the staff member may sell → its link and poster."""

    http_method_names = ["post"]

    def post(self, request):
        form = ShareForm(request.POST)
        if not form.is_valid():
            return ReferralMineView().get(request, form=form, status=400)
        product = shareable_product_get(actor=request.user, pk=form.cleaned_data["product"])
        if product is None:
            form.add_error("product", errors.SHARE_PRODUCT_UNKNOWN)
            return ReferralMineView().get(request, form=form, status=400)
        try:
            share = share_create(actor=request.user, product=product)
        except MallError as exc:
            form_errors_from(form, exc)
            return ReferralMineView().get(request, form=form, status=400)
        return SeeOther(f"{reverse('portal:mall:referral-mine')}?share={share.pk}")


class ReferralTeamView(PortalMixin, View):
    """团队分销: per staff member of the manager's store (HQ: everyone)."""

    roles = TEAM_ROLES
    template_name = "portal/mall/referral_team.html"

    def get(self, request):
        rows = referral_summary(actor=request.user, team=True)
        lines = commission_list_for_staff(actor=request.user)[:RECENT * 2]
        return render(request, self.template_name, {"rows": rows, "lines": lines})


def _month_from(request, data) -> tuple[MonthForm, dt.date | None]:
    form = MonthForm(data)
    return form, (form.cleaned_data["month"] if form.is_valid() else None)


class StatementListView(PortalMixin, View):
    """提成结算 (HQ): a month's statements, what waits for one, and the actions."""

    roles = GROUP_ROLES
    template_name = "portal/mall/statement_list.html"

    def get(self, request, form=None, status=200):
        month = None
        if "month" in request.GET:
            form, month = _month_from(request, request.GET)
        month = month or _last_month()
        statements = list(statement_list(actor=request.user, month=month))
        waiting_lines, waiting_amount = statement_waiting_total(month=month)
        return render(request, self.template_name, {
            "form": form or MonthForm(initial={"month": f"{month:%Y-%m}"}), "month": month,
            "month_value": f"{month:%Y-%m}", "statements": statements,
            "total": sum((s.total for s in statements), 0), "open_count": sum(
                1 for s in statements if s.status == StatementStatus.OPEN),
            "waiting_lines": waiting_lines, "waiting_amount": waiting_amount,
        }, status=status)


class StatementGenerateView(PortalMixin, View):
    roles = GROUP_ROLES
    http_method_names = ["post"]

    def post(self, request):
        form, month = _month_from(request, request.POST)
        if month is None:
            return StatementListView().get(request, form=form, status=400)
        try:
            statements = statements_generate(actor=request.user, month=month)
        except MallError as exc:
            form_errors_from(form, exc)
            return StatementListView().get(request, form=form, status=400)
        messages.success(request, _("已生成 %(n)s 份结算单。") % {"n": len(statements)})
        return SeeOther(f"{reverse('portal:mall:statement-list')}?month={month:%Y-%m}")


class StatementPayView(PortalMixin, View):
    """Mark every open statement of the month paid (a second click pays nothing twice)."""

    roles = GROUP_ROLES
    http_method_names = ["post"]

    def post(self, request):
        form, month = _month_from(request, request.POST)
        if month is None:
            return StatementListView().get(request, form=form, status=400)
        paid = sum(statement_mark_paid(actor=request.user, statement=s)
                   for s in statement_list(actor=request.user, month=month).filter(status=StatementStatus.OPEN))
        messages.success(request, _("已将 %(n)s 份结算单标记为已发放。") % {"n": paid})
        return SeeOther(f"{reverse('portal:mall:statement-list')}?month={month:%Y-%m}")


class StatementExportView(PortalMixin, View):
    """The payroll sheet of a month (CSV): one row per statement; audited."""

    roles = GROUP_ROLES

    def get(self, request):
        form, month = _month_from(request, request.GET)
        if month is None:
            return StatementListView().get(request, form=form, status=400)
        statements = list(statement_list(actor=request.user, month=month))
        statements_export_record(actor=request.user, month=month, rows=len(statements))
        status_labels = dict(StatementStatus.choices)

        def rows():
            yield [_("结算月份"), _("工号"), _("员工"), _("门店"), _("明细数"), _("提成合计（元）"), _("状态"),
                   _("发放时间")]
            for s in statements:
                paid_at = timezone.localtime(s.paid_at).strftime("%Y-%m-%d %H:%M") if s.paid_at else ""
                yield [f"{s.month:%Y-%m}", s.staff.username, s.staff.display_name,
                       s.store.name if s.store_id else _("集团"), s.lines_count, s.total,
                       str(status_labels[s.status]), paid_at]

        return csv_response(rows(), filename=f"commission-{month:%Y%m}.csv")

