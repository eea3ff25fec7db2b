"""Portal: member 360, manual tags, and the audience builder (filter by tags,
lifecycle, RFM segment, store; count, first page, audited CSV export)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from accounts.exports import csv_response
from accounts.models import GROUP_ROLES, Role
from accounts.portal.mixins import PortalMixin, SeeOther
from accounts.scoping import stores_for
from accounts.selectors import member_get
from accounts.services import export_record
from accounts.validators import mask_mobile
from membership.exceptions import MembershipError
from membership.portal.forms import AudienceFilterForm, TagAddForm, TagRemoveForm
from membership.selectors.profiles import audience_list, member_360, tag_list
from membership.selectors.referrals import referral_relations
from membership.services.profiles import tag_add, tag_remove

EXPORT_ROLES = GROUP_ROLES | {Role.MANAGER}
EXPORT_LIMIT = 50_000


class Member360View(PortalMixin, TemplateView):
    template_name = "portal/membership/member_360.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = member_360(actor=self.request.user, pk=self.kwargs["pk"])
        context.update(m=data, member=data.member,
                       referrals=referral_relations(actor=self.request.user, member=data.member))
        return context


class _TagView(PortalMixin, View):
    form_class = TagAddForm

    def post(self, request, pk):
        member = member_get(actor=request.user, pk=pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择一个手动标签。"))
        else:
            try:
                self.apply(member=member, tag=form.cleaned_data["tag"], actor=request.user)
            except MembershipError as exc:
                messages.error(request, str(exc.message))
        return SeeOther(reverse("portal:membership:member-360", args=[member.pk]))


class MemberTagAddView(_TagView):
    form_class = TagAddForm

    def apply(self, **kwargs):
        tag_add(**kwargs)


class MemberTagRemoveView(_TagView):
    form_class = TagRemoveForm

    def apply(self, **kwargs):
        tag_remove(**kwargs)


def _audience(request):
    form = AudienceFilterForm(request.GET or None, stores=stores_for(request.user))
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {"tags": list(data["tags"]), "lifecycle": data["lifecycle"], "rfm_segment": data["rfm_segment"],
                   "store": data["store"]}
    return form, filters, audience_list(actor=request.user, **filters)


def _describe(filters: dict) -> dict:
    return {"tags": [t.code for t in filters.get("tags", [])], "lifecycle": filters.get("lifecycle", ""),
            "rfm_segment": filters.get("rfm_segment", ""),
            "store": filters["store"].code if filters.get("store") is not None else ""}


class AudienceView(PortalMixin, TemplateView):
    template_name = "portal/membership/audience.html"
    per_page = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, _filters, members = _audience(self.request)
        page = Paginator(members.select_related("profile"), self.per_page).get_page(self.request.GET.get("page"))
        user = self.request.user
        context.update(form=form, page_obj=page, is_paginated=page.has_other_pages(), count=page.paginator.count, tags=tag_list(),
                       can_export=user.is_superuser or user.role in EXPORT_ROLES,
                       query=self.request.GET.urlencode())
        return context


class AudienceExportView(PortalMixin, View):
    roles = EXPORT_ROLES

    def get(self, request):
        _form, filters, members = _audience(request)
        members = members.select_related("store", "profile")[:EXPORT_LIMIT]
        export_record(actor=request.user, what="membership.audience", rows=members.count(), filters=_describe(filters))
        yes, no = _("是"), _("否")

        def rows():
            yield [_("会员ID"), _("姓名"), _("手机号"), _("归属门店"), _("生命周期"), _("RFM 分群"), _("同意营销")]
            for member in members.iterator(chunk_size=2000):
                profile = getattr(member, "profile", None)
                yield [member.pk, member.name, mask_mobile(member.mobile), member.store.code,
                       profile.get_lifecycle_display() if profile else "",
                       profile.get_rfm_segment_display() if profile else "",
                       yes if member.marketing_consent else no]

        return csv_response(rows(), filename=f"audience-{timezone.localdate():%Y%m%d}.csv")
