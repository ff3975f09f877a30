from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("guests/<int:guest_pk>/visits/new/", views.create, name="create"),
    path("visits/<int:pk>/edit/", views.edit, name="edit"),
    path("visits/", views.visit_list, name="list"),
    path("guests/<int:guest_pk>/complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
]
