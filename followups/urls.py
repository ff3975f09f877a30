from django.urls import path

from . import views

app_name = "followups"

urlpatterns = [
    path("followups/", views.mine, name="mine"),
    path("followups/team/", views.team, name="team"),
    path("followups/<int:pk>/done/", views.done, name="done"),
    path("followups/<int:pk>/skip/", views.skip, name="skip"),
    path("followups/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("followups/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("guests/<int:guest_pk>/followups/new/", views.create, name="create"),
]
