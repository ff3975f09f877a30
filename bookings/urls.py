from django.urls import path

from . import views

app_name = "bookings"

urlpatterns = [
    path("", views.board, name="board"),
    path("week/", views.week, name="week"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/arrive/", views.arrive, name="arrive"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/no-show/", views.no_show, name="no_show"),
]
