from django.urls import path

from membership.portal import approvals as views

urlpatterns = [
    path("approvals/", views.ApprovalListView.as_view(), name="approval-list"),
    path("approvals/<int:pk>/decide/", views.ApprovalDecideView.as_view(), name="approval-decide"),
    path("transactions/<int:pk>/review/", views.TransactionReviewView.as_view(), name="transaction-review"),
]
