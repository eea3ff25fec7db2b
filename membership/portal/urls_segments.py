"""/portal/membership/segments/: RFM and lifecycle counts per store."""

from django.urls import path

from membership.portal import segments

urlpatterns = [
    path("segments/", segments.SegmentsView.as_view(), name="segments"),
]
