from django.urls import path

from . import greeting_views, views

app_name = "followups"

urlpatterns = [
    path("followups/", views.mine, name="mine"),
    path("followups/team/", views.team, name="team"),
    path("followups/greetings/", greeting_views.greetings_to_check, name="greetings"),
    path("followups/<int:pk>/done/", views.done, name="done"),
    path("followups/<int:pk>/skip/", views.skip, name="skip"),
    path("followups/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("followups/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("guests/<int:guest_pk>/followups/new/", views.create, name="create"),
]
