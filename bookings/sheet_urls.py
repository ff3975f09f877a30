"""Today's service sheet (今日客情) and the kitchen slips, mounted at /service/."""

from django.urls import path

from . import serve, sheet_views

app_name = "service"

urlpatterns = [
    path("", sheet_views.sheet, name="sheet"),
    path("sheet.xlsx", sheet_views.sheet_xlsx, name="sheet_xlsx"),
    path("kitchen/", sheet_views.kitchen, name="kitchen"),
    path("now/", serve.floor, name="floor"),
    path("now/<int:pk>/arrive/", serve.floor_arrive, name="floor_arrive"),
    path("walk-in/", serve.walk_in, name="walk_in"),
]
