"""/api/v1/ routes of the leads app: leads, events, tasks and owner requests
(urls_leads), provider webhooks (urls_webhooks)."""

from leads.api.urls_leads import urlpatterns as leads
from leads.api.urls_webhooks import urlpatterns as webhooks

urlpatterns = [*leads, *webhooks]
