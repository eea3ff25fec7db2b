from django.urls import path

from membership.portal import transactions as views

urlpatterns = [
    path("transactions/import/", views.TransactionImportView.as_view(), name="transaction-import"),
]
