from django.urls import path

from . import bill_views, views

app_name = "visits"

urlpatterns = [
    path("guests/<int:guest_pk>/visits/new/", views.create, name="create"),
    path("visits/<int:pk>/edit/", views.edit, name="edit"),
    path("visits/", views.visit_list, name="list"),
    path("guests/<int:guest_pk>/complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("bills/unmatched/", bill_views.unmatched, name="unmatched_bills"),
    path("bills/<int:pk>/link/", bill_views.link, name="bill_link"),
    path("bills/<int:pk>/dismiss/", bill_views.dismiss, name="bill_dismiss"),
]
