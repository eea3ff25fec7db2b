from django.urls import path

from membership.api import transactions as views

urlpatterns = [
    path("transactions/", views.TransactionListApi.as_view(), name="transaction-list"),
    path("members/<int:pk>/transactions/", views.MemberTransactionListApi.as_view(), name="member-transactions"),
]
