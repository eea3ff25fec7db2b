"""One URL module per topic, so the topics are built side by side."""

from membership.portal import urls_cards, urls_coupons, urls_points, urls_profiles, urls_transactions
from membership.portal import urls_approvals, urls_segments

urlpatterns = [
    *urls_points.urlpatterns,
    *urls_cards.urlpatterns,
    *urls_coupons.urlpatterns,
    *urls_transactions.urlpatterns,
    *urls_profiles.urlpatterns,
    *urls_segments.urlpatterns,
    *urls_approvals.urlpatterns,
]
