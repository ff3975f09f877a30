from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("guests/<int:guest_pk>/visits/new/", views.create, name="create"),
    path("visits/<int:pk>/edit/", views.edit, name="edit"),
    path("visits/", views.visit_list, name="list"),
]
