"""One URL module per topic, so the topics are built side by side."""

from membership.api import urls_cards, urls_coupons, urls_points, urls_profiles, urls_referrals, urls_transactions

urlpatterns = [
    *urls_points.urlpatterns,
    *urls_cards.urlpatterns,
    *urls_coupons.urlpatterns,
    *urls_transactions.urlpatterns,
    *urls_profiles.urlpatterns,
    *urls_referrals.urlpatterns,
]
