from django.urls import path

from . import phone_views, serve, views, waiting_views

app_name = "bookings"

urlpatterns = [
    path("", views.board, name="board"),
    path("week/", views.week, name="week"),
    path("new/", views.create, name="create"),
    path("phone/", phone_views.phone, name="phone"),
    path("phone/caller/", phone_views.caller, name="phone_caller"),
    path("phone/rooms/", phone_views.rooms, name="phone_rooms"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/arrive/", views.arrive, name="arrive"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/no-show/", views.no_show, name="no_show"),
    path("<int:pk>/complete/", serve.complete, name="complete"),
    path("<int:pk>/waiting-match/", waiting_views.waiting_match, name="waiting_match"),
    path("waiting/", waiting_views.waiting_list, name="waiting"),
    path("waiting/<int:pk>/move/", waiting_views.waiting_move, name="waiting_move"),
]
