from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.api.docs import ApiDocsView, ApiSchemaView

# Each app's surfaces mount under one namespace per surface:
# api:<app>:<name>, portal:<app>:<name>, mobile:<app>:<name> (accounts' own names sit at the top).
api_v1 = [
    path("", include(("accounts.api.urls", "accounts"))),
    path("", include(("leads.api.urls", "leads"))),
    path("", include(("membership.api.urls", "membership"))),
    path("", include(("mall.api.urls", "mall"))),
    path("", include(("insurance.api.urls", "insurance"))),
    path("", include(("usedcars.api.urls", "usedcars"))),
]
api = [
    path("v1/", include(api_v1)),
    # Staff only outside DEBUG (accounts/api/docs.py).
    path("schema/", ApiSchemaView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
]
portal = [
    path("", include("accounts.portal.urls")),
    path("leads/", include(("leads.portal.urls", "leads"))),
    path("membership/", include(("membership.portal.urls", "membership"))),
    path("mall/", include(("mall.portal.urls", "mall"))),
    path("insurance/", include(("insurance.portal.urls", "insurance"))),
    path("usedcars/", include(("usedcars.portal.urls", "usedcars"))),
]
mobile = [
    path("", include("accounts.mobile.urls")),
    path("leads/", include(("leads.mobile.urls", "leads"))),
    path("membership/", include(("membership.mobile.urls", "membership"))),
    path("mall/", include(("mall.mobile.urls", "mall"))),
    path("insurance/", include(("insurance.mobile.urls", "insurance"))),
    path("usedcars/", include(("usedcars.mobile.urls", "usedcars"))),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/portal/", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.auth.urls")),  # first: takes over allauth's e-mail password reset
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include((api, "api"))),
    path("portal/", include((portal, "portal"))),
    path("m/", include((mobile, "mobile"))),
]

handler400 = "accounts.error_views.bad_request"
handler403 = "accounts.error_views.permission_denied"
handler404 = "accounts.error_views.not_found"
handler500 = "accounts.error_views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
