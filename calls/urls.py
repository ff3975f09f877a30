from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    path("calls/latest/", views.latest, name="latest"),
    path("calls/missed/", views.missed, name="missed"),
    path("calls/<int:pk>/called-back/", views.called_back, name="called_back"),
]
