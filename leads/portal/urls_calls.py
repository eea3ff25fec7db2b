"""/portal/leads/calls/: the call screen (智能小易)."""

from django.urls import path

from leads.portal import calls

urlpatterns = [
    path("calls/start/", calls.CallStartView.as_view(), name="call-start"),
    path("calls/<int:pk>/", calls.CallScreenView.as_view(), name="call-screen"),
    path("calls/<int:pk>/live/", calls.CallLiveView.as_view(), name="call-live"),
    path("calls/<int:pk>/hangup/", calls.CallHangupView.as_view(), name="call-hangup"),
    path("calls/<int:pk>/report/", calls.CallReportView.as_view(), name="call-report"),
]
