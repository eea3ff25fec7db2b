"""Mini-site: my points (balance, points expiring soon with dates, history),
the daily check-in, and the points panel on the home page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from accounts.exceptions import ApplicationError
from accounts.mobile.views import OwnerMixin
from accounts.portal.mixins import SeeOther
from membership.models import MembershipCard
from membership.selectors import points as selectors
from membership.services.points import points_checkin


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


class CheckinView(OwnerMixin, View):
    """POST: today's check-in (签到), once a day; back to the home page with
    what happened."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            _checkin, entry, created = points_checkin(member=self.member)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            if not created:
                messages.info(request, _("今天已经签到过了，明天再来吧。"))
            elif entry is not None:
                messages.success(request, _("签到成功，获得 %(points)s 积分。") % {"points": entry.points})
            else:
                messages.success(request, _("签到成功。"))
        return SeeOther(reverse("mobile:home"))


def home_points_panel(*, request, member) -> str:
    """The home page's points card: balance, points expiring soon, the link to
    the points page and the check-in button (registered in ``MembershipConfig.ready``)."""
    return render_to_string("mobile/membership/_home_points.html", {
        "has_card": MembershipCard.objects.filter(member=member).exists(),
        "balance": selectors.points_balance(member=member),
        "expiring": selectors.points_expiring(member=member),
        "checked_in": selectors.checked_in(member=member),
    }, request=request)
