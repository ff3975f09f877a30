from django.urls import path

from . import views

app_name = "guests"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("guests/new/", views.create, name="create"),
    path("guests/quick-add/", views.quick_add, name="quick_add"),
    path("guests/<int:pk>/", views.profile, name="profile"),
    path("guests/<int:pk>/edit/", views.edit, name="edit"),
    path("guests/<int:pk>/history/", views.history, name="history"),
    path("guests/<int:pk>/merge/", views.merge, name="merge"),
    path("guests/<int:pk>/anonymise/", views.anonymise, name="anonymise"),
]
