"""Today's service sheet (今日客情) and the kitchen slips, mounted at /service/."""

from django.urls import path

from . import sheet_views

app_name = "service"

urlpatterns = [
    path("", sheet_views.sheet, name="sheet"),
    path("sheet.xlsx", sheet_views.sheet_xlsx, name="sheet_xlsx"),
    path("kitchen/", sheet_views.kitchen, name="kitchen"),
]
