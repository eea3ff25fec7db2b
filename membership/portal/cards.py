"""Portal: find a member by scanning (or typing) their card number."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import View

from accounts.portal.mixins import PortalMixin
from membership.selectors.cards import card_find_for_staff


class CardLookupView(PortalMixin, View):
    """The store floor: scan the member's card QR (it encodes the card number),
    land on their member 360 page.  Another store's card is "not found"."""

    template_name = "portal/membership/card_lookup.html"

    def get(self, request):
        card_no = request.GET.get("card_no", "")[:32]
        if card_no:
            card = card_find_for_staff(actor=request.user, card_no=card_no)
            if card is not None:
                return redirect("portal:membership:member-360", pk=card.member_id)
            messages.error(request, _("未找到该会员卡，请确认卡号或是否为本店会员。"))
        return render(request, self.template_name, {"card_no": card_no})
