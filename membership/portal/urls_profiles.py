from django.urls import path

from membership.portal import profiles as views

urlpatterns = [
    path("members/<int:pk>/360/", views.Member360View.as_view(), name="member-360"),
    path("members/<int:pk>/tags/add/", views.MemberTagAddView.as_view(), name="member-tag-add"),
    path("members/<int:pk>/tags/remove/", views.MemberTagRemoveView.as_view(), name="member-tag-remove"),
    path("audience/", views.AudienceView.as_view(), name="audience"),
    path("audience/export/", views.AudienceExportView.as_view(), name="audience-export"),
]
