"""Portal: RFM segments and lifecycle stages per store, as charts and tables."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.portal.mixins import PortalMixin
from accounts.scoping import store_ids_for, stores_for
from membership.models import Lifecycle, RFMSegment
from membership.selectors.segments import segment_counts


class SegmentFilterForm(forms.Form):
    store = forms.ModelChoiceField(label=_("门店"), queryset=None, required=False, empty_label=_("全部门店"),
                                   widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(actor).order_by("code")
        if store_ids_for(actor) is not None:  # store staff: their own store only
            del self.fields["store"]


class SegmentsView(PortalMixin, TemplateView):
    template_name = "portal/membership/segments.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SegmentFilterForm(self.request.GET or None, actor=self.request.user)
        store = form.cleaned_data.get("store") if form.is_valid() else None
        data = segment_counts(actor=self.request.user, store=store)
        rfm_labels = [str(label) for label in RFMSegment.labels]
        life_labels = [str(label) for label in Lifecycle.labels]
        rows = [
            {"store": s, "rfm": [data["rfm"][s["pk"]][k] for k in RFMSegment.values],
             "lifecycle": [data["lifecycle"][s["pk"]][k] for k in Lifecycle.values]}
            for s in data["stores"]
        ]
        context.update(
            form=form,
            rows=rows,
            rfm_labels=rfm_labels,
            life_labels=life_labels,
            rfm_total=[data["rfm_total"][k] for k in RFMSegment.values],
            life_total=[data["lifecycle_total"][k] for k in Lifecycle.values],
            computed_on=data["computed_on"],
            chart_data={
                "rfm_labels": rfm_labels,
                "life_labels": life_labels,
                "stores": [s["name"] for s in data["stores"]],
                "rfm": [row["rfm"] for row in rows],
                "lifecycle": [row["lifecycle"] for row in rows],
            },
        )
        return context
