"""/portal/leads/: lead pages and tasks (urls_leads), the call screen
(urls_calls), reports and reactivation (urls_reports)."""

from leads.portal.urls_calls import urlpatterns as calls
from leads.portal.urls_leads import urlpatterns as leads
from leads.portal.urls_reports import urlpatterns as reports

urlpatterns = [*leads, *calls, *reports]
