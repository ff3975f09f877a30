from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("run/", views.review_run, name="run"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/progress/", views.review_progress, name="progress"),
    path("<int:pk>/retry/", views.retry_review, name="retry"),
    path("<int:pk>/decide/", views.review_decide, name="decide"),
]
