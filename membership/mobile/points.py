"""Mini-site: my points (balance, points expiring soon with dates, history)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.views.generic import TemplateView

from accounts.mobile.views import OwnerMixin
from membership.models import MembershipCard
from membership.selectors import points as selectors


class MyPointsView(OwnerMixin, TemplateView):
    template_name = "mobile/membership/points.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.member
        page = Paginator(selectors.points_entries(member=member), 20).get_page(self.request.GET.get("page"))
        context.update(
            member=member,
            has_card=MembershipCard.objects.filter(member=member).exists(),
            balance=selectors.points_balance(member=member),
            expiring=selectors.points_expiring(member=member),
            page=page,
            entries=page.object_list,
        )
        return context
