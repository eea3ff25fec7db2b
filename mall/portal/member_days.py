"""Portal pages of member days (会员日): HQ runs group days (every store or
the stores it lists) and any store's day; a store manager their store's day.
A manager sees the group days held at their store but does not change them
(403); another store's day is a 404.  POSTs answer 303 See Other."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import form_errors_from
from accounts.portal.mixins import PortalMixin, SeeOther
from mall import selectors
from mall.exceptions import MallError
from mall.portal.forms_member_days import MemberDayForm
from mall.portal.views import MALL_ROLES
from mall.selectors_member_days import member_day_get_for_staff, member_day_list_for_staff
from mall.services_member_days import member_day_create, member_day_update

RECENT_DAYS = 31


def _managed_member_day(request, pk):
    """A member day of the actor's stores (else 404) that they manage (a group day for a manager: 403)."""
    member_day = member_day_get_for_staff(actor=request.user, pk=pk)
    if not selectors.may_manage_store(request.user, member_day.store):
        raise PermissionDenied
    return member_day


class MemberDayListView(PortalMixin, View):
    """The member days of the actor's stores: the last month's and the upcoming."""

    roles = MALL_ROLES
    template_name = "portal/mall/member_day_list.html"

    def get(self, request):
        today = timezone.localdate()
        days = member_day_list_for_staff(actor=request.user, since=today - dt.timedelta(days=RECENT_DAYS))
        rows = [(d, selectors.may_manage_store(request.user, d.store) and d.day >= today) for d in days]
        return render(request, self.template_name, {"rows": rows, "today": today})


class MemberDayCreateView(PortalMixin, View):
    roles = MALL_ROLES
    template_name = "portal/mall/member_day_form.html"

    def get(self, request, form=None, status=200):
        form = form or MemberDayForm(actor=request.user)
        return render(request, self.template_name, {"form": form, "member_day": None}, status=status)

    def post(self, request):
        form = MemberDayForm(request.POST, actor=request.user)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        store = form.cleaned_data.get("store") if "store" in form.fields else request.user.store
        try:
            member_day = member_day_create(actor=request.user, store=store, **form.as_service_data())
        except MallError as exc:
            form_errors_from(form, exc)
            return self.get(request, form=form, status=400)
        messages.success(request, _("会员日“%(name)s”已创建。") % {"name": member_day})
        return SeeOther(reverse("portal:mall:member-day-list"))


class MemberDayEditView(PortalMixin, View):
    roles = MALL_ROLES
    template_name = "portal/mall/member_day_form.html"

    def get(self, request, pk, form=None, status=200):
        member_day = _managed_member_day(request, pk)
        form = form or MemberDayForm(actor=request.user, member_day=member_day,
                                     initial=MemberDayForm.initial_for(member_day))
        return render(request, self.template_name, {"form": form, "member_day": member_day}, status=status)

    def post(self, request, pk):
        member_day = _managed_member_day(request, pk)
        form = MemberDayForm(request.POST, actor=request.user, member_day=member_day)
        if not form.is_valid():
            return self.get(request, pk, form=form, status=400)
        try:
            member_day_update(actor=request.user, member_day=member_day, **form.as_service_data())
        except MallError as exc:
            form_errors_from(form, exc)
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("会员日已保存。"))
        return SeeOther(reverse("portal:mall:member-day-list"))
